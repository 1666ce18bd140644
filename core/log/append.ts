/**
 * The stateful half of ingest: chain, fork, hlc and dep checks against what the replica
 * holds, and the append. One `BatchAppender` lives for one ingest transaction.
 *
 * Why a batch object rather than statements per envelope: a batch of 256 envelopes from a
 * few authors would otherwise read and rewrite the same author row and the same heads 256
 * times. The appender keeps each touched author's tip, the heads added and removed, and the
 * hlc of every envelope appended so far in memory, and writes authors and heads once in
 * `finish()`, inside the same transaction. Accepted rows are numbered (`arrival`, their
 * order) here and inserted several per statement: on Durable Object SQLite each statement
 * has a fixed cost larger than the row's own. Anything that reads the envelope table first
 * writes what is pending.
 */
import type { SqlStorage, SqlValue } from "../storage/sql.js";
import { hlcWallTime } from "./hlc.js";
import { ID_KEY_OF, idIs, writersNamedBy } from "./schema.js";
import type { RejectionCode } from "./codes.js";
import type { EnvelopeId } from "./ids.js";
import { attentionTargets, envelopeRef } from "./indexing.js";
import type { IngestResult } from "./replica.js";
import type { IdentifiedEnvelope } from "./verify.js";

/** An author's chain tip as held: what the author's next envelope must follow. */
export interface ChainTip {
  seq: number;
  id: EnvelopeId;
  hlc: string;
}

interface Tip extends ChainTip {
  /** Changed in this batch, so `finish()` must write it. */
  dirty: boolean;
}

/** `author`'s chain tip in the log, or null before their first envelope. */
export function chainTip(sql: SqlStorage, author: string): ChainTip | null {
  const row = sql.exec<{ last_seq: number; last_id: string; last_hlc: string }>(
    `SELECT last_seq, last_id, last_hlc FROM log_authors WHERE author = ?`, author,
  )[0];
  return row === undefined ? null : { seq: Number(row.last_seq), id: row.last_id as EnvelopeId, hlc: row.last_hlc };
}

/** SQLite on Durable Objects binds at most 100 parameters per statement. */
const MAX_BOUND = 100;
const ENVELOPE_COLUMNS = ["arrival", "id", "author", "seq", "type", "hlc", "ref", "text"] as const;
const ATTENTION_COLUMNS = ["target", "arrival", "kind"] as const;

/** `INSERT … VALUES (…), (…)` for `rows` (each as long as `columns`), at most MAX_BOUND values per statement. */
function insertRows(sql: SqlStorage, head: string, columns: readonly string[], rows: SqlValue[][]): void {
  const perStatement = Math.floor(MAX_BOUND / columns.length);
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    sql.exec(`${head} (${columns.join(", ")}) VALUES ${chunk.map(() => tuple).join(", ")}`, ...chunk.flat());
  }
}

