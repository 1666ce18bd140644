/**
 * core/log/audit.ts: a log written through LogReplica passes; any change made behind the
 * replica's back — an altered envelope, a re-hashed id, a deleted row, a stale tip or head
 * — is found. `auditSince` checks only what arrived after a verified point, trusting the
 * prefix after cheap checks, and `auditLog` with that point finds a prefix that changed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NodeSql } from "../../client/node/sqlite.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { auditLog, auditSince, chainStart, chainStep, type VerifiedPoint } from "../../core/log/audit.js";
import { LogReplica } from "../../core/log/replica.js";

const space = parseSpaceId("audit-1");
let sql: NodeSql;
let replica: LogReplica;
let alice: Ed25519Signer;
let bob: Ed25519Signer;

beforeEach(async () => {
  sql = new NodeSql();
  replica = LogReplica.open(sql, space);
  [alice, bob] = [await Ed25519Signer.generate(), await Ed25519Signer.generate()];
  await replica.append(alice, "space.created", { owners: [alice.did] });
  await replica.append(alice, "member.added", { member: bob.did, role: "human", domains: [] });
  for (let i = 0; i < 5; i++) {
    await replica.append(alice, "channel.message", { content: `alice ${i}` });
    await replica.append(bob, "channel.message", { content: `bob ${i}` });
  }
});

const codes = async () => (await auditLog(sql, space)).problems.map((p) => p.code);

describe("auditLog", () => {
  it("passes a log written through the replica", async () => {
    expect(await auditLog(sql, space)).toMatchObject({ ok: true, envelopes: 12, checked: 12, mode: "full", problems: [] });
  });

  it("finds an altered body (the signature no longer verifies)", async () => {
    sql.exec(`UPDATE log_envelopes SET text = replace(text, 'bob 2', 'bob 9') WHERE text LIKE '%bob 2%'`);
    expect(await codes()).toEqual(["audit-envelope-invalid"]);
  });

  it("finds an id that is not the hash of its text, and the chain it breaks", async () => {
    sql.exec(`UPDATE log_envelopes SET id = 'sha256:' || substr('0000000000000000000000000000000000000000000000000000000000000000', 1, 64) WHERE arrival = 4`);
    expect(await codes()).toContain("audit-envelope-invalid");
  });

  it("finds a deleted envelope (a gap in its author's chain, a missing dep)", async () => {
    sql.exec(`DELETE FROM log_envelopes WHERE arrival = 5`);
    const found = await codes();
    expect(found).toContain("audit-chain-broken");
  });

  it("finds derived tables that disagree with the envelopes", async () => {
    sql.exec(`UPDATE log_authors SET last_seq = last_seq - 1`);
    expect(await codes()).toContain("audit-tips-mismatch");
    sql.exec(`UPDATE log_authors SET last_seq = last_seq + 1`);
    sql.exec(`DELETE FROM log_heads`);
    expect(await codes()).toEqual(["audit-heads-mismatch"]);
  });

  it("finds an envelope of another space", async () => {
    expect((await auditLog(sql, parseSpaceId("audit-2"))).ok).toBe(false);
  });
});

/** The point after a full audit of the log as it is now. */
async function pointNow(): Promise<VerifiedPoint> {
  const report = await auditLog(sql, space);
  expect(report.ok).toBe(true);
  return report.point!;
}

async function post(n: number, label: string): Promise<void> {
  for (let i = 0; i < n; i++) await replica.append(i % 2 ? bob : alice, "channel.message", { content: `${label} ${i}` });
}

