/**
 * The pure pieces of self-selection (issue 12 items 2–5): the rules brain's decisions for
 * races, deferrals and their circle, released items and unanswered requests, handoff
 * sentences; best fit; presence modes; where an agent is made (location hints).
 */
import { describe, expect, it } from "vitest";
import { agentLocation, hintFromOrigin, parseLocationHint } from "../../../core/a2a/location.js";
import { approverMode, askPlan } from "../../../core/a2a/modes.js";
import { decide, type RulesConfig, type SpaceContext, type ViewItem } from "../../../core/a2a/rules-brain.js";
import { bestFit, handoffPhrase, matchesThen } from "../../../core/a2a/selection.js";
import type { Did } from "../../../core/identity/did.js";
import type { EnvelopeId } from "../../../core/log/ids.js";

const did = (n: string) => `did:key:z6Mk${n}` as Did;
const id = (n: string) => `sha256:${n.padStart(64, "0")}` as EnvelopeId;
const [A, B, OWNER] = [did("aaa"), did("bbb"), did("own")];
const config = (domains: string[], keywords: string[] = []): RulesConfig => ({ domains, keywords, handoffs: [] });
const work = (...items: ViewItem[]) => new Map(items.map((i) => [i.id, i]));
const context = (deferrals: Array<[Did, Did]> = [], armed: Record<string, string[]> = {}): SpaceContext => ({
  agents: [{ did: A, domains: ["ops"] }, { did: B, domains: ["design"] }], owners: [OWNER],
  deferred: (_item, a, b) => deferrals.some(([x, y]) => (x === a && y === b) || (x === b && y === a)),
  armed: (item) => armed[item] ?? [],
});

describe("the rules brain's decisions", () => {
  const legal: ViewItem = { id: id("1"), title: "Review the contract", domains: ["legal"], status: "open" };

  it("a race lost on a new item is a stand-down naming the winner", () => {
    const item: ViewItem = { id: id("2"), title: "Page", domains: ["ops"], status: "claimed", claimant: B };
    expect(decide(config(["ops"]), A, { id: item.id, type: "work.created", actor: OWNER, body: {} }, work(item))).toMatchObject({ action: "stand-down", claimant: B });
  });

  it("a mention about an item outside its domains defers to the other agent named; the second deferral escalates (smaller did) or leaves it", () => {
    const seen = { id: id("3"), type: "channel.message", actor: OWNER, body: { content: "one of you?", mentions: [A, B], threadRef: legal.id } };
    expect(decide(config(["ops"]), A, seen, work(legal), context())).toMatchObject({ action: "defer", to: B });
    expect(decide(config(["ops"]), A, seen, work(legal), context([[B, A]]))).toMatchObject({ action: "escalate", to: [OWNER] });
    expect(decide(config(["design"]), B, seen, work(legal), context([[A, B]]))).toMatchObject({ action: "skip", reason: expect.stringMatching(/circular/) });
    // Deferred to by A, and nobody else fits: it defers back to A (which closes the circle).
    const back = { id: id("4"), type: "channel.message", actor: A, body: { content: "Deferring", mentions: [B], threadRef: legal.id } };
    expect(decide(config(["design"]), B, back, work(legal), context())).toMatchObject({ action: "defer", to: A });
    // Without other agents, a mention outside its domains is a claim (the policy decides: over-claiming).
    expect(decide(config(["ops"]), A, { ...seen, body: { ...seen.body, mentions: [A] } }, work(legal))).toMatchObject({ action: "claim", trigger: "mention" });
  });

  it("a released item in its domains and a request about no item in its domains are watched", () => {
    const item: ViewItem = { id: id("5"), title: "Cert", domains: ["ops"], status: "open" };
    expect(decide(config(["ops"]), A, { id: id("6"), type: "work.released", actor: OWNER, body: { item: item.id } }, work(item))).toMatchObject({ action: "watch", trigger: "unclaimed", target: item.id });
    expect(decide(config(["design"]), A, { id: id("6"), type: "work.released", actor: OWNER, body: { item: item.id } }, work(item))).toEqual({ action: "ignore" });
    expect(decide(config(["ops"]), A, { id: id("7"), type: "channel.message", actor: OWNER, body: { content: "the ops dashboard is down" } }, work())).toMatchObject({ action: "watch", trigger: "gap", target: id("7") });
    expect(decide(config(["ops"]), A, { id: id("7"), type: "channel.message", actor: OWNER, body: { content: "the ops dashboard is down", mentions: [B] } }, work())).toEqual({ action: "ignore" });
  });

  it("a handoff sentence mentioning it arms a trigger; the item's completion claims the matching item, or starts one", () => {
    const brief: ViewItem = { id: id("8"), title: "Q1 brief", domains: ["strategy"], status: "open" };
    const visuals: ViewItem = { id: id("9"), title: "Hero visuals", domains: [], status: "open" };
    const said = { id: id("10"), type: "channel.message", actor: OWNER, body: { content: "When the brief is ready, George can start visuals.", mentions: [A], threadRef: brief.id } };
    expect(decide(config(["creative"]), A, said, work(brief, visuals), context())).toMatchObject({ action: "arm", then: "visuals", item: { id: brief.id } });
    const done = { id: id("11"), type: "work.completed", actor: OWNER, body: { item: brief.id } };
    const armed = context([], { [brief.id]: ["visuals"] });
    expect(decide(config(["creative"]), A, done, work({ ...brief, status: "completed" }, visuals), armed)).toMatchObject({ action: "claim", trigger: "handoff", item: { id: visuals.id } });
    expect(decide(config(["creative"]), A, done, work({ ...brief, status: "completed" }), armed)).toMatchObject({ action: "start", title: "visuals", after: brief.id });
    expect(decide(config(["creative"]), A, done, work({ ...brief, status: "completed" }, visuals), context())).toEqual({ action: "ignore" });
  });
});

