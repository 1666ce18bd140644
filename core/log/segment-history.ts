/**
 * A replica's sealed history: the settled, committed prefix of its log moved out of SQLite
 * into immutable, hash-chained segments (core/log/segment.ts) in a blob store, read back on
 * demand. Portable: the store is an interface (R2 at the edge, durable-objects/space-history.ts).
 *
 * Sealing (`sealDue`): once more than `segmentEnvelopes` arrivals past the last sealed one
 * are settled — at or below the sequencer's scanned point, where everything that is not a
 * receipt or an appointment is committed — the next segment is written to the store FIRST,
 * then one SQL transaction records it in `log_segments` and empties the sealed rows' `text`
 * (''), except for the few types SQL readers need by type (KEPT_TEXT). Every other column
 * (id, id_key, author, seq, type, hlc, ref) stays, so the indexes, the commit index, the
 * door, chains, version vectors and queries' filters work unchanged; only text moves. A crash
 * between the two steps leaves an unreferenced object and nothing dropped.
 *
 * Reading: `sql` is the replica's storage with sealed text read through (SealedSql below): a
 * row with text '' gets its text from a loaded segment, or the statement throws
 * SealedTextNeeded. `read(work)` runs a synchronous read, loads (and verifies against the
 * hash recorded at sealing) the segments it lacked, and runs it again; loaded segments are a
 * small LRU cache, pinned while a read uses them.
 */
import type { SqlRow, SqlStorage, SqlValue } from "../storage/sql.js";
import { idIs } from "./schema.js";
import { decodeSegment, encodeSegment, segmentError, segmentKey, type SegmentStore } from "./segment.js";
import { CommonsError } from "../errors.js";

/**
 * Types whose text stays in SQLite when sealed: what statements read by type with no arrival
 * to hydrate from, inside ingest and commit (the commit index and its rebuild, the door's
 * writers, invite checks, attention's roles). Receipts are 1 in ~128 envelopes, the others rare.
 */
export const KEPT_TEXT = ["space.created", "member.added", "member.removed", "member.joined", "commit", "sequencer.appointed", "invite.created"] as const;

/** Default envelopes per segment (COMMONS_SEGMENT_ENVELOPES): ~5 MB of text at ~500 bytes each. */
export const SEGMENT_ENVELOPES = 10_000;
/** Default segments held in memory at once (more only while one read needs them). */
export const LOADED_SEGMENTS = 4;

/** Sealed texts held in memory, by arrival; `undefined` when that segment is not loaded. */
export interface SealedTexts {
  text(arrival: number, id: string): string | undefined;
}

/**
 * A synchronous read met sealed rows whose segment is not loaded (`arrivals`). Caught by
 * `read`, which loads them and runs the read again; it reaches a caller only from a read not
 * run through `read` (then: try again).
 */
export class SealedTextNeeded extends CommonsError {
  constructor(readonly arrivals: number[]) {
    super("history-not-loaded", `This read reaches ${arrivals.length} envelopes of sealed history that are not loaded here: try again.`, { status: 503, rpcCode: -32603 });
  }
}

/** True for a log_envelopes row whose text lives in a sealed segment (a canonical envelope is never ''). */
export const isSealed = (r: { text: string }): boolean => r.text === "";

export interface SegmentRow {
  idx: number;
  first: number;
  last: number;
  hash: string;
  key: string;
}

interface Loaded {
  first: number;
  last: number;
  ids: string[];
  texts: string[];
}

export interface HistoryOptions {
  segmentEnvelopes?: number;
  loadedSegments?: number;
}

export class SegmentHistory implements SealedTexts {
  /** The replica's storage with sealed text read through: open the LogReplica over this. */
  readonly sql: SqlStorage;
  private readonly cache = new Map<number, Loaded>();
  private readonly pins = new Map<number, number>();
  private readonly loading = new Map<number, Promise<void>>();
  private sealing: Promise<number> | undefined;
  /** Envelopes per segment; a test may set it small on a live object. */
  segmentEnvelopes: number;
  private readonly loadedSegments: number;

  constructor(private readonly inner: SqlStorage, private readonly store: SegmentStore | undefined, private readonly space: string, options: HistoryOptions = {}) {
    this.sql = new SealedSql(inner, this);
    this.segmentEnvelopes = Math.max(1, options.segmentEnvelopes ?? SEGMENT_ENVELOPES);
    this.loadedSegments = Math.max(1, options.loadedSegments ?? LOADED_SEGMENTS);
  }

  /** The segments sealed so far, in order. */
  segments(): SegmentRow[] {
    return this.inner.exec<SegmentRow & SqlRow>(`SELECT idx, first, last, hash, key FROM log_segments ORDER BY idx`).map(row);
  }

  /** The last arrival sealed (0 when none). */
  sealedThrough(): number {
    return Number(this.inner.exec<{ last: number }>(`SELECT last FROM log_segments ORDER BY idx DESC LIMIT 1`)[0]?.last ?? 0);
  }

