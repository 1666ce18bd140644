/**
 * The replica's commit index, in SQL: which envelopes are committed, at which index, with
 * which verdict. The same answers as `CommitResolver` (core/log/commits.ts, the pure rule
 * and its reference), kept in tables so that a wake reads a handful of rows, not every
 * receipt, and memory does not grow with the log.
 *
 *   log_commits(idx, id, verdict, reason, receipt)   one row per committed index, gapless
 *   log_appointments(from_idx, id, author, sequencer) every sequencer.appointed held
 *   log_commit_meta(key, value)                       genesis, current sequencer, owners,
 *                                                     hand-overs (small JSON values)
 *
 * The usual case is extended in place, inside the ingest transaction: a receipt from the
 * responsible sequencer for the next indexes appends its entries (several per statement),
 * activating an owner's appointment when its index comes. Anything else — an appointment
 * at or below the frontier (a hand-over that re-sequences the past), a receipt that skips
 * ahead, a membership envelope arriving after its own receipt — rebuilds the tables with
 * the pure resolver from the receipts held (rare; O(log) once).
 */
import type { Did } from "../identity/did.js";
import { applyToOwners, membershipChanges } from "../state/membership.js";
import type { SqlStorage, SqlValue } from "../storage/sql.js";
import { COMMIT_RELEVANT_TYPES, CommitResolver, type CommitStatus } from "./commits.js";
import { ID_KEY_OF, idIs, lacksIdKey, rebuildTable, recheckWriter } from "./schema.js";
import type { Envelope, EnvelopeOf } from "./envelope.js";
import type { EnvelopeId } from "./ids.js";

/**
 * One row per committed index. The committed id is found by `id_key`, as in log_envelopes
 * (core/log/schema.ts): a unique index on the 71-character text id was 87 MiB at 1M commits,
 * each of the ~500 lookups and inserts a batch makes reading a random page or two of it.
 * That an id is committed at most once is this index's own rule (addReceipt), not SQL's.
 */
const commitsTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
    idx INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    id_key BLOB GENERATED ALWAYS AS (unhex(substr(id, 8, 12))) VIRTUAL,
    verdict TEXT NOT NULL,
    reason TEXT,
    receipt TEXT NOT NULL
  )`;
const COMMIT_COLUMNS = "idx, id, verdict, reason, receipt";

const STATEMENTS = [
  commitsTable("log_commits"),
  `CREATE TABLE IF NOT EXISTS log_appointments (
    from_idx INTEGER NOT NULL,
    id TEXT NOT NULL,
    author TEXT NOT NULL,
    sequencer TEXT NOT NULL,
    PRIMARY KEY (from_idx, id)
  )`,
  `CREATE TABLE IF NOT EXISTS log_commit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/** SQLite on Durable Objects binds at most 100 parameters per statement. */
const ROWS_PER_INSERT = 20;
const MEMBERSHIP_TYPES = ["space.created", "member.added", "member.removed"];

export interface CommittedEntry extends CommitStatus {
  id: EnvelopeId;
}

interface Meta {
  genesis: EnvelopeId | null;
  current: Did | null;
  owners: Did[];
  ranges: { from: number; sequencer: Did }[];
}

type CommitRow = { idx: number; id: string; verdict: string; reason: string | null; receipt: string };

export class SqlCommitIndex {
  private meta: Meta = { genesis: null, current: null, owners: [], ranges: [] };
  private top = 0;

  private constructor(private readonly sql: SqlStorage) {
    this.reload();
  }

  /** Re-reads the little the index keeps in memory (after a rolled-back transaction). */
  reload(): void {
    const stored = this.sql.exec<{ value: string }>(`SELECT value FROM log_commit_meta WHERE key = 'meta'`)[0]?.value;
    this.meta = stored === undefined ? { genesis: null, current: null, owners: [], ranges: [] } : (JSON.parse(stored) as Meta);
    this.top = Number(this.sql.exec<{ n: number }>(`SELECT COALESCE(MAX(idx), 0) AS n FROM log_commits`)[0]!.n);
  }

