/**
 * Presence modes change what an agent does (issue 12 item 5, seed 001 C4), in workerd with
 * a real agent and the owner's verified presence on a real socket. The action is a claim the
 * policy puts to an owner (outside the agent's domains: tier 2, no pattern):
 *
 *   active      it asks at once (an approval request in the owner's attention) and waits;
 *   monitoring  it holds the ask back, says so without asking for attention, goes on;
 *   away        it holds the ask back silently and goes on with autonomous work only;
 *   back        when the owner is active again, the held-back ask is sent: their attention.
 *
 * The presence re-check is pushed by the space's presence relay when the owner turns active;
 * the agent's alarm stays as a fallback, set small here except in the test that shows the
 * push alone sends it (its poll an hour away). The tests wait on what commits.
 */
import { describe, expect, it } from "vitest";
import { freshAgent } from "./agent-client.js";
import { addAgent, logOf, tracesOf, watcher, type Posted } from "./agent-spaces-support.js";
import { openSpace, type TestSpace } from "./socket-client.js";

async function scene(label: string, mode: "active" | "monitoring" | "away", presenceCheckMs = 150) {
  const s = await openSpace(label);
  const agent = await addAgent(s, freshAgent(label), ["ops"], { keywords: ["invoice"], options: { presenceCheckMs } });
  const watch = await watcher(s);
  const owner = await s.connect(s.owner);
  owner.setPresence({ id: s.owner.did, name: "owner", kind: "human", mode });
  return { s, agent, watch, owner };
}

const requests = (s: TestSpace) => logOf(s, "approval.requested");
const attentionOf = async (s: TestSpace) => (await logOf(s, "approval.requested", `&attention=${s.owner.did}`)).map((e) => e.id);

describe("presence modes", () => {
  it("active: the agent asks at once and waits; the request is in the owner's attention", async () => {
    const { s, agent, watch, owner } = await scene("mode-active", "active");
    const [item] = (await s.write("work.created", { title: "Chase the invoice", domains: ["billing"] })) as Posted[];
    const asked = await watch.until(async () => (await tracesOf(s, agent.did, "agent.asked"))[0]);
    expect(asked.envelope.body.data).toMatchObject({ item: item!.id, chose: "ask", from: "now" });
    const [request] = await requests(s);
    expect(await attentionOf(s)).toEqual([request!.id]);
    const said = (await logOf(s, "channel.message", `&thread=${item!.id}`)).filter((m) => m.envelope.body.actor === agent.did);
    expect(said.map((m) => m.envelope.body.toolCalls)).toEqual([[{ tool: "claim_work_item", params: { item: item!.id }, result: "pending_approval" }]]);
    expect(await tracesOf(s, agent.did, "agent.queued")).toEqual([]);
    owner.close();
  });

  it("monitoring: the ask is held back with a note (no attention asked), tier-1 work goes on; when the owner is active the ask is sent", async () => {
    const { s, agent, watch, owner } = await scene("mode-monitor", "monitoring");
    const [item] = (await s.write("work.created", { title: "Chase the invoice", domains: ["billing"] })) as Posted[];
    const queued = await watch.until(async () => (await tracesOf(s, agent.did, "agent.queued"))[0]);
    expect(queued.envelope.body.data).toMatchObject({ item: item!.id, chose: "queue", mode: "monitoring", approver: "owner" });
    const note = (await logOf(s, "channel.message", `&thread=${item!.id}`)).find((m) => m.envelope.body.actor === agent.did)!;
    expect(note.envelope.body.content).toMatch(/^Queued for owner's approval \(they are monitoring\): claim "Chase the invoice"/);
    expect(note.envelope.body.mentions).toBeUndefined();
    expect(await requests(s)).toEqual([]);
    // Tier 1–2 work goes on meanwhile: an item in its own domain is claimed at once.
    const [own] = (await s.write("work.created", { title: "Rotate the key", domains: ["ops"] })) as Posted[];
    await watch.until(async () => ((await watch.view()).work.find((w) => w.id === own!.id && w.claimant === agent.did) ? true : undefined));
    expect(await requests(s)).toEqual([]);

    owner.setPresence({ id: s.owner.did, name: "owner", kind: "human", mode: "active" });
    const sent = await watch.until(async () => (await tracesOf(s, agent.did, "agent.asked"))[0]);
    expect(sent.envelope.body.data).toMatchObject({ item: item!.id, from: "queue" });
    const [request] = await requests(s);
    expect(request!.envelope.body).toMatchObject({ approver: "owner", action: { tool: "claim_work_item", params: { item: item!.id } } });
    expect(await attentionOf(s)).toEqual([request!.id]);
    owner.close();
  });

  it("away: the ask is held back silently (autonomous work only); when the owner comes back it reaches their attention", async () => {
    const { s, agent, watch, owner } = await scene("mode-away", "away");
    const [item] = (await s.write("work.created", { title: "Chase the invoice", domains: ["billing"] })) as Posted[];
    const queued = await watch.until(async () => (await tracesOf(s, agent.did, "agent.queued"))[0]);
    expect(queued.envelope.body.data).toMatchObject({ item: item!.id, mode: "away" });
    expect((await logOf(s, "channel.message")).filter((m) => m.envelope.body.actor === agent.did)).toEqual([]);
    expect(await requests(s)).toEqual([]);

    owner.setPresence({ id: s.owner.did, name: "owner", kind: "human", mode: "active" });
    const sent = await watch.until(async () => (await tracesOf(s, agent.did, "agent.asked"))[0]);
    expect(sent.envelope.body.data).toMatchObject({ item: item!.id, from: "queue" });
    const [request] = await requests(s);
    expect(request!.envelope.body).toMatchObject({ approver: "owner", actor: agent.did });
    expect(await attentionOf(s)).toEqual([request!.id]);
    // Sent once: the queue is empty and the next looks find nothing more to send.
    expect((await tracesOf(s, agent.did, "agent.asked")).map((t) => t.envelope.body.data.from)).toEqual(["queue"]);
    owner.close();
  });

  it("back, pushed: with the agent's presence poll an hour away, the owner turning active sends the held ask at once", async () => {
    const { s, agent, watch, owner } = await scene("mode-pushed", "away", 3_600_000);
    const [item] = (await s.write("work.created", { title: "Chase the invoice", domains: ["billing"] })) as Posted[];
    await watch.until(async () => (await tracesOf(s, agent.did, "agent.queued"))[0]);
    expect(await requests(s)).toEqual([]);
    owner.setPresence({ id: s.owner.did, name: "owner", kind: "human", mode: "active" });
    const sent = await watch.until(async () => (await tracesOf(s, agent.did, "agent.asked"))[0]);
    expect(sent.envelope.body.data).toMatchObject({ item: item!.id, from: "queue" });
    expect(await attentionOf(s)).toEqual([(await requests(s))[0]!.id]);
    owner.close();
  });
});