  /** How much is sealed, once any sealing in flight has finished (what `GET /log/state` reports). */
  async status(): Promise<{ segments: number; through: number }> {
    // A failed run is logged where it was started; the status is what the tables say.
    await this.sealing?.catch(() => undefined);
    const last = this.inner.exec<{ idx: number; last: number }>(`SELECT idx, last FROM log_segments ORDER BY idx DESC LIMIT 1`)[0];
    return { segments: last === undefined ? 0 : Number(last.idx) + 1, through: Number(last?.last ?? 0) };
  }

  /**
   * Seals every full segment that is due; resolves with how many it sealed. One run at a
   * time; cheap when nothing is due (two point reads), so it may be called after every commit.
   */
  sealDue(): Promise<number> {
    if (this.store === undefined) return Promise.resolve(0);
    this.sealing ??= this.sealAll(this.store).finally(() => (this.sealing = undefined));
    return this.sealing;
  }

  private async sealAll(store: SegmentStore): Promise<number> {
    let sealed = 0;
    for (;;) {
      const last = this.inner.exec<SegmentRow & SqlRow>(`SELECT idx, first, last, hash, key FROM log_segments ORDER BY idx DESC LIMIT 1`).map(row)[0];
      const first = (last?.last ?? 0) + 1;
      const end = first + this.segmentEnvelopes - 1;
      if (this.settledThrough() < end) return sealed;
      const lines = this.inner.exec<{ arrival: number; id: string; text: string }>(
        `SELECT arrival, id, text FROM log_envelopes WHERE arrival BETWEEN ? AND ? ORDER BY arrival`, first, end,
      );
      // Arrival is the gapless rowid and past the last segment nothing is sealed yet.
      if (lines.length !== this.segmentEnvelopes || lines.some(isSealed)) throw new Error(`arrivals ${first}–${end} are not whole and unsealed`);
      const index = (last?.idx ?? -1) + 1;
      const { header, text } = await encodeSegment({ space: this.space, index, first, prev: last?.hash ?? null, lines: lines.map((l) => ({ id: l.id as never, text: l.text })) });
      const key = segmentKey(header);
      await store.put(key, text);
      this.inner.transaction(() => {
        this.inner.exec(`INSERT INTO log_segments (idx, first, last, hash, key) VALUES (?, ?, ?, ?, ?)`, index, first, end, header.hash, key);
        this.inner.exec(
          `UPDATE log_envelopes SET text = '' WHERE arrival BETWEEN ? AND ? AND type NOT IN (${KEPT_TEXT.map(() => "?").join(",")})`,
          first, end, ...KEPT_TEXT,
        );
      });
      // What was just sealed is what a catching-up peer asks for next: keep it loaded.
      this.remember(index, { first, last: end, ids: lines.map((l) => l.id), texts: lines.map((l) => l.text) });
      sealed++;
    }
  }

  /**
   * Settled: at or below the sequencer's scanned point (core/state/store.ts, state_meta
   * 'scanned'): the sequencer examined every arrival up to it and committed all but receipts
   * and appointments, whose text is kept. Nothing the sequencer still reads is sealed.
   */
  private settledThrough(): number {
    const scanned = Number(this.inner.exec<{ value: string }>(`SELECT value FROM state_meta WHERE key = 'scanned'`)[0]?.value ?? 0);
    const count = Number(this.inner.exec<{ n: number }>(`SELECT COALESCE(MAX(arrival), 0) AS n FROM log_envelopes`)[0]?.n ?? 0);
    return Math.min(scanned, count);
  }

  /** SealedTexts: the text of a sealed arrival if its segment is loaded. */
  text(arrival: number, id: string): string | undefined {
    for (const [index, loaded] of this.cache) {
      if (arrival < loaded.first || arrival > loaded.last) continue;
      const at = arrival - loaded.first;
      if (loaded.ids[at] !== id) throw segmentError("history-segment-mismatch", `Segment ${index} holds ${loaded.ids[at]} at arrival ${arrival}, not ${id}`);
      return loaded.texts[at];
    }
    return undefined;
  }

  /**
   * Runs `work` (synchronous SQL reads) with the sealed segments it needs loaded. `turn` runs
   * each attempt (a write queue's turn, say); loading happens between turns, never inside one.
   * A read that would need more than the cache holds at once is run again with half the
   * `limit` (a page of a catch-up or a query is still a valid page when shorter).
   */
  async read<T>(work: (limit: number | undefined) => T, options: { limit?: number; turn?: <R>(run: () => R) => Promise<R> } = {}): Promise<T> {
    const turn = options.turn ?? (async <R>(run: () => R) => run());
    const lease = new Set<number>();
    let limit = options.limit;
    try {
      for (;;) {
        const outcome = await turn((): { done: true; value: T } | { done: false; need: number[] } => {
          try {
            return { done: true, value: work(limit) };
          } catch (error) {
            if (error instanceof SealedTextNeeded) return { done: false, need: error.arrivals };
            throw error;
          }
        });
        if (outcome.done) return outcome.value;
        const fresh = this.segmentsOf(outcome.need).filter((index) => !lease.has(index));
        if (fresh.length === 0) throw new Error(`sealed arrivals ${outcome.need.slice(0, 3).join(", ")}… have no segment`);
        if (limit !== undefined && limit > 1 && lease.size + fresh.length > this.loadedSegments) {
          limit = Math.max(1, Math.floor(limit / 2));
          continue;
        }
        for (const index of fresh) {
          lease.add(index);
          this.pins.set(index, (this.pins.get(index) ?? 0) + 1);
        }
        await Promise.all(fresh.map((index) => this.load(index)));
      }
    } finally {
      for (const index of lease) {
        const pins = (this.pins.get(index) ?? 1) - 1;
        if (pins > 0) this.pins.set(index, pins);
        else this.pins.delete(index);
      }
      this.evict();
    }
  }

