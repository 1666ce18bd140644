/**
 * The sequencer: gapless indexes, authority judged against the committed view, concurrent
 * claims, approvals, and handing the role over with `sequencer.appointed`.
 */
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { describe, expect, it } from "vitest";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { buildView } from "../../../core/views/build.js";
import { keys, openReplica, seed, seededReplica, T0 } from "./fixtures.js";

function verdictOf(replica: LogReplica, id: EnvelopeId): { verdict: string; reason?: string | undefined } {
  const status = replica.status(id);
  return status.state === "committed" ? { verdict: status.verdict, reason: status.reason } : { verdict: status.state };
}

describe("Sequencer", () => {
  it("commits everything pending with gapless indexes, once", async () => {
    const { replica, cast } = await seededReplica();
    const sequencer = new Sequencer(replica, cast.edge);
    expect(sequencer.isActive()).toBe(true);
    const first = await sequencer.sequence();
    expect(first.entries.map((entry) => [entry.index, entry.verdict])).toEqual([[1, "accepted"], [2, "accepted"], [3, "accepted"]]);
    expect(first.receipts).toHaveLength(1);
    expect((await sequencer.sequence()).entries).toEqual([]);
    const message = await replica.append(cast.bob, "channel.message", { content: "hi" });
    expect(replica.status(message.id)).toEqual({ state: "tentative" });
    expect((await sequencer.sequence()).entries).toEqual([{ id: message.id, index: 4, verdict: "accepted" }]);
    expect(replica.status(message.id)).toMatchObject({ state: "committed", index: 4, verdict: "accepted" });
    expect(replica.status(first.receipts[0]!)).toEqual({ state: "unsequenced" });
    expect(replica.commits.frontier).toBe(4);
  });

  it("answers a batch's statuses and envelopes in one read as one by one (committed, rejected, tentative, unsequenced, absent)", async () => {
    const { replica, cast } = await seededReplica();
    const sequencer = new Sequencer(replica, cast.edge);
    const { receipts } = await sequencer.sequence();
    const rejected = await replica.append(cast.bob, "member.added", { member: cast.bob.did, role: "owner", domains: [] });
    await sequencer.sequence();
    const tentative = await replica.append(cast.carol, "channel.message", { content: "not yet" });
    const absent = `sha256:${"0".repeat(64)}` as EnvelopeId;
    const ids = [...replica.since(0).map((stored) => stored.id), absent];
    expect(ids).toEqual(expect.arrayContaining([rejected.id, tentative.id, receipts[0]!]));
    const batched = replica.statuses(ids);
    expect([...batched.keys()]).toEqual(ids);
    for (const id of ids) expect(batched.get(id)).toEqual(replica.status(id));
    expect(batched.get(rejected.id)).toMatchObject({ state: "committed", verdict: "rejected" });
    expect(batched.get(tentative.id)).toEqual({ state: "tentative" });
    expect(batched.get(receipts[0]!)).toEqual({ state: "unsequenced" });
    // In the order asked, absent ids left out.
    const reversed = [...ids].reverse();
    expect(replica.getMany(reversed)).toEqual(reversed.flatMap((id) => { const one = replica.get(id); return one ? [one] : []; }));
  });

  it("does nothing when its key is not the space's sequencer", async () => {
    const { replica, cast } = await seededReplica();
    expect(await new Sequencer(replica, cast.bob).sequence()).toEqual({ entries: [], receipts: [] });
    expect(replica.commits.frontier).toBe(0);
  });

  it("judges authority against the committed view", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    const mallory = await Ed25519Signer.fromSeed(seed(9)); // not a member (the sequencer's own key may speak as the tool host)
    const byBob = await replica.append(bob, "member.added", { member: bob.did, role: "owner", domains: [] });
    const policyByCarol = await replica.append(carol, "policy.set", { tool: "deploy", tier: 1 });
    const policyByAlice = await replica.append(alice, "policy.set", { tool: "deploy", tier: 3, approver: "owner" });
    // A stranger is stopped at the door: refused at ingest, never stored, never judged.
    await expect(replica.append(mallory, "channel.message", { content: "let me in" })).rejects.toMatchObject({ code: "envelope-not-member" });
    const observerAdd = await replica.append(alice, "member.added", { member: carol.did, role: "observer", domains: [] });
    await sequencer.sequence();
    const afterDemotion = await replica.append(carol, "channel.message", { content: "still here?" });
    await sequencer.sequence();
    expect(verdictOf(replica, byBob.id)).toEqual({ verdict: "rejected", reason: "only owners can change members" });
    expect(verdictOf(replica, policyByCarol.id)).toEqual({ verdict: "rejected", reason: "only owners can change policy" });
    expect(verdictOf(replica, policyByAlice.id)).toEqual({ verdict: "accepted", reason: undefined });
    expect(replica.versionVector()[mallory.did]).toBeUndefined();
    expect(verdictOf(replica, observerAdd.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, afterDemotion.id)).toEqual({ verdict: "rejected", reason: "observers can read but not write" });
    const view = buildView(replica.since(0));
    expect(view.committed.policies.get("deploy")).toMatchObject({ tier: 3, setBy: alice.did });
    expect(view.committed.epoch).toBe(4);
  });

  it("two concurrent claims: exactly one wins and the loser sees why", async () => {
    const { replica: edgeReplica, cast } = await seededReplica();
    const { bob, carol, edge } = cast;
    // Membership is control plane: it must be committed before bob and carol may act.
    await new Sequencer(edgeReplica, edge).sequence();
    const item = await edgeReplica.append(bob, "work.created", { title: "Roll back eu-west" });
    // bob and carol each claim on their own replica, without seeing the other's claim.
    const bobNode = openReplica();
    const carolNode = openReplica();
    for (const node of [bobNode, carolNode]) await node.ingest(edgeReplica.missingFor(node.versionVector()));
    const bobClaim = await bobNode.append(bob, "work.claimed", { item: item.id });
    const carolClaim = await carolNode.append(carol, "work.claimed", { item: item.id });
    await edgeReplica.ingest(carolNode.missingFor(edgeReplica.versionVector()));
    await edgeReplica.ingest(bobNode.missingFor(edgeReplica.versionVector()));
    // Before commit, every replica that holds both shows the same tentative winner.
    const tentative = buildView(edgeReplica.since(0)).current.work.get(item.id)!;
    await new Sequencer(edgeReplica, edge).sequence();
    const verdicts = [bobClaim.id, carolClaim.id].map((id) => verdictOf(edgeReplica, id));
    const winner = verdicts[0]!.verdict === "accepted" ? bob.did : carol.did;
    expect(tentative.claimant).toBe(winner);
    expect(verdicts.filter((verdict) => verdict.verdict === "accepted")).toHaveLength(1);
    expect(verdicts.find((verdict) => verdict.verdict === "rejected")!.reason).toBe(`already claimed by ${winner}`);
    // The claims' author nodes converge on the same committed winner after sync.
    for (const node of [bobNode, carolNode]) {
      await node.ingest(edgeReplica.missingFor(node.versionVector()));
      expect(buildView(node.since(0)).committed.work.get(item.id)!.claimant).toBe(winner);
    }
  });

  it("approval.decided needs the authority the request names, before expiry", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    const action = { tool: "deploy", params: { region: "eu-west" }, summary: "Deploy the fix" };
    const forOwner = await replica.append(carol, "approval.requested", { action, approver: "owner", expiresAt: new Date(T0 + 3_600_000).toISOString() }, { now: T0 + 10 });
    const forBob = await replica.append(carol, "approval.requested", { action, approver: bob.did, expiresAt: new Date(T0 + 20).toISOString() }, { now: T0 + 11 });
    const byBob = await replica.append(bob, "approval.decided", { request: forOwner.id, decision: "approved" }, { now: T0 + 12 });
    const byAlice = await replica.append(alice, "approval.decided", { request: forOwner.id, decision: "approved" }, { now: T0 + 13 });
    const again = await replica.append(alice, "approval.decided", { request: forOwner.id, decision: "rejected" }, { now: T0 + 14 });
    const late = await replica.append(bob, "approval.decided", { request: forBob.id, decision: "approved" }, { now: T0 + 60_000 });
    await sequencer.sequence();
    expect(verdictOf(replica, byBob.id)).toEqual({ verdict: "rejected", reason: "this request needs owner to decide (by the deploy policy)" });
    expect(verdictOf(replica, byAlice.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, again.id)).toEqual({ verdict: "rejected", reason: "the request was already approved" });
    expect(verdictOf(replica, late.id)).toMatchObject({ verdict: "rejected", reason: expect.stringContaining("expired") });
    expect(buildView(replica.since(0)).committed.approvals.get(forOwner.id)).toMatchObject({ status: "approved", decidedBy: alice.did });
  });

  it("an owner hands the role over; the old prefix keeps its indexes", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    await new Sequencer(replica, edge).sequence();
    const before = replica.commits.committed().map((receipt) => [receipt.id, receipt.index]);
    // A non-owner's appointment does not count.
    await replica.append(carol, "sequencer.appointed", { sequencer: carol.did, fromIndex: 4 });
    expect(replica.commits.nextSequencer).toBe(edge.did);
    await replica.append(alice, "sequencer.appointed", { sequencer: bob.did, fromIndex: 4 });
    expect(replica.commits.nextSequencer).toBe(bob.did);
    expect(await new Sequencer(replica, edge).sequence()).toEqual({ entries: [], receipts: [] });
    const message = await replica.append(carol, "channel.message", { content: "new sequencer?" });
    const next = await new Sequencer(replica, bob).sequence();
    expect(next.entries).toEqual([{ id: message.id, index: 4, verdict: "accepted" }]);
    expect(replica.status(message.id)).toMatchObject({ state: "committed", index: 4 });
    expect(replica.commits.committed().slice(0, 3).map((receipt) => [receipt.id, receipt.index])).toEqual(before);
    expect(replica.commits.sequencerRanges()).toEqual([{ from: 1, sequencer: edge.did }, { from: 4, sequencer: bob.did }]);
  });

  it("after a hand-over, the old sequencer's receipts past it are ignored and re-sequenced", async () => {
    const { replica: edgeReplica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    await new Sequencer(edgeReplica, edge).sequence();
    const aliceNode = openReplica();
    await aliceNode.ingest(edgeReplica.missingFor({}));
    // Split brain: the edge keeps sequencing while alice, offline, appoints carol from index 4.
    const onEdge = await edgeReplica.append(bob, "channel.message", { content: "edge side" });
    await new Sequencer(edgeReplica, edge).sequence();
    expect(edgeReplica.status(onEdge.id)).toMatchObject({ state: "committed", index: 4 });
    await aliceNode.append(alice, "sequencer.appointed", { sequencer: carol.did, fromIndex: 4, reason: "edge unreachable" });
    const onNode = await aliceNode.append(alice, "channel.message", { content: "node side" });
    const carolOnNode = new Sequencer(aliceNode, carol);
    await carolOnNode.sequence();
    // Heal the partition.
    await aliceNode.ingest(edgeReplica.missingFor(aliceNode.versionVector()));
    await edgeReplica.ingest(aliceNode.missingFor(edgeReplica.versionVector()));
    for (const replica of [edgeReplica, aliceNode]) {
      expect(replica.status(onNode.id)).toMatchObject({ state: "committed", index: 4 });
      expect(replica.status(onEdge.id)).toEqual({ state: "tentative" });
      expect(replica.commits.nextSequencer).toBe(carol.did);
    }
    expect(new Sequencer(edgeReplica, edge).isActive()).toBe(false);
    await carolOnNode.sequence();
    await edgeReplica.ingest(aliceNode.missingFor(edgeReplica.versionVector()));
    for (const replica of [edgeReplica, aliceNode]) {
      expect(replica.status(onEdge.id)).toMatchObject({ state: "committed", index: 5, verdict: "accepted" });
      expect(replica.commits.committed().map((receipt) => receipt.id)).toEqual(aliceNode.commits.committed().map((receipt) => receipt.id));
    }
  });
});