/** Which of `ids` the log already holds, in as few statements as the parameter limit allows. */
export function heldAmong(sql: SqlStorage, ids: readonly string[]): Set<string> {
  const wanted = new Set(ids);
  const held = new Set<string>();
  for (let i = 0; i < ids.length; i += MAX_BOUND) {
    const chunk = ids.slice(i, i + MAX_BOUND);
    const rows = sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE id_key IN (${chunk.map(() => ID_KEY_OF).join(",")})`, ...chunk);
    // By key, then by the whole id: another id may share a key.
    for (const row of rows) if (wanted.has(row.id)) held.add(row.id);
  }
  return held;
}

/**
 * How far ahead of the receiving replica's clock an envelope's hlc may be. Further, and it
 * is refused unstored (`envelope-hlc-in-future`): a stamp far ahead would drag every later
 * stamp (the sequencer's receipts too) with it, and judge deadlines as if it were then.
 */
export const MAX_HLC_AHEAD_MS = 5 * 60 * 1000;

/** Stamps this recent count as live writing for the per-author quota. */
export const LIVE_WINDOW_MS = 10 * 60 * 1000;

/** A per-author quota: ok, or how many seconds until the author may write again. */
export type AuthorRate = (author: string) => { ok: true } | { ok: false; retryAfterSeconds: number };

export class BatchAppender {
  private readonly tips = new Map<string, Tip | null>();
  /** hlc of every envelope appended in this batch, for dep checks without a read. */
  private readonly appended = new Map<string, string>();
  /** hlc of every held dep read in this batch (the same heads are cited by many envelopes). */
  private readonly cited = new Map<string, string>();
  private readonly headsAdded = new Set<string>();
  private readonly headsRemoved = new Set<string>();
  private nextArrival: number | undefined;
  private pendingRows: SqlValue[][] = [];
  private pendingAttention: SqlValue[][] = [];
  /** Authors known to be writers (or not) in this batch: one lookup per author. */
  private readonly writers = new Map<string, boolean>();

  /**
   * `now`: the receiving replica's wall clock, ms. `rate`: the per-author quota, asked for
   * each verified envelope stamped within the last {@link LIVE_WINDOW_MS} (live writing;
   * replayed history is not charged, so a node can re-host a space).
   */
  constructor(private readonly sql: SqlStorage, private readonly now: number, private readonly rate?: AuthorRate) {}

  /** Checks one verified envelope against the log and appends it if it fits. */
  append({ id, envelope, signedText }: IdentifiedEnvelope): IngestResult {
    const reject = (code: RejectionCode, message: string): IngestResult => ({ id, status: "rejected", code, message });
    if (hlcWallTime(envelope.hlc) > this.now + MAX_HLC_AHEAD_MS) {
      return reject("envelope-hlc-in-future", `hlc ${envelope.hlc} is ${Math.round((hlcWallTime(envelope.hlc) - this.now) / 1000)} s ahead of this replica's clock (at most ${MAX_HLC_AHEAD_MS / 1000} s): fix the writer's clock.`);
    }
    const tip = this.tip(envelope.author);
    const lastSeq = tip?.seq ?? 0;
    if (envelope.seq <= lastSeq) {
      this.writeRows();
      const held = this.sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE author = ? AND seq = ?`, envelope.author, envelope.seq)[0];
      if (held?.id === id) return { id, status: "duplicate" };
      this.sql.exec(
        `INSERT OR IGNORE INTO log_forks (id, author, seq, conflicts_with, text) VALUES (?, ?, ?, ?, ?)`,
        id, envelope.author, envelope.seq, held?.id ?? "", signedText,
      );
      // The author's row may so far exist only here: write it before marking it.
      this.writeTips();
      this.sql.exec(`UPDATE log_authors SET forked = 1 WHERE author = ?`, envelope.author);
      return reject("envelope-fork", `${envelope.author} already signed seq ${envelope.seq} as ${held?.id}; both are kept as evidence.`);
    }
    if (envelope.seq > lastSeq + 1) {
      return reject("envelope-seq-gap", `Holding seq ${lastSeq} of ${envelope.author}, got seq ${envelope.seq}: send seq ${lastSeq + 1} first.`);
    }
    if (envelope.prev !== (tip?.id ?? null)) {
      return reject("envelope-prev-mismatch", `prev is ${envelope.prev} but ${envelope.author}'s seq ${lastSeq} here is ${tip?.id}.`);
    }
    if (tip && envelope.hlc <= tip.hlc) {
      return reject("envelope-hlc-regressed", `hlc ${envelope.hlc} is not after prev's ${tip.hlc}.`);
    }
    const missing: string[] = [];
    for (const dep of envelope.deps) {
      const hlc = this.hlcOf(dep);
      if (hlc === undefined) missing.push(dep);
      else if (envelope.hlc <= hlc) return reject("envelope-hlc-regressed", `hlc ${envelope.hlc} is not after dep ${dep}'s ${hlc}.`);
    }
    if (missing.length > 0) {
      return reject("envelope-deps-missing", `${missing.length} dep(s) not held here, e.g. ${missing[0]}: send them first.`);
    }
    // After the chain checks, so a sender missing earlier envelopes is told to send them first.
    const door = this.admit(envelope);
    if (door !== null) return reject(door.code, door.message);
    if (this.rate !== undefined && hlcWallTime(envelope.hlc) >= this.now - LIVE_WINDOW_MS) {
      const take = this.rate(envelope.author);
      if (!take.ok) return reject("rate-limited", `${envelope.author} is writing too fast here; retry after ${take.retryAfterSeconds} s`);
    }
    if (envelope.type === "space.created") {
      const genesis = this.sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'genesis'`)[0]?.value;
      if (genesis !== undefined) return reject("envelope-genesis-conflict", `This space was created by ${genesis}.`);
      if (envelope.seq !== 1 || envelope.deps.length > 0 || !envelope.body.owners.includes(envelope.author)) {
        return reject("envelope-malformed", "space.created must be its author's first envelope, with no deps, by one of its owners.");
      }
      this.sql.exec(`INSERT INTO log_meta (key, value) VALUES ('genesis', ?)`, id);
    }
    // Arrival is the rowid: one past the highest, as SQLite would number it.
    this.nextArrival ??= Number(this.sql.exec<{ n: number }>(`SELECT COALESCE(MAX(arrival), 0) AS n FROM log_envelopes`)[0]!.n) + 1;
    const arrival = this.nextArrival++;
    this.pendingRows.push([arrival, id, envelope.author, envelope.seq, envelope.type, envelope.hlc, envelopeRef(envelope), signedText]);
    for (const { target, kind } of attentionTargets(envelope)) this.pendingAttention.push([target, arrival, kind]);
    this.tips.set(envelope.author, { seq: envelope.seq, id, hlc: envelope.hlc, dirty: true });
    for (const did of writersNamedBy(envelope.author, envelope)) {
      if (this.writers.get(did) === true) continue;
      this.writers.set(did, true);
      this.sql.exec(`INSERT OR IGNORE INTO log_writers (did) VALUES (?)`, did);
    }
    this.appended.set(id, envelope.hlc);
    if (envelope.prev !== null) this.unhead(envelope.prev);
    for (const dep of envelope.deps) this.unhead(dep);
    this.headsAdded.add(id);
    return { id, status: "accepted" };
  }

  /** Writes the authors' tips and the heads; call once, inside the same transaction. */
  finish(): void {
    this.writeRows();
    this.writeTips();
    for (const id of this.headsRemoved) this.sql.exec(`DELETE FROM log_heads WHERE id = ?`, id);
    for (const id of this.headsAdded) this.sql.exec(`INSERT INTO log_heads (id) VALUES (?)`, id);
  }

  /**
   * The log's door: the genesis opens the space; a join is let in by a held invite with
   * the same key (its proof was checked with the signature); everyone else must be a writer
   * (named by a held membership envelope). A member removed later stays a writer: what they
   * write is judged at commit, and their history keeps syncing.
   */
  private admit(envelope: IdentifiedEnvelope["envelope"]): { code: RejectionCode; message: string } | null {
    if (envelope.type === "space.created") return null;
    if (envelope.type === "member.joined") {
      this.writeRows();
      const invite = this.sql.exec<{ text: string }>(`SELECT text FROM log_envelopes WHERE ${idIs()} AND type = 'invite.created'`, envelope.body.invite, envelope.body.invite)[0];
      if (invite === undefined) return { code: "envelope-deps-missing", message: `The invite ${envelope.body.invite} is not held here: send it first.` };
      const key = (JSON.parse(invite.text) as { body: { key: string } }).body.key;
      return key === envelope.body.key ? null : { code: "envelope-bad-invite-proof", message: "The join names a key other than its invite's." };
    }
    let known = this.writers.get(envelope.author);
    if (known === undefined) {
      known = this.sql.exec(`SELECT 1 FROM log_writers WHERE did = ?`, envelope.author).length > 0;
      this.writers.set(envelope.author, known);
    }
    return known ? null : { code: "envelope-not-member", message: `${envelope.author} was never made a member of this space: join with an invite, or ask an owner to add you.` };
  }

  private tip(author: string): Tip | null {
    if (!this.tips.has(author)) {
      const held = chainTip(this.sql, author);
      this.tips.set(author, held === null ? null : { ...held, dirty: false });
    }
    return this.tips.get(author)!;
  }

  private hlcOf(id: EnvelopeId): string | undefined {
    let hlc = this.appended.get(id) ?? this.cited.get(id);
    if (hlc === undefined) {
      hlc = this.sql.exec<{ hlc: string }>(`SELECT hlc FROM log_envelopes WHERE ${idIs()}`, id, id)[0]?.hlc;
      // A held envelope's hlc never changes: a batch citing the same dep many times reads it once.
      if (hlc !== undefined) this.cited.set(id, hlc);
    }
    return hlc;
  }

  /** An id is cited: it stops being a head (an id added in this batch is simply never written). */
  private unhead(id: string): void {
    if (!this.headsAdded.delete(id)) this.headsRemoved.add(id);
  }

  private writeRows(): void {
    // OR FAIL, not the default ABORT: a conflict (a bug: the checks above rule it out) still
    // throws and the ingest transaction rolls back, but SQLite need not journal every page a
    // multi-row statement touches so it could undo that statement alone. Those copies went to
    // a temporary file: ~1,000 page writes a batch at the edge.
    insertRows(this.sql, "INSERT OR FAIL INTO log_envelopes", ENVELOPE_COLUMNS, this.pendingRows);
    insertRows(this.sql, "INSERT OR IGNORE INTO log_attention", ATTENTION_COLUMNS, this.pendingAttention);
    this.pendingRows = [];
    this.pendingAttention = [];
  }

  private writeTips(): void {
    for (const [author, tip] of this.tips) {
      if (tip === null || !tip.dirty) continue;
      this.sql.exec(
        `INSERT INTO log_authors (author, last_seq, last_id, last_hlc) VALUES (?, ?, ?, ?)
         ON CONFLICT (author) DO UPDATE SET last_seq = excluded.last_seq, last_id = excluded.last_id, last_hlc = excluded.last_hlc`,
        author, tip.seq, tip.id, tip.hlc,
      );
      tip.dirty = false;
    }
  }
}