describe("selection pieces", () => {
  it("best fit: most shared domains, ties to the smaller did, none without a shared domain", () => {
    expect(bestFit(["ops", "infra"], [{ did: B, domains: ["ops", "infra"] }, { did: A, domains: ["ops"] }])).toBe(B);
    expect(bestFit(["ops"], [{ did: B, domains: ["ops"] }, { did: A, domains: ["ops"] }])).toBe(A);
    expect(bestFit(["legal"], [{ did: A, domains: ["ops"] }])).toBeUndefined();
  });

  it("handoff sentences and what their 'then' names", () => {
    expect(handoffPhrase("When the brief is ready, George can start visuals")).toEqual({ when: "brief", then: "visuals" });
    expect(handoffPhrase("when the Q1 brief is done @george will start on the hero image.")).toEqual({ when: "Q1 brief", then: "hero image" });
    expect(handoffPhrase("the brief is ready")).toBeNull();
    expect(matchesThen("visuals", { title: "Hero visuals", domains: [] })).toBe(true);
    expect(matchesThen("hero image", { title: "Hero visual", domains: [] })).toBe(false);
    expect(matchesThen("visuals", { title: "Something", domains: ["visuals"] })).toBe(true);
  });

  it("presence modes: the most available approver; absent is away; roles fill approvers (owners are humans)", () => {
    const roles = new Map<string, string>([[OWNER, "owner"], [A, "agent"]]);
    const roleOf = (d: Did) => roles.get(d);
    expect(approverMode([], "owner", roleOf)).toBe("away");
    expect(approverMode([{ id: OWNER, mode: "monitoring" }], "owner", roleOf)).toBe("monitoring");
    expect(approverMode([{ id: OWNER, mode: "away" }, { id: OWNER, mode: "active" }], "human", roleOf)).toBe("active");
    expect(approverMode([{ id: A, mode: "active" }], "owner", roleOf)).toBe("away");
    expect(approverMode([{ id: OWNER, mode: "active" }], A, roleOf)).toBe("away");
    expect([askPlan("active"), askPlan("monitoring"), askPlan("away")]).toEqual(["ask", "queue-with-note", "queue"]);
  });

  it("location hints: a named region, or the request's origin; a bad name is refused with the list", () => {
    expect(parseLocationHint("WEUR")).toBe("weur");
    expect(() => parseLocationHint("mars")).toThrow(/--near takes one of wnam, enam/);
    expect(hintFromOrigin({ continent: "NA", longitude: "-122.4" })).toBe("wnam");
    expect(hintFromOrigin({ continent: "NA", longitude: "-74" })).toBe("enam");
    expect(hintFromOrigin({ continent: "EU", longitude: "2.3" })).toBe("weur");
    expect(hintFromOrigin({ continent: "EU", longitude: "30" })).toBe("eeur");
    expect(hintFromOrigin({ continent: "AS", country: "AE" })).toBe("me");
    expect(hintFromOrigin({ continent: "AS", country: "JP" })).toBe("apac");
    expect(hintFromOrigin({ continent: "T1" })).toBeUndefined();
    expect(hintFromOrigin(undefined)).toBeUndefined();
    expect(agentLocation(new Request("http://e/agents/x?near=oc"))).toBe("oc");
    expect(agentLocation(new Request("http://e/agents/x", { headers: { "X-Commons-Near": "afr" } }))).toBe("afr");
    expect(agentLocation(new Request("http://e/agents/x"))).toBeUndefined();
  });
});