  /** Opens the index in `sql`, building it from the receipts held if it is new (or older than the log). */
  static open(sql: SqlStorage): SqlCommitIndex {
    for (const statement of STATEMENTS) sql.exec(statement);
    // Written before ids were keyed: the same rows, rebuilt once.
    if (lacksIdKey(sql, "log_commits")) sql.transaction(() => rebuildTable(sql, "log_commits", commitsTable, COMMIT_COLUMNS));
    sql.exec(`CREATE INDEX IF NOT EXISTS log_commits_by_key ON log_commits (id_key)`);
    const index = new SqlCommitIndex(sql);
    const built = sql.exec(`SELECT 1 FROM log_commit_meta WHERE key = 'meta'`).length > 0;
    if (!built && sql.exec(`SELECT 1 FROM log_envelopes WHERE type = 'space.created' LIMIT 1`).length > 0) index.rebuild();
    return index;
  }

  /** The highest index committed (0 when none). */
  get frontier(): number {
    return this.top;
  }

  /** Who must sign the receipt for the next index (undefined before a genesis is held). */
  get nextSequencer(): Did | undefined {
    return this.meta.current ?? undefined;
  }

  statusOf(id: EnvelopeId): CommitStatus | undefined {
    const row = this.sql.exec<CommitRow>(`SELECT idx, id, verdict, reason, receipt FROM log_commits WHERE ${idIs()}`, id, id)[0];
    return row === undefined ? undefined : toStatus(row);
  }

  /**
   * `statusOf` for many ids, a statement per 90 of them (by key, then by the whole id, as
   * `idIs`): a batch's results and the sequencer's pending filter each asked once per id.
   */
  statusesOf(ids: readonly string[]): Map<EnvelopeId, CommitStatus> {
    const wanted = new Set(ids);
    const out = new Map<EnvelopeId, CommitStatus>();
    const rows = this.inChunks(ids, (chunk) =>
      this.sql.exec<CommitRow>(`SELECT ${COMMIT_COLUMNS} FROM log_commits WHERE id_key IN (${chunk.map(() => ID_KEY_OF).join(",")})`, ...chunk));
    for (const row of rows) if (wanted.has(row.id)) out.set(row.id as EnvelopeId, toStatus(row));
    return out;
  }

  /** The commit at `index`, if committed. */
  committedAt(index: number): CommittedEntry | undefined {
    const row = this.sql.exec<CommitRow>(`SELECT idx, id, verdict, reason, receipt FROM log_commits WHERE idx = ?`, index)[0];
    return row === undefined ? undefined : { id: row.id as EnvelopeId, ...toStatus(row) };
  }

  /** The receipt envelope that carries index `index`, if committed. */
  receiptFor(index: number): EnvelopeId | undefined {
    return this.committedAt(index)?.receipt;
  }

  /** Every commit in index order. O(log): for tests and tools, never a per-event path. */
  committed(): CommittedEntry[] {
    return this.sql.exec<CommitRow>(`SELECT idx, id, verdict, reason, receipt FROM log_commits ORDER BY idx`).map((row) => ({ id: row.id as EnvelopeId, ...toStatus(row) }));
  }

  /** Sequencer hand-overs that took effect: [from index, sequencer]. */
  sequencerRanges(): readonly { from: number; sequencer: Did }[] {
    return this.meta.ranges;
  }

  /** Feeds one envelope the replica just stored (inside its ingest transaction). */
  add(id: EnvelopeId, envelope: Envelope): void {
    switch (envelope.type) {
      case "space.created":
        if (this.meta.genesis !== null) return;
        this.meta = {
          genesis: id, current: envelope.body.sequencer ?? envelope.author, owners: [...envelope.body.owners],
          ranges: [{ from: 1, sequencer: envelope.body.sequencer ?? envelope.author }],
        };
        this.saveMeta();
        return;
      case "member.added":
      case "member.removed":
        // Normally a membership envelope arrives before its receipt; if not, owners were incomplete.
        if (this.statusOf(id) !== undefined) this.rebuild();
        return;
      case "sequencer.appointed": {
        const { sequencer, fromIndex } = envelope.body;
        this.sql.exec(`INSERT OR IGNORE INTO log_appointments (from_idx, id, author, sequencer) VALUES (?, ?, ?, ?)`, fromIndex, id, envelope.author, sequencer);
        // At or below the next index it may change a decision already made (or the one to
        // come, where another appointment may already stand): let the pure rule decide.
        if (fromIndex <= this.top + 1) this.rebuild();
        return;
      }
      case "commit":
        this.addReceipt(id, envelope);
        return;
      default:
        return;
    }
  }

