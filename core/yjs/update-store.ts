/**
 * Durable Yjs history for one space, over the shared SqlStorage interface (a Durable
 * Object's SQLite at the edge, node:sqlite on a local node).
 *
 * Every accepted update is appended as its own row *before* anyone is told about it; the
 * document is never saved whole on a timer. Rows are compacted in chunks: runs of adjacent
 * rows are merged while the run stays under `targetChunkBytes` and `maxUpdatesPerMerge`
 * updates, so no merged row can reach the 2 MB row limit and `Y.mergeUpdates` (quadratic on
 * long lists) never sees more than a few hundred inputs. A big document is several chunks,
 * applied in order on load.
 */
import * as Y from "yjs";
import type { SqlStorage } from "../storage/sql.js";

/** Cloudflare's per-row limit for Durable Object SQLite values. */
export const MAX_ROW_BYTES = 2 * 1024 * 1024;

export interface CompactionOptions {
  /** Stop growing a chunk at this many bytes of input. Default 1 MiB (half the row limit). */
  targetChunkBytes?: number;
  /** Never hand more than this many updates to one `Y.mergeUpdates`. Default 500. */
  maxUpdatesPerMerge?: number;
}

export interface CompactionResult {
  rowsBefore: number;
  rowsAfter: number;
  merges: number;
}

export interface UpdateRow {
  seq: number;
  data: Uint8Array;
  /** How many original updates this row stands for (1 for a fresh append). */
  updates: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS y_updates (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  data BLOB NOT NULL,
  updates INTEGER NOT NULL DEFAULT 1
)`;

export class YUpdateStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Appends one update (or a merge of `updates` of them); returns its row sequence number. */
  append(update: Uint8Array, updates = 1): number {
    if (update.byteLength > MAX_ROW_BYTES) {
      throw new RangeError(`a ${update.byteLength}-byte update exceeds the ${MAX_ROW_BYTES}-byte row limit`);
    }
    const rows = this.sql.exec<{ seq: number }>("INSERT INTO y_updates (data, updates) VALUES (?, ?) RETURNING seq", update, updates);
    return Number(rows[0]!.seq);
  }

  rows(): UpdateRow[] {
    return this.sql
      .exec<{ seq: number; data: Uint8Array; updates: number }>("SELECT seq, data, updates FROM y_updates ORDER BY seq")
      .map((r) => ({ seq: Number(r.seq), data: r.data, updates: Number(r.updates) }));
  }

  /** Number of stored rows and of rows not yet merged into a chunk. */
  stats(): { rows: number; uncompacted: number; bytes: number } {
    const [row] = this.sql.exec<{ rows: number; uncompacted: number; bytes: number }>(
      "SELECT COUNT(*) AS rows, COALESCE(SUM(updates = 1), 0) AS uncompacted, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM y_updates",
    );
    return { rows: Number(row!.rows), uncompacted: Number(row!.uncompacted), bytes: Number(row!.bytes) };
  }

  /** Applies the whole stored history to `doc` in one transaction. */
  loadInto(doc: Y.Doc, origin: unknown = this): void {
    const rows = this.rows();
    Y.transact(doc, () => {
      for (const row of rows) Y.applyUpdate(doc, row.data, origin);
    }, origin);
  }

  /** Merges runs of adjacent rows into chunks; each run is one atomic replace. */
  compact(options: CompactionOptions = {}): CompactionResult {
    const target = options.targetChunkBytes ?? 1024 * 1024;
    const maxUpdates = options.maxUpdatesPerMerge ?? 500;
    const rows = this.sql.exec<{ seq: number; bytes: number; updates: number }>(
      "SELECT seq, LENGTH(data) AS bytes, updates FROM y_updates ORDER BY seq",
    );
    const result: CompactionResult = { rowsBefore: rows.length, rowsAfter: rows.length, merges: 0 };
    let run: { seq: number; bytes: number }[] = [];
    let runBytes = 0;
    const flush = () => {
      if (run.length > 1 && this.mergeRun(run.map((r) => r.seq))) {
        result.merges++;
        result.rowsAfter -= run.length - 1;
      }
      run = [];
      runBytes = 0;
    };
    for (const raw of rows) {
      const row = { seq: Number(raw.seq), bytes: Number(raw.bytes) };
      if (run.length > 0 && (runBytes + row.bytes > target || run.length >= maxUpdates)) flush();
      run.push(row);
      runBytes += row.bytes;
    }
    flush();
    return result;
  }

  /**
   * Replaces rows `seqs` (adjacent, ascending) by their merge, kept at the last seq: a
   * reader that follows the history by seq (the node's daemon applies rows past the last it
   * saw) finds the merge of rows it had not seen yet, and loses nothing.
   */
  private mergeRun(seqs: number[]): boolean {
    const first = seqs[0]!;
    const last = seqs[seqs.length - 1]!;
    const parts = this.sql.exec<{ data: Uint8Array; updates: number }>(
      "SELECT data, updates FROM y_updates WHERE seq BETWEEN ? AND ? ORDER BY seq",
      first,
      last,
    );
    const merged = Y.mergeUpdates(parts.map((p) => p.data));
    // Merging almost never grows an update, but if it would break the row limit keep the run.
    if (merged.byteLength > MAX_ROW_BYTES) return false;
    const updates = parts.reduce((n, p) => n + Number(p.updates), 0);
    this.sql.transaction(() => {
      this.sql.exec("DELETE FROM y_updates WHERE seq BETWEEN ? AND ?", first, last);
      this.sql.exec("INSERT INTO y_updates (seq, data, updates) VALUES (?, ?, ?)", last, merged, updates);
    });
    return true;
  }

  /** Deletes the whole history (used when a replica is rebuilt from another copy). */
  clear(): void {
    this.sql.exec("DELETE FROM y_updates");
  }
}
