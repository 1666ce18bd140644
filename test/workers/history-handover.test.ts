/**
 * A sequencer hand-over whose `fromIndex` lies inside the edge's sealed history (docs/SIGNED-LOG.md,
 * "Sealed segments"), in workerd with the local R2 bucket. The edge keeps storing posts and
 * counting the new sequencer's receipts, but its committed state would have to be folded again
 * from sealed text, which it cannot read synchronously: every read of that state is refused
 * with `history-resequenced` and `commons host` named. The host path then works: the edge's
 * storage wiped, a node's full copy (its own replica and sequencer, the appointed key) posted
 * again rebuilds it, and the edge answers the same committed state the node folded.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica, type WireEnvelope } from "../../core/log/replica.js";
import { Sequencer } from "../../core/state/sequencer.js";
import type { SpaceDO } from "../../durable-objects/space.js";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { chainWriter } from "./chain-writer.js";
import { call, freshSpace } from "./socket-client.js";

const SEGMENT = 20;
const stubFor = (space: string) => env.SPACES.get(env.SPACES.idFromName(space));
type Results = Array<{ id?: string; status: string; code?: string; commit?: { state: string } }>;

describe("a sequencer hand-over into sealed history", () => {
  it("is refused with history-resequenced on every read of the committed state; a wiped edge rebuilt from the node's full copy serves it", async () => {
    const space = freshSpace("handover");
    const [owner, node] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate()]);
    const { sequencer: edgeKey } = (await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string };
    const chain = chainWriter(space, owner);
    const post = async (envelopes: unknown[]) => {
      const res = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) });
      return { status: res.status, body: (await res.json()) as { results?: Results; error?: { code: string; message: string } } };
    };
    await chain.write("space.created", { owners: [owner.did], sequencer: edgeKey as never });
    for (let i = 0; i < 100; i++) await chain.write("channel.message", { content: `message ${i}` });
    const first = await post(chain.envelopes.splice(0));
    expect(first.body.results?.every((r) => r.commit?.state === "committed")).toBe(true);
    // The edge's whole log (the node's copy, as a synced node would hold it), then sealed in segments of 20.
    const { held, sealed } = await runInDurableObject(stubFor(space), async (instance: SpaceDO) => {
      const held = instance["log"].replica.since(0).map((s) => ({ ...s.envelope, id: s.id }) as WireEnvelope);
      instance.history.segmentEnvelopes = SEGMENT;
      await instance.history.sealDue();
      return { held, sealed: instance.history.sealedThrough() };
    });
    expect(sealed).toBe(100);
    const token = await issueCapability(owner, { sub: owner.did, space, tools: ["*"], tier: 4, epoch: 1, ttlSeconds: 3600 });
    const auth = { headers: { Authorization: `Bearer ${token}` } };

    await chain.write("sequencer.appointed", { sequencer: node.did, fromIndex: 5 });
    const appointment = chain.envelopes.splice(0) as WireEnvelope[];
    const appointed = await post(appointment);
    // Stored and acted on (the new sequencer is in charge from index 5), but the space's
    // committed state can no longer be folded here, and the answer says so and what to do.
    const refused = { status: 503, body: { error: { code: "history-resequenced", message: expect.stringContaining("commons host <space-url>") } } };
    expect(appointed).toEqual(refused);
    expect(appointed.body.error?.message).toContain("hand-over from index 5");
    const edge = await runInDurableObject(stubFor(space), (instance: SpaceDO) => {
      const replica = instance["log"].replica;
      return { has: replica.has(appointment[0]!.id), next: replica.commits.nextSequencer, frontier: replica.commits.frontier };
    });
    expect(edge).toEqual({ has: true, next: node.did, frontier: 4 });
    for (const path of ["log/state", "view", "log?limit=5"]) {
      const res = await call(`/s/${space}/${path}`, auth);
      expect({ status: res.status, body: await res.json() }).toEqual(refused);
    }
    // Sent again it is a duplicate; a new post is stored, tentative (the node sequences now).
    expect(await post(appointment)).toMatchObject({ status: 200, body: { results: [{ status: "duplicate" }] } });
    await chain.write("channel.message", { content: "after the hand-over" });
    const late = chain.envelopes.splice(0) as WireEnvelope[];
    expect(await post(late)).toMatchObject({ status: 200, body: { results: [{ status: "accepted", commit: { state: "tentative" } }] } });

    // The node: a full copy on a storage of its own, sequencing with the appointed key.
    const nodeSide = await runInDurableObject(stubFor(freshSpace("node-copy")), async (_instance, state) => {
      const copy = LogReplica.open(new DurableObjectSql(state.storage), parseSpaceId(space));
      const accepted = (await copy.ingest([...held, ...appointment, ...late])).filter((r) => r.status === "accepted").length;
      const { entries, receipts } = await new Sequencer(copy, node).sequence();
      const all = copy.since(0).map((s) => ({ ...s.envelope, id: s.id }) as WireEnvelope);
      return { accepted, entries, receipts: all.filter((e) => receipts.includes(e.id)), all, frontier: copy.commits.frontier, members: [...new Sequencer(copy, node).committed().members.keys()] };
    });
    expect(nodeSide.accepted).toBe(held.length + 2);
    expect(nodeSide.entries[0]).toMatchObject({ index: 5, verdict: "accepted" });
    // Its receipts are stored and count at the edge (the commit index needs no sealed text), but
    // the answer, which rechecks the sockets' rights against the committed state, is the refusal.
    expect(await post(nodeSide.receipts)).toEqual(refused);
    const counted = await runInDurableObject(stubFor(space), (instance: SpaceDO) => {
      const replica = instance["log"].replica;
      return { receipts: nodeSide.receipts.every((r) => replica.has(r.id)), frontier: replica.commits.frontier, late: replica.status(late[0]!.id) };
    });
    expect(counted).toMatchObject({ receipts: true, frontier: nodeSide.frontier, late: { state: "committed", verdict: "accepted" } });
    const stillRefused = await call(`/s/${space}/view`, auth);
    expect({ status: stillRefused.status, body: await stillRefused.json() }).toEqual(refused);

    // The host path: the edge's storage is wiped, and the node's full copy is posted again.
    await runInDurableObject(stubFor(space), (_instance, state) => state.storage.deleteAll());
    await evictDurableObject(stubFor(space));
    for (let i = 0; i < nodeSide.all.length; i += 256) {
      const pushed = await post(nodeSide.all.slice(i, i + 256));
      expect(pushed.status).toBe(200);
      expect(pushed.body.results?.filter((r) => r.status !== "accepted")).toEqual([]);
    }
    const state = (await (await call(`/s/${space}/log/state`, auth)).json()) as { frontier: number; activeSequencer: string; sealed: { segments: number } };
    expect(state).toMatchObject({ frontier: nodeSide.frontier, activeSequencer: node.did, sealed: { segments: 0 } });
    const view = await call(`/s/${space}/view`, auth);
    expect(view.status).toBe(200);
    const body = (await view.json()) as { members: Array<{ did: string }> };
    expect(body.members.map((m) => m.did).sort()).toEqual([...nodeSide.members].sort());
  });
});
