/**
 * The triggers' first pass on a notify's hint (core/a2a/selection.ts `mayConcern`, issue 12's
 * notify cost) against the rules themselves: over every combination of envelope type, author,
 * mentions, thread, domains, keywords and text below, built into a hint by the space's own
 * `hintOf` (core/a2a/notify-hint.ts, what durable-objects/space-agents.ts sends), the first pass never rules out an envelope the
 * rules brain would act on — and it does rule out the plain traffic (a status message, an item
 * in someone else's domain) that made 100 subscribers cost 752 ms per commit.
 */
import { describe, expect, it } from "vitest";
import { decide, type RulesConfig, type SpaceContext, type ViewItem } from "../../../core/a2a/rules-brain.js";
import { HINT_TEXT, mayConcern, type LocalTriggers } from "../../../core/a2a/selection.js";
import type { Did } from "../../../core/identity/did.js";
import type { Envelope } from "../../../core/log/envelope.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { CommitEntry } from "../../../core/state/sequencer.js";
import type { SpaceState } from "../../../core/views/state.js";
import { hintOf } from "../../../core/a2a/notify-hint.js";

const did = (n: string) => `did:key:z6Mk${n}` as Did;
const id = (n: number) => `sha256:${String(n).padStart(64, "0")}` as EnvelopeId;
const [SELF, OTHER, OWNER] = [did("self"), did("other"), did("owner")];
const config: RulesConfig = { domains: ["ops"], keywords: ["invoice"], handoffs: [{ from: "brief", to: "ops" }] };
const items: ViewItem[] = [
  { id: id(1), title: "Rotate the cert", domains: ["ops"], status: "open" },
  { id: id(2), title: "Redraw the logo", domains: ["design"], status: "open" },
  { id: id(3), title: "Chase the invoice", domains: ["billing"], status: "open" },
  { id: id(4), title: "Write the brief", domains: ["brief"], status: "completed" },
  { id: id(5), title: "Page the on-call", domains: ["ops"], status: "claimed", claimant: OTHER },
  { id: id(6), title: "Plan", description: `ask ${SELF}`, domains: [], status: "open" },
];
const work = new Map(items.map((i) => [i.id, i]));
const state = { work: new Map(items.map((i) => [i.id, { ...i, createdBy: OWNER }])) } as unknown as SpaceState;
const armedOn = new Set<string>([id(2)]);
const context: SpaceContext = { agents: [{ did: SELF, domains: ["ops"] }, { did: OTHER, domains: ["design"] }], owners: [OWNER], deferred: () => false, armed: (item) => (armedOn.has(item) ? ["visuals"] : []) };
const local: LocalTriggers = { armed: (item) => armedOn.has(item), waits: () => false };

/** Every envelope the cases below make, as the log would hold it. */
function envelopes(): Array<{ id: EnvelopeId; envelope: Envelope }> {
  const out: Array<{ id: EnvelopeId; envelope: Envelope }> = [];
  let n = 100;
  const add = (type: string, author: Did, body: Record<string, unknown>, own?: EnvelopeId) => out.push({ id: own ?? id(n++), envelope: { type, author, body } as unknown as Envelope });
  const texts = ["status: all green", "the invoice run failed", "ops is down", `hey ${SELF}`, "x".repeat(HINT_TEXT + 10) + " invoice"];
  for (const author of [OWNER, SELF, OTHER]) {
    for (const actor of [undefined, SELF]) {
      for (const content of texts) {
        for (const mentions of [undefined, [SELF], [OTHER], [OTHER, SELF]]) {
          for (const threadRef of [undefined, id(1), id(2), id(3), id(5)]) {
            add("channel.message", author, { content, ...(mentions ? { mentions } : {}), ...(threadRef ? { threadRef } : {}), ...(actor ? { actor } : {}) });
          }
        }
      }
      for (const item of items) {
        add("work.created", author, { title: item.title, ...(item.description ? { description: item.description } : {}), domains: item.domains, ...(actor ? { actor } : {}) }, item.id);
        for (const type of ["work.released", "work.completed", "work.claimed", "work.updated"]) add(type, author, { item: item.id, ...(actor ? { actor } : {}) });
      }
      add("member.joined", author, { invite: id(9) });
      add("trace.recorded", author, { kind: "agent.claimed", summary: "x" });
    }
  }
  return out;
}

describe("the first pass on a notify's hint", () => {
  const all = envelopes();
  const hint = hintOf(all.map((e, i): CommitEntry => ({ id: e.id, index: i, verdict: "accepted" })), (want) => all.find((e) => e.id === want)?.envelope, state);

  it("summarizes a small batch, and names none past the batch limit", () => {
    expect(hintOf(all.slice(0, 3).map((e, i) => ({ id: e.id, index: 10 + i, verdict: "accepted" as const })), (want) => all.find((e) => e.id === want)?.envelope, state))
      .toMatchObject({ first: 10, last: 12, entries: [{ type: "channel.message", actor: OWNER, text: "status: all green" }, {}, {}] });
    expect(hint.entries).toBeUndefined();
  });

  it("never rules out what the rules would act on, and rules out plain traffic", () => {
    let acted = 0;
    let ruledOut = 0;
    for (let at = 0; at < all.length; at += 64) {
      const batch = all.slice(at, at + 64);
      const small = hintOf(batch.map((e, i) => ({ id: e.id, index: at + i, verdict: "accepted" as const })), (want) => batch.find((e) => e.id === want)?.envelope, state);
      expect(small.entries).toHaveLength(batch.length);
      batch.forEach((e, i) => {
        const body = e.envelope.body as Record<string, unknown>;
        const seen = { id: e.id, type: e.envelope.type, actor: (typeof body.actor === "string" ? body.actor : e.envelope.author) as Did, body };
        const decision = decide(config, SELF, seen, work, context);
        const concerns = mayConcern(config, SELF, small.entries![i]!, local);
        if (decision.action !== "ignore") {
          acted++;
          expect(concerns, `${e.envelope.type} ${JSON.stringify(body).slice(0, 200)} → ${decision.action}`).toBe(true);
        } else if (!concerns) ruledOut++;
      });
    }
    expect(acted).toBeGreaterThan(50);
    expect(ruledOut).toBeGreaterThan(200);
  });

  it("a status message, someone else's item, the agent's own words: ruled out; a clipped text is not", () => {
    const entry = (type: string, extra: Record<string, unknown>) => ({ id: id(7), type, actor: OWNER, ...extra });
    expect(mayConcern(config, SELF, entry("channel.message", { text: "status: all green" }), local)).toBe(false);
    expect(mayConcern(config, SELF, entry("work.created", { item: id(2), domains: ["design"], text: "Redraw the logo" }), local)).toBe(false);
    expect(mayConcern(config, SELF, { ...entry("channel.message", { text: "invoice", mentions: [SELF] }), actor: SELF }, local)).toBe(false);
    expect(mayConcern(config, SELF, entry("channel.message", { text: "status", clipped: true }), local)).toBe(true);
  });
});
