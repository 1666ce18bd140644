/**
 * Sync and reads: version vectors, missingFor batches in causal order, heads, reopening a
 * replica from storage, and query (type, thread, author, attention, cursor).
 */
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { NodeSql as NodeSqlStorage } from "../../../client/node/sqlite.js";
import { openReplica, seed, seededReplica, SPACE, T0 } from "./fixtures.js";

describe("sync", () => {
  it("brings an empty replica up to date in small causal batches", async () => {
    const { replica, cast } = await seededReplica();
    await new Sequencer(replica, cast.edge).sequence();
    for (let i = 0; i < 5; i++) await replica.append(i % 2 === 0 ? cast.bob : cast.carol, "channel.message", { content: `m${i}` });
    const node = openReplica();
    let rounds = 0;
    for (let batch = replica.missingFor(node.versionVector(), 3); batch.length > 0; batch = replica.missingFor(node.versionVector(), 3)) {
      const results = await node.ingest(batch);
      expect(results.every((result) => result.status === "accepted")).toBe(true);
      rounds++;
    }
    expect(rounds).toBe(3);
    expect(node.versionVector()).toEqual(replica.versionVector());
    expect(node.heads()).toEqual(replica.heads());
    expect(node.commits.frontier).toBe(3);
    expect(replica.missingFor(node.versionVector())).toEqual([]);
  });

  it("two nodes that wrote offline exchange what the other lacks", async () => {
    const { replica: a, cast } = await seededReplica();
    const b = openReplica();
    await b.ingest(a.missingFor({}));
    await a.append(cast.alice, "channel.message", { content: "from a" });
    await b.append(cast.bob, "channel.message", { content: "from b" });
    await a.ingest(b.missingFor(a.versionVector()));
    await b.ingest(a.missingFor(b.versionVector()));
    expect(a.versionVector()).toEqual(b.versionVector());
    expect(a.heads()).toEqual(b.heads());
    expect(a.heads()).toHaveLength(2);
    // The next envelope cites both heads and ends the concurrency.
    const merge = await a.append(cast.carol, "channel.message", { content: "merge" });
    expect(merge.deps).toEqual(b.heads());
  });

  it("reopens from storage with its commit statuses", async () => {
    const sql = new NodeSqlStorage();
    const { cast } = await seededReplica();
    const first = LogReplica.open(sql, SPACE);
    await first.append(cast.alice, "space.created", { owners: [cast.alice.did], sequencer: cast.edge.did });
    const hello = await first.append(cast.alice, "channel.message", { content: "hello" });
    await new Sequencer(first, cast.edge).sequence();
    const again = LogReplica.open(sql, SPACE);
    expect(again.status(hello.id)).toMatchObject({ state: "committed", index: 2 });
    expect(again.versionVector()).toEqual(first.versionVector());
  });
});

describe("query", () => {
  it("filters by type, thread and author, and pages by arrival cursor", async () => {
    const { replica, cast } = await seededReplica();
    const root = await replica.append(cast.bob, "channel.message", { content: "root" });
    const reply = await replica.append(cast.carol, "channel.message", { content: "reply", threadRef: root.id });
    await replica.append(cast.bob, "channel.message", { content: "other" });
    expect(replica.query({ thread: root.id }).envelopes.map((entry) => entry.id)).toEqual([root.id, reply.id]);
    expect(replica.query({ type: "channel.message", author: cast.bob.did }).envelopes).toHaveLength(2);
    const page1 = replica.query({ limit: 4 });
    expect(page1).toMatchObject({ nextCursor: 4, hasMore: true });
    const page2 = replica.query({ since: page1.nextCursor, limit: 4 });
    expect(page2.envelopes.map((entry) => entry.arrival)).toEqual([5, 6]);
    expect(page2).toMatchObject({ nextCursor: 6, hasMore: false });
    expect(replica.query({ since: 6 })).toEqual({ envelopes: [], nextCursor: 6, hasMore: false });
  });

  it("attention: mentions, escalations, and approvals the member can still decide", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    await new Sequencer(replica, edge).sequence();
    const action = { tool: "deploy", params: {}, summary: "deploy" };
    const expiresAt = new Date(T0 + 3_600_000).toISOString();
    const mention = await replica.append(carol, "channel.message", { content: "@bob look", mentions: [bob.did] });
    const escalation = await replica.append(carol, "channel.message", {
      content: "needs a human", toolCalls: [{ tool: "deploy", params: {}, result: "pending_approval", approvalRequired: "human" }],
    });
    const forHumans = await replica.append(carol, "approval.requested", { action, approver: "human", expiresAt }, { now: T0 });
    const forOwners = await replica.append(carol, "approval.requested", { action, approver: "owner", expiresAt }, { now: T0 });
    const expired = await replica.append(carol, "approval.requested", { action, approver: bob.did, expiresAt: new Date(T0).toISOString() });
    const decided = await replica.append(carol, "approval.requested", { action, approver: bob.did, expiresAt }, { now: T0 });
    await replica.append(bob, "approval.decided", { request: decided.id, decision: "approved" }, { now: T0 + 1 });
    const bobs = replica.query({ attention: bob.did, now: T0 + 1000 }).envelopes.map((entry) => entry.id);
    expect(bobs).toEqual([mention.id, escalation.id, forHumans.id]);
    expect(bobs).not.toContain(expired.id);
    expect(replica.query({ attention: alice.did, now: T0 + 1000 }).envelopes.map((entry) => entry.id)).toEqual([forOwners.id]);
    expect(replica.query({ attention: carol.did, now: T0 + 1000 }).envelopes).toEqual([]);
  });

  it("attention leaves out what the sequencer rejected: an observer's mention and approval request", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    const dave = await Ed25519Signer.fromSeed(seed(5));
    await replica.append(alice, "member.added", { member: dave.did, role: "observer", domains: [] });
    await sequencer.sequence();
    const mention = await replica.append(dave, "channel.message", { content: "@bob urgent!!", mentions: [bob.did] });
    const request = await replica.append(dave, "approval.requested", {
      action: { tool: "deploy", params: {}, summary: "deploy" }, approver: bob.did, expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    // Tentative, they still show; once rejected, they are gone from attention (never from the log).
    expect(replica.query({ attention: bob.did }).envelopes.map((entry) => entry.id)).toEqual([mention.id, request.id]);
    await sequencer.sequence();
    expect(replica.status(mention.id)).toMatchObject({ state: "committed", verdict: "rejected" });
    expect(replica.query({ attention: bob.did }).envelopes).toEqual([]);
    expect(replica.has(mention.id) && replica.has(request.id)).toBe(true);
  });
});
