/**
 * Ingest stays fast as the log grows only if nothing on the per-event path reads the log
 * from end to end. Speed is not asserted here; the query plans are: every statement that
 * ingest, append, sequencing and the point reads run is explained by SQLite, and none may
 * scan a table (or walk an index) that grows with the log. It caught `writerState` walking
 * the whole id index on every append (~120 ms a batch at 1M envelopes).
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import type { SqlRow, SqlStorage, SqlValue } from "../../../core/storage/sql.js";
import { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { keys, SPACE, T0 } from "./fixtures.js";

/** Tables with a row (or more) per envelope. */
const GROWING = ["log_envelopes", "log_attention", "log_commits"];

/** Runs on node:sqlite and remembers every statement text it ran. */
class RecordingSql implements SqlStorage {
  readonly seen = new Set<string>();
  recording = false;
  constructor(readonly inner: NodeSql) {}
  exec<T extends SqlRow = SqlRow>(query: string, ...params: SqlValue[]): T[] {
    if (this.recording) this.seen.add(query);
    return this.inner.exec<T>(query, ...params);
  }
  transaction<T>(fn: () => T): T {
    return this.inner.transaction(fn);
  }
}

/** The plan lines of `query` that scan a growing table, by name or by its alias there. */
function scansOfGrowingTables(sql: NodeSql, query: string): string[] {
  const names = new Set(GROWING);
  for (const table of GROWING) {
    for (const match of query.matchAll(new RegExp(`\\b${table}\\s+(?:AS\\s+)?(\\w+)`, "gi"))) {
      const alias = match[1]!;
      if (!/^(WHERE|ON|JOIN|CROSS|LEFT|INNER|ORDER|GROUP|LIMIT|SET|VALUES)$/i.test(alias)) names.add(alias);
    }
  }
  const params = Array<SqlValue>((query.match(/\?/g) ?? []).length).fill(null);
  const plan = sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`, ...params).map((row) => row.detail);
  return plan.filter((line) => {
    const scanned = /^SCAN (\w+)/.exec(line)?.[1];
    return scanned !== undefined && names.has(scanned);
  });
}

describe("the ingest path's query plans", () => {
  it("no statement of ingest, append, sequencing or a point read scans the log", async () => {
    const { alice, bob, carol, edge } = await keys();
    const inner = new NodeSql(":memory:");
    const sql = new RecordingSql(inner);
    const replica = LogReplica.open(sql, SPACE);
    const sequencer = new Sequencer(replica, edge);
    sql.recording = true;
    await replica.append(alice, "space.created", { owners: [alice.did], sequencer: edge.did }, { now: T0 });
    await replica.append(alice, "member.added", { member: bob.did, role: "human", domains: ["ops"] }, { now: T0 + 1 });
    await replica.append(alice, "member.added", { member: carol.did, role: "agent", domains: [] }, { now: T0 + 2 });
    await sequencer.sequence();
    const root = await replica.append(bob, "channel.message", { content: "root", mentions: [alice.did] }, { now: T0 + 3 });
    const batch: unknown[] = [];
    let state = replica.writerState(carol.did);
    const { createEnvelope } = await import("../../../core/log/writer.js");
    for (let i = 0; i < 30; i++) {
      const { id, envelope } = await createEnvelope(carol, state, "channel.message", { content: `m${i}`, threadRef: root.id, ...(i % 3 === 0 ? { mentions: [bob.did] } : {}) }, T0 + 10 + i);
      batch.push({ ...envelope, id });
      state = { ...state, last: { seq: envelope.seq, id, hlc: envelope.hlc } };
    }
    expect((await replica.ingest(batch)).filter((r) => r.status !== "accepted")).toEqual([]);
    expect((await replica.ingest(batch.slice(0, 5))).every((r) => r.status === "duplicate")).toBe(true);
    await replica.append(bob, "approval.requested", { action: { tool: "deploy", params: {}, summary: "deploy" }, approver: "owner", expiresAt: new Date(T0 + 3_600_000).toISOString() }, { now: T0 + 100 });
    await sequencer.sequence();
    replica.get(root.id);
    replica.has(root.id);
    replica.status(root.id);
    replica.heads();
    replica.query({ thread: root.id, now: T0 + 200 });
    replica.query({ attention: alice.did, now: T0 + 200 });
    replica.query({ since: 10, limit: 5, now: T0 + 200 });
    sql.recording = false;

    expect(sql.seen.size).toBeGreaterThan(20);
    const scans = [...sql.seen].flatMap((query) => scansOfGrowingTables(inner, query).map((line) => `${line}  ←  ${query.replace(/\s+/g, " ").slice(0, 160)}`));
    expect(scans).toEqual([]);
    inner.close();
  });
});
