/**
 * Log schema migrations (core/log/schema.ts). 2 → 3 (`rebuildTable`): a store written before
 * ids were found by `id_key` opens, its envelope and commit tables are rebuilt without the
 * unique indexes on the text id, and it keeps every envelope, status and query answer; it
 * ingests and sequences on afterwards. 3 → 4 (sealed history): a version-3 store opens as 4
 * with nothing lost; a store newer than this build is refused (`log-schema-newer`) untouched.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { LogReplica, type WireEnvelope } from "../../../core/log/replica.js";
import { LOG_SCHEMA_VERSION } from "../../../core/log/schema.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { keys, seededReplica, SPACE, T0 } from "./fixtures.js";

/** log_envelopes exactly as schema version 2 created it (frozen here: the migration's input). */
const VERSION_2_ENVELOPES = [
  `CREATE TABLE log_envelopes_v2 (
    arrival INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    author TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    hlc TEXT NOT NULL,
    ref TEXT,
    text TEXT NOT NULL,
    UNIQUE (author, seq)
  )`,
  `CREATE INDEX log_envelopes_by_type ON log_envelopes (type, arrival)`,
  `CREATE INDEX log_envelopes_by_ref ON log_envelopes (ref, arrival)`,
];

/** The commit index's table as it was then. */
const VERSION_2_COMMITS = `CREATE TABLE log_commits_v2 (
    idx INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    verdict TEXT NOT NULL,
    reason TEXT,
    receipt TEXT NOT NULL
  )`;

/** Rewrites a current store's envelope and commit tables as version 2 had them, rows unchanged. */
function downgradeToVersion2(sql: NodeSql): void {
  const [table, ...indexes] = VERSION_2_ENVELOPES;
  sql.transaction(() => {
    sql.exec(table!);
    sql.exec(`INSERT INTO log_envelopes_v2 (arrival, id, author, seq, type, hlc, ref, text) SELECT arrival, id, author, seq, type, hlc, ref, text FROM log_envelopes`);
    sql.exec(`DROP TABLE log_envelopes`);
    sql.exec(`ALTER TABLE log_envelopes_v2 RENAME TO log_envelopes`);
    for (const statement of indexes) sql.exec(statement);
    sql.exec(VERSION_2_COMMITS);
    sql.exec(`INSERT INTO log_commits_v2 (idx, id, verdict, reason, receipt) SELECT idx, id, verdict, reason, receipt FROM log_commits`);
    sql.exec(`DROP TABLE log_commits`);
    sql.exec(`ALTER TABLE log_commits_v2 RENAME TO log_commits`);
    sql.exec(`UPDATE log_meta SET value = '2' WHERE key = 'schema_version'`);
  });
}

/** The columns of each index on `table` (log_envelopes unless named), sorted. */
function indexedColumns(sql: NodeSql, table = "log_envelopes"): string[] {
  const rows = sql.exec<{ name: string; col: string }>(
    `SELECT il.name AS name, ii.name AS col FROM pragma_index_list(?) il, pragma_index_info(il.name) ii ORDER BY il.name, ii.seqno`, table,
  );
  const byIndex = new Map<string, string[]>();
  for (const row of rows) byIndex.set(row.name, [...(byIndex.get(row.name) ?? []), row.col]);
  return [...byIndex.values()].map((cols) => cols.join(",")).sort();
}

