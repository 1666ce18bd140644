/**
 * The actor rule: the tool host (the space's sequencer key) writes on behalf of verified
 * callers; such envelopes are judged and attributed as the actor's, and refused from
 * anyone else.
 */
import { describe, expect, it } from "vitest";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { actorOf } from "../../../core/log/actor.js";
import { buildView } from "../../../core/views/build.js";
import { seed, seededReplica } from "../log/fixtures.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";

function verdictOf(replica: LogReplica, id: EnvelopeId) {
  const status = replica.status(id);
  return status.state === "committed" ? { verdict: status.verdict, reason: status.reason } : { verdict: status.state };
}

describe("actor rule", () => {
  it("the tool host acts for members; views attribute to the actor", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    await sequencer.sequence();
    const item = await replica.append(edge, "work.created", { title: "Poster", domains: ["infra"], clock: "LF", actor: carol.did });
    const message = await replica.append(edge, "channel.message", { content: "on it", actor: carol.did });
    const claim = await replica.append(edge, "work.claimed", { item: item.id, actor: carol.did });
    const rival = await replica.append(bob, "work.claimed", { item: item.id });
    const request = await replica.append(edge, "approval.requested", {
      action: { tool: "deploy", params: {}, summary: "deploy" }, approver: "owner", expiresAt: new Date(Date.now() + 3_600_000).toISOString(), actor: carol.did,
    });
    const byAgent = await replica.append(edge, "approval.decided", { request: request.id, decision: "approved", actor: carol.did });
    const byOwner = await replica.append(edge, "approval.decided", { request: request.id, decision: "approved", actor: alice.did });
    await sequencer.sequence();
    expect(actorOf(replica.get(item.id)!.envelope)).toBe(carol.did);
    for (const id of [item.id, message.id, claim.id, request.id, byOwner.id]) expect(verdictOf(replica, id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, rival.id)).toEqual({ verdict: "rejected", reason: `already claimed by ${carol.did}` });
    expect(verdictOf(replica, byAgent.id)).toEqual({ verdict: "rejected", reason: "a requester cannot decide its own request: another approver must" });
    const view = buildView(replica.since(0));
    expect(view.committed.work.get(item.id)).toMatchObject({ createdBy: carol.did, claimant: carol.did, clock: "LF", status: "claimed" });
    expect(view.committed.approvals.get(request.id)).toMatchObject({ requestedBy: carol.did, decidedBy: alice.did, status: "approved" });
    expect(view.channel.messages.find((m) => m.id === message.id)).toMatchObject({ author: edge.did, sender: carol.did });
    // carol herself (the claimant) may release what the host claimed for her.
    const release = await replica.append(carol, "work.released", { item: item.id });
    await sequencer.sequence();
    expect(verdictOf(replica, release.id)).toMatchObject({ verdict: "accepted" });
  });

  it("refuses `actor` from anyone but the sequencer, and for non-members", async () => {
    const { replica, cast } = await seededReplica();
    const { bob, carol, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    await sequencer.sequence();
    const mallory = await Ed25519Signer.fromSeed(seed(7));
    const forged = await replica.append(bob, "channel.message", { content: "I am carol", actor: carol.did });
    const selfNamed = await replica.append(bob, "channel.message", { content: "me", actor: bob.did });
    const outsider = await replica.append(edge, "channel.message", { content: "hi", actor: mallory.did });
    await sequencer.sequence();
    const reason = `only the space's tool host (its sequencer ${edge.did}) may act on behalf of another`;
    expect(verdictOf(replica, forged.id)).toEqual({ verdict: "rejected", reason });
    expect(verdictOf(replica, selfNamed.id)).toEqual({ verdict: "rejected", reason });
    expect(verdictOf(replica, outsider.id)).toEqual({ verdict: "rejected", reason: `${mallory.did} is not a member of this space` });
  });

  it("after a hand-over, views trust only the new sequencer as tool host", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    await new Sequencer(replica, edge).sequence();
    await replica.append(alice, "sequencer.appointed", { sequencer: bob.did, fromIndex: 4 });
    const byOld = await replica.append(edge, "channel.message", { content: "old host", actor: carol.did });
    const byNew = await replica.append(bob, "channel.message", { content: "new host", actor: carol.did });
    const view = buildView(replica.since(0));
    expect(view.current.sequencer).toBe(bob.did);
    expect(view.verdicts.get(byOld.id)).toMatchObject({ state: "tentative", verdict: "rejected" });
    expect(view.verdicts.get(byNew.id)).toMatchObject({ state: "tentative", verdict: "accepted" });
  });
});
