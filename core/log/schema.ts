/**
 * The signed log's tables, the same at every replica (Durable Object SQLite at the edge,
 * node:sqlite on a local node). Created idempotently when a replica opens. One storage
 * holds one space's log: `log_meta.space` records which, and opening it for another space
 * is refused.
 *
 * `arrival` is the local order in which envelopes were accepted. Because a replica only
 * accepts an envelope whose prev and deps it already holds, arrival order is always a
 * causal (topological) order: the query cursor, and the order sync sends envelopes in.
 *
 * Envelopes are found by id through `id_key`, 6 bytes of the hash (a generated column),
 * not through an index on the 71-character id: ids are random, so every insert and every
 * lookup lands on a random page of that index. At 1M envelopes the text index was 88 MiB
 * with 509 interior pages, more than SQLite's default 2 MiB page cache holds (a Durable
 * Object cannot set another), so most lookups read two pages from disk; the key index is
 * 16 MiB with 22 interior pages, which stay cached. At the edge that cut the pages read per
 * batch of 256 from ~1,550 to ~600. Lookups match the key, then the whole id (`idIs`), so
 * two ids sharing a key cost one more row read, never a wrong answer. The commit index keys
 * its ids the same way.
 *
 * Versions (`log_meta.schema_version`, acted on in `ensureLogSchema`): 1 → 2 backfills who may
 * write; 2 → 3 rebuilds the keyed tables once (`rebuildTable`); 3 → 4 is sealed history
 * (`log_segments`; a sealed row's `text` is '', its bytes in a segment). A version-3 store
 * needs nothing converted (it has sealed nothing), but the number must move: a build that
 * knows version 3 would read a sealed row's empty text as an envelope, so it must refuse a
 * version-4 store (`log-schema-newer`) rather than open it.
 */
import { CommonsError } from "../errors.js";
import type { SqlStorage } from "../storage/sql.js";
import type { Envelope } from "./envelope.js";

export const LOG_SCHEMA_VERSION = 4;

/**
 * One row per accepted envelope. `text` is the canonical signed JSON (without id): the
 * exact bytes that were hashed, so a replica can re-verify or re-serve them unchanged.
 * `ref` is what the envelope points at (thread root, work item, request, artifact, branch)
 * so queries need not parse bodies. `id_key` is computed by SQLite from `id`, never written.
 * An id is not declared unique: `(author, seq)` is, and the id hashes both.
 */
const envelopesTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
    arrival INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    id_key BLOB GENERATED ALWAYS AS (unhex(substr(id, 8, 12))) VIRTUAL,
    author TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    hlc TEXT NOT NULL,
    ref TEXT,
    text TEXT NOT NULL,
    UNIQUE (author, seq)
  )`;

/** `log_envelopes` rows whose id is the bound parameter: bind the id twice. `alias` is e.g. "e.". */
export function idIs(alias = ""): string {
  return `${alias}id_key = unhex(substr(?, 8, 12)) AND ${alias}id = ?`;
}

/** The key `idIs` matches, for `id_key IN (…)` lists: one parameter, the id. */
export const ID_KEY_OF = "unhex(substr(?, 8, 12))";

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS log_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
  envelopesTable("log_envelopes"),
  // Each author's chain tip, and whether the author was caught signing a fork.
  `CREATE TABLE IF NOT EXISTS log_authors (
    author TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_id TEXT NOT NULL,
    last_hlc TEXT NOT NULL,
    forked INTEGER NOT NULL DEFAULT 0
  )`,
  // Envelopes that no held envelope cites as prev or dep: what a writer puts in deps.
  `CREATE TABLE IF NOT EXISTS log_heads (id TEXT PRIMARY KEY)`,
  // Evidence of forks: a validly signed envelope with the same author and seq as a held
  // one but a different id. Never part of the log or its views.
  `CREATE TABLE IF NOT EXISTS log_forks (
    id TEXT PRIMARY KEY,
    author TEXT NOT NULL,
    seq INTEGER NOT NULL,
    conflicts_with TEXT NOT NULL,
    text TEXT NOT NULL
  )`,
  // Who may write here: every did a held membership envelope named (the genesis's owners
  // and sequencer, members added or joined, appointed sequencers). The log's door: an
  // envelope by anyone else is refused at ingest and never stored (core/log/append.ts).
  `CREATE TABLE IF NOT EXISTS log_writers (did TEXT PRIMARY KEY)`,
  // Sealed history (core/log/segment-history.ts): segment idx holds arrivals first..last,
  // hashed `hash`, stored under `key`; those rows' text is '' here (a few types keep theirs).
  `CREATE TABLE IF NOT EXISTS log_segments (
    idx INTEGER PRIMARY KEY,
    first INTEGER NOT NULL UNIQUE,
    last INTEGER NOT NULL,
    hash TEXT NOT NULL,
    key TEXT NOT NULL
  )`,
  // Who an envelope asks for attention: a did or a role, and why (mention, approval,
  // escalation). Read by query({ attention }).
  `CREATE TABLE IF NOT EXISTS log_attention (
    target TEXT NOT NULL,
    arrival INTEGER NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (target, arrival, kind)
  )`,
];

/** Created after any migration, which may have rebuilt log_envelopes without them. */
const INDEXES = [
  `CREATE INDEX IF NOT EXISTS log_envelopes_by_key ON log_envelopes (id_key)`,
  `CREATE INDEX IF NOT EXISTS log_envelopes_by_type ON log_envelopes (type, arrival)`,
  `CREATE INDEX IF NOT EXISTS log_envelopes_by_ref ON log_envelopes (ref, arrival)`,
];

/** Creates the log tables if absent and migrates older ones. Safe to call on every open. */
export function ensureLogSchema(sql: SqlStorage): void {
  sql.exec(STATEMENTS[0]!);
  const held = sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'schema_version'`)[0]?.value;
  const version = held === undefined ? 0 : Number(held);
  // Before any other table is made: a newer store is left exactly as it was.
  if (!(version <= LOG_SCHEMA_VERSION)) {
    throw new CommonsError("log-schema-newer", `This log was written by a newer Commons (log schema ${version}; this build reads up to ${LOG_SCHEMA_VERSION}): upgrade Commons to open it. Nothing was changed.`, { status: 500 });
  }
  for (const statement of STATEMENTS.slice(1)) sql.exec(statement);
  if (version === 1) backfillWriters(sql);
  // Versions 1–2 → 3, keyed ids; by shape, not version (a store from before versions were
  // recorded has the old table too). Rows copied in arrival order: every answer unchanged.
  if (lacksIdKey(sql, "log_envelopes")) sql.transaction(() => rebuildTable(sql, "log_envelopes", envelopesTable, ENVELOPE_COLUMNS));
  for (const statement of INDEXES) sql.exec(statement);
  sql.exec(`INSERT OR REPLACE INTO log_meta (key, value) VALUES ('schema_version', ?)`, String(LOG_SCHEMA_VERSION));
}