/** Everything a reader can ask the replica, as plain data. */
function answers(replica: LogReplica, ids: readonly EnvelopeId[], people: { alice: string; bob: string; carol: string }, root: EnvelopeId) {
  const now = T0 + 10_000;
  const strip = (result: ReturnType<LogReplica["query"]>) => ({ ...result, envelopes: result.envelopes.map((e) => [e.arrival, e.id, e.status]) });
  return {
    since: replica.since(0).map((stored) => [stored.arrival, stored.id, stored.envelope]),
    byId: ids.map((id) => [replica.has(id), replica.get(id)?.arrival, replica.status(id)]),
    heads: replica.heads(),
    vector: replica.versionVector(),
    missing: replica.missingFor({}, 1000).map((envelope) => envelope.id),
    writer: replica.writerState(people.bob as never),
    count: replica.count(),
    frontier: replica.commits.frontier,
    queries: [
      replica.query({ now, limit: 1000 }),
      replica.query({ now, since: 40, limit: 25 }),
      replica.query({ now, type: ["channel.message", "approval.requested"], limit: 1000 }),
      replica.query({ now, thread: root }),
      replica.query({ now, author: people.carol as never, limit: 1000 }),
      replica.query({ now, attention: people.alice as never }),
      replica.query({ now, attention: people.bob as never }),
    ].map(strip),
  };
}