  /** The segments holding `arrivals`, in order of first need, each once. */
  private segmentsOf(arrivals: readonly number[]): number[] {
    const found: SegmentRow[] = [];
    for (const arrival of arrivals) {
      if (found.some((s) => arrival >= s.first && arrival <= s.last)) continue;
      const segment = this.inner.exec<SegmentRow & SqlRow>(`SELECT idx, first, last, hash, key FROM log_segments WHERE first <= ? ORDER BY first DESC LIMIT 1`, arrival).map(row)[0];
      if (segment !== undefined && arrival <= segment.last) found.push(segment);
    }
    return found.map((s) => s.idx);
  }

  private load(index: number): Promise<void> {
    if (this.cache.has(index)) return Promise.resolve();
    let pending = this.loading.get(index);
    if (pending === undefined) {
      pending = this.fetch(index).finally(() => this.loading.delete(index));
      this.loading.set(index, pending);
    }
    return pending;
  }

  /** Fetches segment `index` and checks it is exactly the one sealed here: its hash, place and chain link. */
  private async fetch(index: number): Promise<void> {
    const [segment, before] = [index, index - 1].map((i) => this.inner.exec<SegmentRow & SqlRow>(`SELECT idx, first, last, hash, key FROM log_segments WHERE idx = ?`, i).map(row)[0]);
    if (segment === undefined) throw new Error(`no segment ${index} is recorded`);
    if (this.store === undefined) throw segmentError("history-unavailable", `Arrivals ${segment.first}–${segment.last} are sealed`);
    const text = await this.store.get(segment.key);
    if (text === null) throw segmentError("history-segment-missing", `Segment ${index} (arrivals ${segment.first}–${segment.last}, ${segment.key}) is not in the history store`);
    const { header, lines } = await decodeSegment(text);
    const expected = { space: this.space, index, first: segment.first, last: segment.last, prev: before?.hash ?? null, hash: segment.hash };
    const held = { space: header.space, index: header.index, first: header.first, last: header.last, prev: header.prev, hash: header.hash };
    if (JSON.stringify(held) !== JSON.stringify(expected)) {
      throw segmentError("history-segment-mismatch", `The object at ${segment.key} is segment ${header.index} of ${header.space} hashed ${header.hash}, not the segment ${index} hashed ${segment.hash} sealed here`);
    }
    this.remember(index, { first: header.first, last: header.last, ids: lines.map((l) => l.id), texts: lines.map((l) => l.text) });
  }

  private remember(index: number, loaded: Loaded): void {
    this.cache.delete(index);
    this.cache.set(index, loaded);
    this.evict();
  }

  /** Drops the least recently loaded unpinned segments past the budget. */
  private evict(): void {
    for (const index of this.cache.keys()) {
      if (this.cache.size <= this.loadedSegments) return;
      if (!this.pins.has(index)) this.cache.delete(index);
    }
  }
}

const row = (r: SegmentRow & SqlRow): SegmentRow => ({ idx: Number(r.idx), first: Number(r.first), last: Number(r.last), hash: String(r.hash), key: String(r.key) });

/**
 * The storage a replica with sealed history reads through: every row a statement returns
 * with `text` '' (log_envelopes only: a canonical envelope is never empty) gets its text from
 * the loaded segments, found by the row's arrival (or, for a row selected without one, its
 * id's); rows whose segment is not loaded make the statement throw SealedTextNeeded. Writes
 * and transactions pass straight through.
 */
class SealedSql implements SqlStorage {
  constructor(private readonly inner: SqlStorage, private readonly texts: SealedTexts) {}

  exec<T extends SqlRow = SqlRow>(query: string, ...params: SqlValue[]): T[] {
    const rows = this.inner.exec<T>(query, ...params);
    let needed: number[] | undefined;
    for (const r of rows) {
      if (r.text !== "" || typeof r.id !== "string") continue;
      const arrival = r.arrival !== undefined ? Number(r.arrival) : this.arrivalOf(r.id);
      const text = this.texts.text(arrival, r.id);
      if (text === undefined) (needed ??= []).push(arrival);
      else (r as Record<string, SqlValue>).text = text;
    }
    if (needed !== undefined) throw new SealedTextNeeded(needed);
    return rows;
  }

  transaction<T>(fn: () => T): T {
    return this.inner.transaction(fn);
  }

  private arrivalOf(id: string): number {
    return Number(this.inner.exec<{ arrival: number }>(`SELECT arrival FROM log_envelopes WHERE ${idIs()}`, id, id)[0]?.arrival ?? 0);
  }
}