/** The columns log_envelopes has had since version 1 (not `id_key`, which SQLite computes). */
const ENVELOPE_COLUMNS = "arrival, id, author, seq, type, hlc, ref, text";

/** True when `table` exists without an `id_key` column: written before ids were keyed. */
export function lacksIdKey(sql: SqlStorage, table: string): boolean {
  const schema = sql.exec<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table)[0]?.sql;
  return schema !== undefined && !schema.includes("id_key");
}

/**
 * Rebuilds `table` as `create(name)` defines it now, every row copied as it was (SQLite drops
 * a table constraint, here the unique index on a text id, only by rebuilding the table). Call
 * inside a transaction, then create the table's indexes. Log schema 2 → 3 (log_envelopes) and
 * the commit index's own table use it. One sequential pass: 16 s for 1M envelopes, once.
 */
export function rebuildTable(sql: SqlStorage, table: string, create: (name: string) => string, columns: string): void {
  const next = `${table}_rebuilt`;
  sql.exec(`DROP TABLE IF EXISTS ${next}`);
  sql.exec(create(next));
  // OR FAIL: a conflict (there is none to copy) would still throw, without a statement journal.
  sql.exec(`INSERT OR FAIL INTO ${next} (${columns}) SELECT ${columns} FROM ${table} ORDER BY rowid`);
  sql.exec(`DROP TABLE ${table}`);
  sql.exec(`ALTER TABLE ${next} RENAME TO ${table}`);
}

/** Version 1 → 2: who may write, from the membership envelopes already held. */
function backfillWriters(sql: SqlStorage): void {
  const rows = sql.exec<{ author: string; text: string }>(
    `SELECT author, text FROM log_envelopes WHERE type IN ('space.created', 'member.added', 'member.joined', 'sequencer.appointed') ORDER BY arrival`,
  );
  for (const row of rows) for (const did of writersNamedBy(row.author, JSON.parse(row.text) as Envelope)) {
    sql.exec(`INSERT OR IGNORE INTO log_writers (did) VALUES (?)`, did);
  }
}

/**
 * After a `member.joined` was committed *rejected* (an expired, used-up or revoked invite):
 * its author stays a writer only if some other held envelope, not rejected, names them. So
 * the holder of a dead invite cannot keep writing into the log.
 */
export function recheckWriter(sql: SqlStorage, did: string): void {
  const rows = sql.exec<{ id: string; author: string; text: string; verdict: string | null }>(
    `SELECT e.id, e.author, e.text, c.verdict FROM log_envelopes e LEFT JOIN log_commits c ON c.id_key = e.id_key AND c.id = e.id
     WHERE e.type IN ('space.created', 'member.added', 'member.joined', 'sequencer.appointed')`,
  );
  const named = rows.some((row) => row.verdict !== "rejected" && writersNamedBy(row.author, JSON.parse(row.text) as Envelope).includes(did));
  if (!named) sql.exec(`DELETE FROM log_writers WHERE did = ?`, did);
}

/** The dids a held envelope makes writers. */
export function writersNamedBy(author: string, envelope: Envelope): string[] {
  switch (envelope.type) {
    case "space.created":
      return [...envelope.body.owners, envelope.body.sequencer ?? author];
    case "member.added":
      return [envelope.body.member];
    case "member.joined":
      return [author];
    case "sequencer.appointed":
      return [envelope.body.sequencer];
    default:
      return [];
  }
}