describe("log schema migration 2 → 3", () => {
  it("a version-2 store opens, is rebuilt with id_key, and keeps every envelope and answer", async () => {
    const { alice, bob, carol, edge } = await keys();
    const sql = new NodeSql(":memory:");
    let replica = LogReplica.open(sql, SPACE);
    const sequencer = new Sequencer(replica, edge);
    const ids: EnvelopeId[] = [];
    const keep = (envelope: WireEnvelope) => (ids.push(envelope.id), envelope);
    keep(await replica.append(alice, "space.created", { owners: [alice.did], sequencer: edge.did }, { now: T0 }));
    keep(await replica.append(alice, "member.added", { member: bob.did, role: "human", domains: ["ops"] }, { now: T0 + 1 }));
    keep(await replica.append(alice, "member.added", { member: carol.did, role: "agent", domains: ["infra"] }, { now: T0 + 2 }));
    await sequencer.sequence();
    const root = keep(await replica.append(bob, "channel.message", { content: "cert expires at 02:00", mentions: [alice.did] }, { now: T0 + 3 }));
    for (let i = 0; i < 60; i++) {
      const author = [bob, carol, alice][i % 3]!;
      keep(await replica.append(author, "channel.message", { content: `reply ${i}`, ...(i % 4 === 0 ? { threadRef: root.id } : {}), ...(i % 5 === 0 && author !== alice ? { mentions: [alice.did] } : {}) }, { now: T0 + 10 + i }));
      if (i % 20 === 19) await sequencer.sequence();
    }
    const action = { tool: "deploy", params: {}, summary: "deploy" };
    const request = keep(await replica.append(carol, "approval.requested", { action, approver: "owner", expiresAt: new Date(T0 + 3_600_000).toISOString() }, { now: T0 + 100 }));
    keep(await replica.append(carol, "approval.requested", { action, approver: bob.did, expiresAt: new Date(T0 + 3_600_000).toISOString() }, { now: T0 + 101 }));
    keep(await replica.append(alice, "approval.decided", { request: request.id, decision: "approved" }, { now: T0 + 102 }));
    await sequencer.sequence();
    keep(await replica.append(bob, "channel.message", { content: "tentative, not yet committed" }, { now: T0 + 103 }));
    ids.push("sha256:0000000000000000000000000000000000000000000000000000000000000000" as EnvelopeId); // never held
    const people = { alice: alice.did, bob: bob.did, carol: carol.did };
    const before = answers(replica, ids, people, root.id);
    const current = indexedColumns(sql);
    const commits = sql.exec(`SELECT idx, id, verdict, reason, receipt FROM log_commits ORDER BY idx`);
    expect(commits.length).toBeGreaterThan(60);

    downgradeToVersion2(sql);
    expect(indexedColumns(sql)).toContain("id");
    expect(indexedColumns(sql, "log_commits")).toEqual(["id"]);
    replica = LogReplica.open(sql, SPACE);

    expect(sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'schema_version'`)[0]?.value).toBe(String(LOG_SCHEMA_VERSION));
    expect(LOG_SCHEMA_VERSION).toBe(4);
    // No index on the text id is left; the table and its indexes are what a fresh store has.
    expect(indexedColumns(sql)).not.toContain("id");
    expect(indexedColumns(sql)).toEqual(current);
    expect(indexedColumns(sql)).toContain("id_key");
    expect(indexedColumns(sql, "log_commits")).toEqual(["id_key"]);
    expect(sql.exec(`SELECT idx, id, verdict, reason, receipt FROM log_commits ORDER BY idx`)).toEqual(commits);
    expect(answers(replica, ids, people, root.id)).toEqual(before);

    // It goes on: an old envelope sent again is a duplicate, a new one is accepted and committed.
    const old = replica.get(ids[5]!)!;
    expect(await replica.ingest([{ ...old.envelope, id: old.id }])).toEqual([{ id: old.id, status: "duplicate" }]);
    const next = await replica.append(bob, "channel.message", { content: "after the migration", threadRef: root.id }, { now: T0 + 200 });
    const entries = (await new Sequencer(replica, edge).sequence()).entries;
    expect(entries.map((entry) => entry.id)).toContain(next.id);
    expect(replica.status(next.id)).toMatchObject({ state: "committed", verdict: "accepted" });
    expect(replica.query({ thread: root.id, limit: 1000 }).envelopes.at(-1)?.id).toBe(next.id);
    // Opening again migrates nothing more.
    LogReplica.open(sql, SPACE);
    expect(indexedColumns(sql)).toEqual(current);
    sql.close();
  });
});

describe("log schema 3 → 4 (sealed history), and a newer store", () => {
  const versionOf = (sql: NodeSql) => sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'schema_version'`)[0]?.value;

  /** A store as version 3 left it: no log_segments table (it predates sealing), version 3. */
  async function version3Store() {
    const { replica, cast } = await seededReplica();
    await new Sequencer(replica, cast.edge).sequence();
    await replica.append(cast.bob, "channel.message", { content: "before the upgrade" }, { now: T0 + 50 });
    const sql = replica.sql as NodeSql;
    sql.exec(`DROP TABLE log_segments`);
    sql.exec(`UPDATE log_meta SET value = '3' WHERE key = 'schema_version'`);
    return { replica, sql, cast };
  }

  it("a version-3 store opens as version 4, with its sealed-history table and every envelope and status", async () => {
    const { replica, sql, cast } = await version3Store();
    const ids = replica.since(0).map((stored) => stored.id);
    const before = { since: replica.since(0), statuses: [...replica.statuses(ids)], heads: replica.heads(), frontier: replica.commits.frontier };
    const reopened = LogReplica.open(sql, SPACE);
    expect(versionOf(sql)).toBe("4");
    expect(sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'log_segments'`)).toHaveLength(1);
    expect(sql.exec(`SELECT COUNT(*) AS n FROM log_segments`)).toEqual([{ n: 0 }]);
    expect({ since: reopened.since(0), statuses: [...reopened.statuses(ids)], heads: reopened.heads(), frontier: reopened.commits.frontier }).toEqual(before);
    const next = await reopened.append(cast.carol, "channel.message", { content: "after it" }, { now: T0 + 60 });
    await new Sequencer(reopened, cast.edge).sequence();
    expect(reopened.status(next.id)).toMatchObject({ state: "committed", verdict: "accepted" });
  });

  it("a store of a newer version is refused with log-schema-newer and left as it was", async () => {
    const { replica, sql } = await version3Store();
    sql.exec(`UPDATE log_meta SET value = '5' WHERE key = 'schema_version'`);
    const schema = () => sql.exec(`SELECT type, name, sql FROM sqlite_master ORDER BY name`);
    const tables = schema();
    const rows = replica.since(0);
    let refused: unknown;
    try {
      LogReplica.open(sql, SPACE);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: "log-schema-newer", status: 500 });
    expect((refused as Error).message).toContain("log schema 5; this build reads up to 4");
    expect((refused as Error).message).toContain("upgrade Commons");
    // Nothing was made or stamped: the missing table is still missing, the version still 5.
    expect(schema()).toEqual(tables);
    expect(versionOf(sql)).toBe("5");
    expect(replica.since(0)).toEqual(rows);
  });
});