describe("auditSince: only what arrived after a verified point", () => {
  afterEach(() => vi.restoreAllMocks());

  it("verifies the new rows' signatures only, and reaches the same point as a full audit", async () => {
    const point = await pointNow();
    expect(point).toMatchObject({ arrival: 12, count: 12, authors: 2 });
    await post(3, "new");
    const verify = vi.spyOn(crypto.subtle, "verify");
    const since = await auditSince(sql, space, point);
    expect(since).toMatchObject({ ok: true, mode: "since", checked: 3, envelopes: 15, problems: [] });
    expect(verify).toHaveBeenCalledTimes(3);
    verify.mockClear();
    const full = await auditLog(sql, space);
    expect(verify).toHaveBeenCalledTimes(15);
    // The chain is a function of the rows alone, however the verification was split.
    expect(since.point).toEqual(full.point);
  });

  it("a point at the end verifies nothing and keeps the point", async () => {
    const point = await pointNow();
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect(await auditSince(sql, space, point)).toMatchObject({ ok: true, checked: 0, point });
    expect(verify).not.toHaveBeenCalled();
  });

  it("the chain is SHA-256 over arrival, id and stored text, from a start bound to the space", async () => {
    const rows = sql.exec<{ arrival: number; id: string; text: string }>(`SELECT arrival, id, text FROM log_envelopes ORDER BY arrival`);
    expect((await pointNow()).chain).toBe(rows.reduce((chain, row) => chainStep(chain, row), chainStart(space)));
    expect(chainStart(space)).not.toBe(chainStart(parseSpaceId("audit-2")));
  });

  it("finds what is wrong in the new rows: a broken chain, an altered one, derived tables", async () => {
    const point = await pointNow();
    await post(4, "new");
    sql.exec(`UPDATE log_envelopes SET text = replace(text, 'new 2', 'new 9') WHERE arrival = 15`);
    expect((await auditSince(sql, space, point)).problems.map((p) => p.code)).toEqual(["audit-envelope-invalid"]);
    sql.exec(`UPDATE log_envelopes SET text = replace(text, 'new 9', 'new 2') WHERE arrival = 15`);
    sql.exec(`DELETE FROM log_envelopes WHERE arrival = 14`);
    expect((await auditSince(sql, space, point)).problems.map((p) => p.code)).toContain("audit-chain-broken");
  });

  it("finds derived tables the new rows disagree with, and tips of authors they did not extend", async () => {
    const point = await pointNow();
    await replica.append(alice, "channel.message", { content: "alice only" });
    sql.exec(`UPDATE log_authors SET last_seq = last_seq - 1 WHERE author = ?`, bob.did);
    expect((await auditSince(sql, space, point)).problems.map((p) => p.code)).toEqual(["audit-tips-mismatch"]);
    sql.exec(`UPDATE log_authors SET last_seq = last_seq + 1 WHERE author = ?`, bob.did);
    sql.exec(`DELETE FROM log_heads`);
    expect((await auditSince(sql, space, point)).problems.map((p) => p.code)).toEqual(["audit-heads-mismatch"]);
  });

  it("trusts the prefix: an old row altered in place is not read (auditLog finds it, and that the prefix changed)", async () => {
    const point = await pointNow();
    sql.exec(`UPDATE log_envelopes SET text = replace(text, 'bob 2', 'bob 9') WHERE text LIKE '%bob 2%'`);
    expect((await auditSince(sql, space, point)).ok).toBe(true);
    const full = await auditLog(sql, space, { expect: point });
    expect(full.problems.map((p) => p.code)).toEqual(["audit-envelope-invalid", "audit-prefix-mismatch"]);
  });

  it("a prefix whose row at the point changed falls back to the full audit", async () => {
    const point = await pointNow();
    await post(2, "new");
    sql.exec(`DELETE FROM log_envelopes WHERE arrival = 12`);
    const report = await auditSince(sql, space, point);
    expect(report.mode).toBe("full");
    expect(report.problems.map((p) => p.code)).toEqual(expect.arrayContaining(["audit-chain-broken", "audit-prefix-mismatch"]));
  });

  it("a row removed below the point is not looked for (one lookup, not a count); auditLog with the point finds it", async () => {
    const point = await pointNow();
    sql.exec(`DELETE FROM log_envelopes WHERE arrival = 5`);
    expect(await auditSince(sql, space, point)).toMatchObject({ ok: true, mode: "since" });
    const full = await auditLog(sql, space, { expect: point });
    expect(full.problems.map((p) => p.code)).toEqual(expect.arrayContaining(["audit-chain-broken", "audit-prefix-mismatch"]));
  });

  it("auditLog with the point finds a rolled-back log (the newest rows removed), which alone is consistent", async () => {
    // The derived tables as they were at 12 rows: the rollback restores them too.
    const heads = sql.exec(`SELECT id FROM log_heads`);
    const authors = sql.exec(`SELECT author, last_seq, last_id, last_hlc, forked FROM log_authors`);
    await post(2, "new");
    const point = await pointNow();
    sql.exec(`DELETE FROM log_envelopes WHERE arrival > 12`);
    sql.exec(`DELETE FROM log_heads`);
    sql.exec(`DELETE FROM log_authors`);
    for (const h of heads) sql.exec(`INSERT INTO log_heads (id) VALUES (?)`, h.id!);
    for (const a of authors) sql.exec(`INSERT INTO log_authors (author, last_seq, last_id, last_hlc, forked) VALUES (?, ?, ?, ?, ?)`, a.author!, a.last_seq!, a.last_id!, a.last_hlc!, a.forked!);
    expect((await auditLog(sql, space)).ok).toBe(true);
    const found = await auditLog(sql, space, { expect: point });
    expect(found.problems.map((p) => p.code)).toEqual(["audit-prefix-mismatch"]);
    expect(found.problems[0]!.message).toMatch(/ends at #12, but it was verified up to #14: rows were removed/);
    expect((await auditSince(sql, space, point)).mode).toBe("full");
  });
});
