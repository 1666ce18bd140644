/**
 * core/log/audit.ts: a log written through LogReplica passes; any change made behind the
 * replica's back — an altered envelope, a re-hashed id, a deleted row, a stale tip or head
 * — is found. This is what the local node runs on every open.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { NodeSql } from "../../client/node/sqlite.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { auditLog } from "../../core/log/audit.js";
import { LogReplica } from "../../core/log/replica.js";

const space = parseSpaceId("audit-1");
let sql: NodeSql;

beforeEach(async () => {
  sql = new NodeSql();
  const replica = LogReplica.open(sql, space);
  const [alice, bob] = [await Ed25519Signer.generate(), await Ed25519Signer.generate()];
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
    expect(await auditLog(sql, space)).toEqual({ ok: true, envelopes: 12, problems: [] });
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
