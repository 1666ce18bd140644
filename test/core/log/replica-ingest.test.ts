/**
 * LogReplica.ingest: one test per rejection code (each fails without its check), duplicates,
 * fork evidence, and a batch whose bad items do not stop its good ones.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../core/canonical-json.js";
import { parseSpaceId } from "../../../core/ids.js";
import { formatHlc } from "../../../core/log/hlc.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { keys, openReplica, seededReplica, signRaw, SPACE, T0 } from "./fixtures.js";

const FAKE_ID = `sha256:${"ab".repeat(32)}` as EnvelopeId;

describe("LogReplica.ingest", () => {
  it("accepts a valid chain and stores the canonical bytes under their hash", async () => {
    const { alice } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    expect(await replica.ingest([genesis.envelope])).toEqual([{ id: genesis.id, status: "accepted" }]);
    const stored = replica.get(genesis.id)!;
    expect(stored.envelope).toEqual(genesis.envelope);
    expect(`sha256:${createHash("sha256").update(canonicalJson(stored.envelope)).digest("hex")}`).toBe(genesis.id);
    expect(replica.versionVector()).toEqual({ [alice.did]: 1 });
    expect(replica.heads()).toEqual([genesis.id]);
  });

  it("treats a replayed envelope as a duplicate, not an error", async () => {
    const { replica } = await seededReplica();
    const [first] = replica.since(0, 1);
    const wire = { ...first!.envelope, id: first!.id };
    expect(await replica.ingest([wire, first!.envelope])).toEqual([
      { id: first!.id, status: "duplicate" },
      { id: first!.id, status: "duplicate" },
    ]);
    expect(replica.count()).toBe(3);
  });

  it("envelope-malformed: schema violations, bad hlc suffix, genesis rules", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const good = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const notOwner = await signRaw(bob, { type: "space.created", body: { owners: [alice.did] } });
    const results = await replica.ingest([
      "not an object",
      { ...good.envelope, seq: 0 },
      { ...good.envelope, body: { owners: [] } },
      { ...good.envelope, hlc: formatHlc(T0, 0, bob.did) },
      notOwner.envelope,
    ]);
    expect(results.map((result) => result.code)).toEqual(Array(5).fill("envelope-malformed"));
    expect(replica.count()).toBe(0);
  });

  it("envelope-unknown-type", async () => {
    const { alice } = await keys();
    const good = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const [result] = await openReplica().ingest([{ ...good.envelope, type: "space.deleted" }]);
    expect(result).toMatchObject({ status: "rejected", code: "envelope-unknown-type" });
  });

  it("envelope-too-large: over 64 KiB of canonical JSON", async () => {
    const { alice } = await keys();
    const good = await signRaw(alice, { type: "channel.message", body: { content: "hi" } });
    const [result] = await openReplica().ingest([{ ...good.envelope, body: { content: "€".repeat(22_000) } }]);
    expect(result).toMatchObject({ status: "rejected", code: "envelope-too-large" });
  });

  it("envelope-wrong-space", async () => {
    const { alice } = await keys();
    const other = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] }, space: parseSpaceId("other") });
    const [result] = await openReplica().ingest([other.envelope]);
    expect(result).toMatchObject({ status: "rejected", code: "envelope-wrong-space" });
  });

  it("envelope-bad-signature: any altered field", async () => {
    const { alice, bob } = await keys();
    const good = await signRaw(alice, { type: "channel.message", body: { content: "deploy" } });
    const results = await openReplica().ingest([
      { ...good.envelope, body: { content: "rm -rf" } },
      { ...good.envelope, author: bob.did, hlc: formatHlc(T0 + 1, 0, bob.did) },
    ]);
    expect(results.map((result) => result.code)).toEqual(["envelope-bad-signature", "envelope-bad-signature"]);
  });

  it("envelope-id-mismatch: the wire id is not the hash", async () => {
    const { alice } = await keys();
    const good = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const [result] = await openReplica().ingest([{ ...good.envelope, id: FAKE_ID }]);
    expect(result).toMatchObject({ status: "rejected", code: "envelope-id-mismatch", id: good.id });
  });

  it("envelope-seq-gap: rejected until the missing envelope arrives, then accepted", async () => {
    const { alice } = await keys();
    const replica = openReplica();
    const first = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const second = await signRaw(alice, { type: "channel.message", body: { content: "2" }, seq: 2, prev: first.id });
    expect(await replica.ingest([second.envelope])).toMatchObject([{ code: "envelope-seq-gap" }]);
    expect(await replica.ingest([first.envelope, second.envelope])).toMatchObject([{ status: "accepted" }, { status: "accepted" }]);
  });

  it("envelope-prev-mismatch", async () => {
    const { alice } = await keys();
    const replica = openReplica();
    const first = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const second = await signRaw(alice, { type: "channel.message", body: { content: "2" }, seq: 2, prev: FAKE_ID });
    expect(await replica.ingest([first.envelope, second.envelope])).toMatchObject([{ status: "accepted" }, { code: "envelope-prev-mismatch" }]);
  });

  it("envelope-fork: kept as evidence, author flagged", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did, bob.did] } });
    const one = await signRaw(bob, { type: "channel.message", body: { content: "one" } });
    const other = await signRaw(bob, { type: "channel.message", body: { content: "other" } });
    const results = await replica.ingest([genesis.envelope, one.envelope, other.envelope, other.envelope]);
    expect(results.map((result) => result.code ?? result.status)).toEqual(["accepted", "accepted", "envelope-fork", "envelope-fork"]);
    expect(replica.forkedAuthors()).toEqual([bob.did]);
    expect(replica.forkEvidence()).toEqual([{ id: other.id, conflictsWith: one.id, envelope: other.envelope }]);
    expect(replica.has(other.id)).toBe(false);
  });

  it("envelope-deps-missing: held back until the dep is held", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did, bob.did] } });
    const reply = await signRaw(bob, { type: "channel.message", body: { content: "ack" }, deps: [genesis.id] });
    expect(await replica.ingest([reply.envelope])).toMatchObject([{ code: "envelope-deps-missing" }]);
    expect(await replica.ingest([genesis.envelope, reply.envelope])).toMatchObject([{ status: "accepted" }, { status: "accepted" }]);
    expect(replica.heads()).toEqual([reply.id]);
  });

  it("envelope-hlc-regressed: not after prev, or not after a dep", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did, bob.did] }, hlc: formatHlc(T0 + 10, 0, alice.did) });
    const early = await signRaw(alice, { type: "channel.message", body: { content: "x" }, seq: 2, prev: genesis.id, hlc: formatHlc(T0 + 10, 0, alice.did) });
    const beforeDep = await signRaw(bob, { type: "channel.message", body: { content: "y" }, deps: [genesis.id], hlc: formatHlc(T0 + 5, 0, bob.did) });
    const results = await replica.ingest([genesis.envelope, early.envelope, beforeDep.envelope]);
    expect(results.map((result) => result.code ?? result.status)).toEqual(["accepted", "envelope-hlc-regressed", "envelope-hlc-regressed"]);
  });

  it("envelope-genesis-conflict: a second space.created", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const first = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    const second = await signRaw(bob, { type: "space.created", body: { owners: [bob.did] } });
    expect(await replica.ingest([first.envelope, second.envelope])).toMatchObject([{ status: "accepted" }, { code: "envelope-genesis-conflict" }]);
  });

  it("lands the good items of a batch that also holds bad ones", async () => {
    const { alice, bob } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did, bob.did] } });
    const hello = await signRaw(bob, { type: "channel.message", body: { content: "hello" }, deps: [genesis.id] });
    const bye = await signRaw(bob, { type: "channel.message", body: { content: "bye" }, seq: 2, prev: hello.id, deps: [] });
    const results = await replica.ingest([
      null,
      genesis.envelope,
      { ...hello.envelope, sig: bye.envelope.sig },
      hello.envelope,
      { ...bye.envelope, type: "nope" },
      bye.envelope,
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "accepted", "rejected", "accepted", "rejected", "accepted"]);
    expect(replica.versionVector()).toEqual({ [alice.did]: 1, [bob.did]: 2 });
  });

  it("envelope-not-member: a stranger's envelopes are refused and not stored; a member added later writes", async () => {
    const { alice, bob, carol } = await keys();
    const replica = openReplica();
    const genesis = await signRaw(alice, { type: "space.created", body: { owners: [alice.did] } });
    await replica.ingest([genesis.envelope]);
    const stranger = await signRaw(bob, { type: "channel.message", body: { content: "let me in" }, deps: [genesis.id] });
    const joined = await signRaw(carol, { type: "channel.message", body: { content: "me too" }, deps: [genesis.id] });
    expect(await replica.ingest([stranger.envelope, joined.envelope])).toMatchObject([
      { status: "rejected", code: "envelope-not-member" },
      { status: "rejected", code: "envelope-not-member" },
    ]);
    expect(replica.count()).toBe(1);
    expect(replica.versionVector()).toEqual({ [alice.did]: 1 });
    // alice adds carol: from then on carol's envelopes are let in (and judged at commit).
    const added = await signRaw(alice, { type: "member.added", body: { member: carol.did, role: "agent", domains: [] }, seq: 2, prev: genesis.id, hlc: formatHlc(T0 + 5, 0, alice.did) });
    expect(await replica.ingest([added.envelope, joined.envelope])).toMatchObject([{ status: "accepted" }, { status: "accepted" }]);
    expect(await replica.ingest([stranger.envelope])).toMatchObject([{ code: "envelope-not-member" }]);
  });

  it("envelope-not-member: a member removed later stays a writer, so its history syncs to a new replica", async () => {
    const { replica, cast } = await seededReplica();
    await replica.append(cast.carol, "channel.message", { content: "before removal" }, { now: T0 + 3 });
    await replica.append(cast.alice, "member.removed", { member: cast.carol.did }, { now: T0 + 4 });
    await replica.append(cast.carol, "channel.message", { content: "after removal: judged at commit" }, { now: T0 + 5 });
    const fresh = openReplica();
    const results = await fresh.ingest(replica.missingFor({}));
    expect(results.every((result) => result.status === "accepted")).toBe(true);
    expect(fresh.count()).toBe(replica.count());
  });

  it("envelope-hlc-in-future: a stamp more than 5 minutes ahead is refused unstored, and every writer keeps writing", async () => {
    const { replica, cast } = await seededReplica();
    const now = T0 + 60_000;
    const tip = replica.writerState(cast.bob.did);
    const ahead = (ms: number) => signRaw(cast.bob, { type: "channel.message", body: { content: "from the future" }, deps: tip.heads.map((h) => h.id).sort(), hlc: formatHlc(now + ms, 0, cast.bob.did) });
    const far = await ahead(100 * 365 * 24 * 3600 * 1000);
    const justOver = await ahead(5 * 60 * 1000 + 1);
    const within = await ahead(5 * 60 * 1000);
    const before = replica.count();
    expect(await replica.ingest([far.envelope, justOver.envelope], { now })).toMatchObject([
      { status: "rejected", code: "envelope-hlc-in-future" },
      { status: "rejected", code: "envelope-hlc-in-future" },
    ]);
    expect(replica.count()).toBe(before);
    expect(await replica.ingest([within.envelope], { now })).toMatchObject([{ status: "accepted" }]);
    // The sequencer and others still write: their stamps follow the held ones, within the bound.
    const next = await replica.append(cast.edge, "commit", { entries: [{ id: within.id, index: 1, verdict: "accepted" }] }, { now });
    expect(next.hlc > within.envelope.hlc).toBe(true);
  });

  it("rate-limited: the per-author quota counts only verified, live envelopes; forged ones spend nobody's", async () => {
    const { replica, cast } = await seededReplica();
    const { limiterFor } = await import("./rate-fixture.js");
    const now = T0 + 60_000;
    const rate = limiterFor(2, now);
    const deps = replica.heads();
    const live = async (seq: number, prev: EnvelopeId | null, content: string) =>
      signRaw(cast.bob, { type: "channel.message", body: { content }, seq, prev, deps: seq === 1 ? deps : [], hlc: formatHlc(now - 10 + seq, 0, cast.bob.did) });
    const one = await live(1, null, "one");
    // Forged "bob" envelopes (bad signatures) are refused before the quota is asked.
    const forged = [{ ...one.envelope, body: { content: "forged a" } }, { ...one.envelope, body: { content: "forged b" } }];
    expect((await replica.ingest(forged, { now, rate })).map((r) => r.code)).toEqual(["envelope-bad-signature", "envelope-bad-signature"]);
    expect(await replica.ingest([one.envelope], { now, rate })).toMatchObject([{ status: "accepted" }]);
    const two = await live(2, one.id, "two");
    expect(await replica.ingest([two.envelope], { now, rate })).toMatchObject([{ status: "accepted" }]);
    const three = await live(3, two.id, "three");
    const before = replica.count();
    expect(await replica.ingest([three.envelope], { now, rate })).toMatchObject([{ status: "rejected", code: "rate-limited", message: expect.stringContaining("retry after") }]);
    expect(replica.count()).toBe(before);
    // Old history (a node re-hosting the space) is not charged.
    const { replica: fresh } = await seededReplica();
    expect((await fresh.ingest([one.envelope, two.envelope, three.envelope], { now: now + 3_600_000, rate: limiterFor(0.5, now) })).map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);
  });

  it("refuses to open one storage for two spaces", async () => {
    const { NodeSql: NodeSqlStorage } = await import("../../../client/node/sqlite.js");
    const { LogReplica } = await import("../../../core/log/replica.js");
    const sql = new NodeSqlStorage();
    LogReplica.open(sql, SPACE);
    expect(() => LogReplica.open(sql, parseSpaceId("elsewhere"))).toThrowError(expect.objectContaining({ code: "log-space-mismatch" }));
    expect(LogReplica.open(sql, SPACE).count()).toBe(0);
  });
});