  private addReceipt(receipt: EnvelopeId, envelope: EnvelopeOf<"commit">): void {
    const fresh = envelope.body.entries.filter((entry) => entry.index > this.top);
    if (fresh.length === 0) return;
    if (fresh[0]!.index !== this.top + 1) return this.rebuild(); // it skips ahead: let the pure rule decide
    const ids = fresh.map((entry) => entry.id);
    // A receipt for an id already committed is a sequencer bug: stop there rather than guess.
    // (By key: the set holds whole ids, so an id sharing a key is never taken for this one.)
    const already = new Set(this.inChunks(ids, (chunk) => this.sql.exec<{ id: string }>(`SELECT id FROM log_commits WHERE id_key IN (${chunk.map(() => ID_KEY_OF).join(",")})`, ...chunk)).map((row) => row.id));
    const membership = new Map(this.inChunks(ids, (chunk) =>
      this.sql.exec<{ id: string; text: string }>(
        // By id key (log_envelopes has no index on the id itself); the map is keyed by the whole id.
        `SELECT id, text FROM log_envelopes WHERE id_key IN (${chunk.map(() => ID_KEY_OF).join(",")}) AND type IN (${MEMBERSHIP_TYPES.map(() => "?").join(",")})`,
        ...chunk, ...MEMBERSHIP_TYPES,
      )).map((row) => [row.id, JSON.parse(row.text) as Envelope]));
    const rows: CommittedEntry[] = [];
    // The appointments for these indexes, read once (not a statement per entry).
    const appointments = this.appointmentsFor(fresh[0]!.index, fresh.at(-1)!.index + 1);
    for (const entry of fresh) {
      // As the pure rule: at each index, an owner's appointment may hand the role over first.
      this.activateAppointments(entry.index, appointments);
      if (this.meta.current !== envelope.author || already.has(entry.id)) break;
      already.add(entry.id); // twice in one receipt: the pure rule stops at the second too
      rows.push({ id: entry.id, index: entry.index, verdict: entry.verdict, ...(entry.reason === undefined ? {} : { reason: entry.reason }), receipt });
      const member = membership.get(entry.id);
      if (member !== undefined && entry.verdict === "accepted") this.applyMembership(entry.id, member);
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      // OR FAIL: throws as ABORT would, without journaling each touched page (core/log/append.ts writeRows).
      this.sql.exec(
        `INSERT OR FAIL INTO log_commits (idx, id, verdict, reason, receipt) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
        ...chunk.flatMap((row): SqlValue[] => [row.index, row.id, row.verdict, row.reason ?? null, row.receipt]),
      );
    }
    this.top += rows.length;
    this.activateAppointments(this.top + 1, appointments);
    this.saveMeta();
    this.forgetRejectedJoiners(rows);
  }

  /** A join committed rejected lets no one in: its author stops being a writer (core/log/schema.ts). */
  private forgetRejectedJoiners(rows: readonly CommittedEntry[]): void {
    const rejected = rows.filter((row) => row.verdict === "rejected").map((row) => row.id);
    if (rejected.length === 0) return;
    const ids = new Set<string>(rejected);
    const joins = this.inChunks(rejected, (chunk) =>
      this.sql.exec<{ id: string; author: string }>(`SELECT id, author FROM log_envelopes WHERE type = 'member.joined' AND id_key IN (${chunk.map(() => ID_KEY_OF).join(",")})`, ...chunk));
    for (const { id, author } of joins) if (ids.has(id)) recheckWriter(this.sql, author);
  }

  /** The appointments held for indexes `from`…`to`, by index, each list lowest id first. */
  private appointmentsFor(from: number, to: number): Map<number, { author: string; sequencer: string }[]> {
    const byIndex = new Map<number, { author: string; sequencer: string }[]>();
    const rows = this.sql.exec<{ from_idx: number; author: string; sequencer: string }>(
      `SELECT from_idx, author, sequencer FROM log_appointments WHERE from_idx BETWEEN ? AND ? ORDER BY from_idx, id`, from, to,
    );
    for (const row of rows) {
      const list = byIndex.get(Number(row.from_idx)) ?? [];
      list.push({ author: row.author, sequencer: row.sequencer });
      byIndex.set(Number(row.from_idx), list);
    }
    return byIndex;
  }

  /**
   * An owner's appointment for `index` (lowest id first) hands the role over there, once.
   * `held`: the appointments already read for a range that includes `index`.
   */
  private activateAppointments(index: number, held: ReadonlyMap<number, readonly { author: string; sequencer: string }[]>): void {
    if (this.meta.ranges.some((range) => range.from === index)) return;
    const appointments = held.get(index) ?? [];
    const chosen = appointments.find((appointment) => this.meta.owners.includes(appointment.author as Did));
    if (chosen === undefined) return;
    this.meta.current = chosen.sequencer as Did;
    this.meta.ranges = [...this.meta.ranges, { from: index, sequencer: chosen.sequencer as Did }];
  }

  /** Owners as the committed membership has them: only what appointment checks need. */
  private applyMembership(id: string, envelope: Envelope): void {
    if (envelope.type === "space.created" && id !== this.meta.genesis) return;
    const owners = new Set(this.meta.owners);
    applyToOwners(owners, membershipChanges(envelope));
    this.meta.owners = [...owners];
  }

  /** Recomputes the tables from every commit-relevant envelope held, with the pure rule. */
  private rebuild(): void {
    const resolver = new CommitResolver();
    const types = [...COMMIT_RELEVANT_TYPES];
    const rows = this.sql.exec<{ id: string; text: string }>(
      `SELECT id, text FROM log_envelopes WHERE type IN (${types.map(() => "?").join(",")}) ORDER BY arrival`, ...types,
    );
    for (const row of rows) resolver.add(row.id as EnvelopeId, JSON.parse(row.text) as Envelope);
    const committed = resolver.committed();
    this.sql.exec(`DELETE FROM log_commits`);
    for (let i = 0; i < committed.length; i += ROWS_PER_INSERT) {
      const chunk = committed.slice(i, i + ROWS_PER_INSERT);
      this.sql.exec(
        `INSERT INTO log_commits (idx, id, verdict, reason, receipt) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
        ...chunk.flatMap((row): SqlValue[] => [row.index, row.id, row.verdict, row.reason ?? null, row.receipt]),
      );
    }
    this.top = committed.length;
    const genesis = rows.find((row) => (JSON.parse(row.text) as Envelope).type === "space.created");
    this.meta = {
      genesis: (genesis?.id as EnvelopeId | undefined) ?? null,
      current: resolver.nextSequencer ?? null,
      owners: resolver.ownersNow(),
      ranges: [...resolver.sequencerRanges()],
    };
    this.saveMeta();
    this.forgetRejectedJoiners(committed);
  }

  private saveMeta(): void {
    this.sql.exec(`INSERT OR REPLACE INTO log_commit_meta (key, value) VALUES ('meta', ?)`, JSON.stringify(this.meta));
  }

  private inChunks<T>(ids: readonly string[], run: (chunk: string[]) => T[]): T[] {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += 90) out.push(...run(ids.slice(i, i + 90)));
    return out;
  }
}

function toStatus(row: CommitRow): CommitStatus {
  return {
    index: Number(row.idx), verdict: row.verdict as CommitStatus["verdict"],
    ...(row.reason === null ? {} : { reason: row.reason }), receipt: row.receipt as EnvelopeId,
  };
}
