/**
 * Self-selection's anti-patterns and triggers, one scenario each, with real agents in real
 * spaces inside workerd (issue 12 items 3–4, seed 001 C3/C5): circular escalation, under-
 * claiming (the best fit claims; otherwise an escalation), gap detection, a handoff sentence
 * as a conditional trigger on a work item, and over-claiming going through policy.
 *
 * Timeouts are set small (the agent's alarm does the waiting); the tests wait on what
 * commits, never on a timer.
 */
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { cardOf, didOf, edgeFetch, freshAgent } from "./agent-client.js";
import { addAgent, bearer, logOf, stubFor, tracesOf, watcher, type Posted } from "./agent-spaces-support.js";
import { openSpace } from "./socket-client.js";

const FAST = { unclaimedAfterMs: 150, gapAfterMs: 150 };

describe("anti-patterns", () => {
  it("circular escalation: a second deferral of an item between the same two agents becomes one escalation, in the owner's attention", async () => {
    const s = await openSpace("agent-circle");
    const names = [freshAgent("circle-a"), freshAgent("circle-b")];
    const a = await addAgent(s, names[0]!, ["ops"]);
    const b = await addAgent(s, names[1]!, ["design"]);
    const watch = await watcher(s);
    const [item] = (await s.write("work.created", { title: "Review the contract", domains: ["legal"] })) as Posted[];
    // A forged deferral (a member's own trace naming A as its author) is not a deferral: it cannot shorten the circle.
    const [forged] = (await s.write("trace.recorded", { kind: "agent.deferred", summary: "forged", ref: item!.id, data: { agent: a.did, to: b.did } })) as Posted[];
    expect(forged!.commit).toMatchObject({ verdict: "accepted" });
    await s.write("channel.message", { content: "Can one of you take the legal review?", mentions: [a.did, b.did], threadRef: item!.id });
    const escalation = await watch.until(async () => (await logOf(s, "trace.recorded")).find((t) => t.envelope.body.kind === "agent.escalated"));
    const [last] = (await s.write("channel.message", { content: "looking" })) as Posted[];
    // Both have read past everything the circle wrote: no third deferral comes later.
    await Promise.all(names.map((n) => stubFor(n).settled(s.space, last!.commit!.index!)));

    const traces = (await logOf(s, "trace.recorded")).map((t) => t.envelope.body);
    const deferrals = traces.filter((t) => t.kind === "agent.deferred" && t.summary !== "forged");
    expect(deferrals.map((t) => [t.data.agent, t.data.to]).sort()).toEqual([[a.did, b.did], [b.did, a.did]].sort());
    expect(traces.filter((t) => t.kind === "agent.escalated")).toHaveLength(1);
    // The smaller did of the pair escalates; the other one leaves it to it.
    const escalator = escalation.envelope.body.data.agent;
    expect(escalator).toBe([a.did, b.did].sort()[0]);
    const messages = await logOf(s, "channel.message", `&thread=${item!.id}`);
    const asked = messages.find((m) => m.envelope.body.actor === escalator && (m.envelope.body.mentions ?? []).includes(s.owner.did))!;
    expect(asked.envelope.body.content).toMatch(/^Escalating "Review the contract" to you: .* deferred .* to each other/);
    const attention = await logOf(s, "channel.message", `&attention=${s.owner.did}`);
    expect(attention.map((e) => e.id)).toContain(asked.id);
    expect((await logOf(s, "work.claimed")).length).toBe(0);
  });

  it("under-claiming: a released item in its domain is claimed by the agent that fits best, by its alarm", async () => {
    const s = await openSpace("agent-under");
    const name = freshAgent("under");
    const agent = await addAgent(s, name, ["ops"], { options: FAST });
    const watch = await watcher(s);
    const [item] = (await s.write("work.created", { title: "Renew the TLS cert", domains: ["ops"] })) as Posted[];
    await watch.until(async () => ((await tracesOf(s, agent.did, "agent.claimed")).length === 1 ? true : undefined));
    // The owner takes it off the agent; nobody claims it back at once.
    await s.write("work.released", { item: item!.id, reason: "re-planning" });
    const again = await watch.until(async () => (await tracesOf(s, agent.did, "agent.claimed")).find((t) => t.envelope.body.data.trigger === "unclaimed"));
    expect(again.envelope.body.summary).toMatch(/open and unclaimed for 0.15 s; I fit it best/);
    const claims = (await logOf(s, "work.claimed")).filter((c) => c.envelope.body.item === item!.id && c.status.verdict === "accepted");
    expect(claims.map((c) => c.envelope.body.actor)).toEqual([agent.did, agent.did]);
    expect((await watch.view()).work.find((w) => w.id === item!.id)).toMatchObject({ status: "claimed", claimant: agent.did });
  });

  it("under-claiming: when the best fit does not take it, the item is escalated to the owners after a second look", async () => {
    const s = await openSpace("agent-under-esc");
    const agent = await addAgent(s, freshAgent("under-esc"), ["ops"], { options: FAST });
    const watch0 = await watcher(s);
    const [item] = (await s.write("work.created", { title: "Migrate the cluster", domains: ["ops"] })) as Posted[];
    await watch0.until(async () => ((await tracesOf(s, agent.did, "agent.claimed")).length === 1 ? true : undefined));
    // An equal fit that wins the tie (the smaller did) and never acts: an agent member with no object behind it.
    let idle = await Ed25519Signer.generate();
    while (idle.did > agent.did) idle = await Ed25519Signer.generate();
    await s.write("member.added", { member: idle.did, role: "agent", domains: ["ops"], name: "idle" });
    const watch = await watcher(s);
    await s.write("work.released", { item: item!.id });
    const escalated = await watch.until(async () => (await tracesOf(s, agent.did, "agent.escalated"))[0]);
    expect(escalated.envelope.body.data).toMatchObject({ trigger: "unclaimed", to: [s.owner.did] });
    const asked = (await logOf(s, "channel.message", `&attention=${s.owner.did}`)).find((m) => m.envelope.body.actor === agent.did);
    expect(asked!.envelope.body.content).toMatch(/has sat unclaimed for 0.3 s/);
    expect((await watch.view()).work.find((w) => w.id === item!.id)!.status).toBe("open");
  });

  it("gap detection: a request in its domain that nobody answers is volunteered for, by its alarm", async () => {
    const s = await openSpace("agent-gap");
    const agent = await addAgent(s, freshAgent("gap"), ["ops"], { options: FAST });
    const watch = await watcher(s);
    const [request] = (await s.write("channel.message", { content: "The ops dashboard is down, can someone look?" })) as Posted[];
    const claimed = await watch.until(async () => (await tracesOf(s, agent.did, "agent.claimed")).find((t) => t.envelope.body.data.trigger === "gap"));
    const item = claimed.envelope.body.data.item;
    const created = (await logOf(s, "work.created")).find((w) => w.id === item)!;
    expect(created.envelope.body).toMatchObject({ title: "The ops dashboard is down, can someone look?", domains: ["ops"], actor: agent.did });
    const replies = (await logOf(s, "channel.message", `&thread=${request!.id}`)).filter((m) => m.envelope.body.actor === agent.did);
    expect(replies[0]!.envelope.body.content).toMatch(/^Nobody has answered this for 0.15 s and it is in my domain/);
  });

  it("handoff: \"when the brief is ready, George can start visuals\" arms a trigger on the brief; its completion starts the visuals", async () => {
    const s = await openSpace("agent-handoff");
    const name = freshAgent("george");
    const george = await addAgent(s, name, ["creative"]);
    const watch = await watcher(s);
    const [brief] = (await s.write("work.created", { title: "Q1 campaign brief", domains: ["strategy"] })) as Posted[];
    const [visuals] = (await s.write("work.created", { title: "Hero visuals" })) as Posted[];
    const [said] = (await s.write("channel.message", { content: "When the brief is ready, George can start visuals.", mentions: [george.did], threadRef: brief!.id })) as Posted[];
    await stubFor(name).settled(s.space, said!.commit!.index!);
    const [armed] = await tracesOf(s, george.did, "agent.handoff-armed");
    expect(armed!.envelope.body.data).toMatchObject({ item: brief!.id, then: "visuals" });
    // Armed, not acted: both items are still open.
    expect((await watch.view()).work.filter((w) => w.status === "open").map((w) => w.id).sort()).toEqual([brief!.id, visuals!.id].sort());

    await s.write("work.completed", { item: brief!.id, result: "brief done" });
    const started = await watch.until(async () => (await tracesOf(s, george.did, "agent.claimed"))[0]);
    expect(started.envelope.body.data).toMatchObject({ trigger: "handoff", item: visuals!.id });
    expect((await watch.view()).work.find((w) => w.id === visuals!.id)).toMatchObject({ status: "claimed", claimant: george.did });
  });

  it("over-claiming: a claim outside its domains goes through policy (tier 2, no pattern: an owner approves), and runs once approved", async () => {
    const s = await openSpace("agent-over");
    const agent = await addAgent(s, freshAgent("over"), ["ops"], { keywords: ["invoice"] });
    const watch = await watcher(s);
    const presence = await s.connect(s.owner);
    presence.setPresence({ id: s.owner.did, name: "owner", kind: "human", mode: "active" });
    const [item] = (await s.write("work.created", { title: "Send the invoice", domains: ["billing"] })) as Posted[];
    const asked = await watch.until(async () => (await tracesOf(s, agent.did, "agent.asked"))[0]);
    expect(asked.envelope.body.summary).toMatch(/an agent claiming work outside its own domains needs approval/);
    const [request] = await logOf(s, "approval.requested");
    expect(request!.envelope.body).toMatchObject({ approver: "owner", action: { tool: "claim_work_item", params: { item: item!.id } }, actor: agent.did });
    expect((await watch.view()).work.find((w) => w.id === item!.id)!.status).toBe("open");
    await s.write("approval.decided", { request: request!.id as never, decision: "approved" });
    const claimed = await watch.until(async () => (await watch.view()).work.find((w) => w.id === item!.id && w.status === "claimed"));
    expect(claimed.claimant).toBe(agent.did);
    presence.close();
  });

  it("join options are checked at the door: a timeout below 100 ms, an unknown brain or field is refused 400, and nothing is joined", async () => {
    const name = freshAgent("opts");
    const owner = await Ed25519Signer.generate();
    const token = await issueAgentCapability(owner, { agent: didOf(await cardOf(name)) });
    const post = (options: unknown) => edgeFetch(`http://edge.test/agents/${name}/spaces`, {
      method: "POST", headers: { ...bearer(token), "Content-Type": "application/json" }, body: JSON.stringify({ invite: "http://localhost/s/x#invite=abc", options }),
    });
    for (const options of [{ unclaimedAfterMs: 1 }, { gapAfterMs: 90_000_000 }, { brain: "gpt" }, { sneaky: true }]) {
      const res = await post(options);
      expect(res.status, JSON.stringify(options)).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "invalid-request", message: expect.stringMatching(/^body: options/) });
    }
    const listed = await edgeFetch(`http://edge.test/agents/${name}/spaces`, { headers: bearer(token) });
    expect(((await listed.json()) as { spaces: unknown[] }).spaces).toEqual([]);
  });
});
