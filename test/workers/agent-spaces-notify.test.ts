/**
 * What a notify costs an agent (issue 12, 100 subscribers), inside workerd: the space's
 * notify carries a summary of what committed (durable-objects/space-agents.ts), the agent's
 * triggers filter it first (durable-objects/agent-spaces-hints.ts), and only an agent whose
 * trigger could match reads the space. Counted, not timed: the requests each agent made to
 * the space (its own count, `memberships(space).requests`) and its cursor row.
 *
 * And the hint is no authority: notifies forged by hand (the agent's RPC, called as only this
 * Worker's objects can) make an agent read and decide on committed state, never act on what
 * the hint claims, and cannot hide a real mention from it.
 *
 * Waiting is on the agent (`heard`: a notify accounted for a commit index; `settled`: a run
 * read past it) or on the space's commits, never on a timer.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshAgent } from "./agent-client.js";
import { addAgent, logOf, stubFor, tracesOf, watcher, type Posted } from "./agent-spaces-support.js";
import { openSpace, type TestSpace } from "./socket-client.js";

const requests = async (name: string, space: string) => ((await stubFor(name).memberships(space)) as { requests: number }).requests;
const cursor = (name: string, space: string) => runInDurableObject(stubFor(name), (_i, state) =>
  Number(state.storage.sql.exec<{ cursor: number }>(`SELECT cursor FROM agent_spaces WHERE space = ?`, space).one().cursor));
const indexOf = (posted: Posted[]) => posted.at(-1)!.commit!.index!;

/** Two agents in one space, both having read it to its end (so each knows where its hints start). */
async function twoAgents(label: string) {
  const s = await openSpace(label);
  const opsName = freshAgent(`${label}-ops`);
  const billingName = freshAgent(`${label}-billing`);
  const ops = await addAgent(s, opsName, ["ops"]);
  const billing = await addAgent(s, billingName, ["billing"]);
  const settle = await s.write("channel.message", { content: "good morning" }) as Posted[];
  await stubFor(opsName).settled(s.space, indexOf(settle));
  await stubFor(billingName).settled(s.space, indexOf(settle));
  return { s, ops: { ...ops, name: opsName }, billing: { ...billing, name: billingName } };
}

async function mine(s: TestSpace, did: string) {
  const by = async (type: string) => (await logOf(s, type)).filter((e) => (e.envelope.body.actor ?? e.envelope.body.data?.agent) === did).length;
  return { claims: await by("work.claimed"), messages: await by("channel.message"), traces: await by("trace.recorded") };
}

describe("notify with a hint", () => {
  it("an agent whose triggers cannot match makes no request and leaves its cursor; the one whose trigger matches reads and claims", async () => {
    const { s, ops, billing } = await twoAgents("notify-cost");
    const watch = await watcher(s);
    const before = { requests: await requests(billing.name, s.space), cursor: await cursor(billing.name, s.space), opsRequests: await requests(ops.name, s.space) };
    let last = 0;
    for (let i = 0; i < 5; i++) last = indexOf((await s.write("channel.message", { content: `status ${i}: all green` })) as Posted[]);
    const [item] = (await s.write("work.created", { title: "Rotate the cert", domains: ["ops"] })) as Posted[];
    last = item!.commit!.index!;
    // The billing agent accounted for every one of those commits…
    await stubFor(billing.name).heard(s.space, last);
    // …without a single request to the space: no log page, no view, no token refresh.
    expect(await requests(billing.name, s.space)).toBe(before.requests);
    expect(await cursor(billing.name, s.space)).toBe(before.cursor);
    // The ops agent's trigger (its domain) matched: it read, and claimed.
    await watch.until(async () => ((await watch.view()).work.find((w) => w.id === item!.id && w.claimant === ops.did) ? true : undefined));
    expect(await requests(ops.name, s.space)).toBeGreaterThan(before.opsRequests);

    // A mention of the billing agent: now it reads (from its cursor, every envelope since) and answers.
    const [mention] = (await s.write("channel.message", { content: "billing, are you there?", mentions: [billing.did] })) as Posted[];
    const reply = await watch.until(async () => (await tracesOf(s, billing.did, "agent.replied"))[0]);
    expect(reply.envelope.body.ref).toBe(mention!.id);
    expect(await requests(billing.name, s.space)).toBeGreaterThan(before.requests);
    expect(await cursor(billing.name, s.space)).toBeGreaterThan(before.cursor);
  });

  it("a forged hint makes the agent read and decide on what committed, never act on what the hint claims", async () => {
    const { s, billing } = await twoAgents("notify-forged");
    const [design] = (await s.write("work.created", { title: "Redraw the logo", domains: ["design"] })) as Posted[];
    const [plain] = (await s.write("channel.message", { content: "lunch at noon", threadRef: design!.id })) as Posted[];
    await stubFor(billing.name).heard(s.space, plain!.commit!.index!);
    const done = await mine(s, billing.did);
    const read = await requests(billing.name, s.space);
    // Forged: the design item "in billing", and the plain message "mentioning" the agent.
    await stubFor(billing.name).notify(s.space, {
      first: plain!.commit!.index! + 1, last: plain!.commit!.index! + 1,
      entries: [
        { id: design!.id, type: "work.created", actor: s.owner.did, item: design!.id, domains: ["billing"], text: "Redraw the logo" },
        { id: plain!.id, type: "channel.message", actor: s.owner.did, mentions: [billing.did], thread: design!.id, text: "lunch at noon" },
      ],
    });
    // `settled` runs after the run the forged notify queued: that run has finished.
    await stubFor(billing.name).settled(s.space, plain!.commit!.index!);
    expect(await requests(billing.name, s.space)).toBeGreaterThan(read); // it read…
    expect(await mine(s, billing.did)).toEqual(done); // …and did nothing: the log says neither
    const acted = (await stubFor(billing.name).memberships(s.space)) as { acted: Array<{ envelope: string }> };
    expect(acted.acted.map((a) => a.envelope)).not.toContain(design!.id);
    expect(acted.acted.map((a) => a.envelope)).not.toContain(plain!.id);
  });

  it("a forged 'nothing for you' hint cannot hide a real mention: the real notify no longer follows on, so the agent reads", async () => {
    const { s, billing } = await twoAgents("notify-hide");
    const watch = await watcher(s);
    const [quiet] = (await s.write("channel.message", { content: "quiet" })) as Posted[];
    const q = quiet!.commit!.index!;
    await stubFor(billing.name).heard(s.space, q);
    // Claims the next 50 commits hold nothing for it.
    await stubFor(billing.name).notify(s.space, { first: q + 1, last: q + 50, entries: [] });
    await stubFor(billing.name).heard(s.space, q + 50);
    const [mention] = (await s.write("channel.message", { content: "billing: the invoice run failed", mentions: [billing.did] })) as Posted[];
    const reply = await watch.until(async () => (await tracesOf(s, billing.did, "agent.replied"))[0]);
    expect(reply.envelope.body.ref).toBe(mention!.id);
  });
});
