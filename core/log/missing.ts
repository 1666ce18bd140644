/**
 * A catch-up page (`LogReplica.missingFor`): the envelopes held here that a receiver's version
 * vector lacks, the first `limit` of them in arrival order (a causal order), read in O(limit +
 * authors behind) rows and a handful of statements, whatever the log's length.
 *
 * Two ways to read a page, because SQLite has no index that orders one author's rows by
 * arrival across authors:
 * - **The arrival scan** (the usual case): from the earliest arrival the receiver lacks, rows in
 *   arrival order (the rowid), keeping those past the receiver's seq for their author. One
 *   statement; exact when the receiver lacks everything after that point, as a node far
 *   behind does.
 * - **The merge** (when the scan keeps less than half of what it reads: a receiver holding most
 *   of what follows, e.g. everything but one author's tail): each author's missing range in
 *   seq order (its arrival order) through the (author, seq) index, a chunk at a time, each
 *   chunk what the page still needs shared among the authors not yet exhausted, merged by
 *   arrival. The rows read are the page plus at most one chunk left per author.
 *
 * It once read `limit` rows of every author behind and kept `limit` of them: 3.8× the page with
 * three writers and a sequencer, 1,309 rows for a page of 256 with eight authors (the plan was
 * the index each time; EXPLAIN QUERY PLAN showed nothing wrong with any one statement).
 * test/workers/log-catch-up-rows.test.ts counts the rows DO SQLite reads for a page.
 */
import type { SqlStorage } from "../storage/sql.js";
import type { VersionVector } from "./ids.js";

export type PageRow = { arrival: number; id: string; author: string; seq: number; text: string };

/** Point lookups per statement: two bound parameters each, under a Durable Object's 100. */
const SEEKS_PER_STATEMENT = 40;

/** The first `limit` envelopes held here (`mine`: this replica's vector) that `theirs` lacks, in arrival order. */
export function missingPage(sql: SqlStorage, mine: VersionVector, theirs: VersionVector, limit: number): PageRow[] {
  const behind = new Map<string, number>();
  for (const [author, tip] of Object.entries(mine)) {
    const have = theirs[author] ?? 0;
    if (tip > have) behind.set(author, have);
  }
  if (limit <= 0 || behind.size === 0) return [];
  const page: PageRow[] = [];
  let from = firstMissingArrival(sql, behind);
  let dropped = 0;
  while (from !== null && page.length < limit) {
    const want = limit - page.length;
    const rows = sql.exec<PageRow>(`SELECT arrival, id, author, seq, text FROM log_envelopes WHERE arrival >= ? ORDER BY arrival LIMIT ?`, from, want);
    for (const row of rows) {
      const have = behind.get(row.author);
      if (have !== undefined && Number(row.seq) > have) page.push(row);
      else dropped++;
    }
    if (rows.length < want) return page;
    from = Number(rows.at(-1)!.arrival) + 1;
    // The receiver holds most of what follows: the scan would read the log, the merge reads the page.
    if (dropped > page.length) break;
  }
  if (page.length === limit) return page;
  // Every missing row before `from` is in the page, so each author's rest starts past its last one there.
  const after = new Map(behind);
  for (const row of page) after.set(row.author, Math.max(after.get(row.author)!, Number(row.seq)));
  const cursors = [...after].map(([author, seq]): AuthorCursor => ({ author, after: seq, left: mine[author]! - Math.max(seq, 0), rows: [], next: 0 }));
  return page.concat(merge(sql, cursors.filter((c) => c.left > 0), limit - page.length));
}

/** The earliest arrival among each author's first missing envelope; null if none is held (nothing to scan from). */
function firstMissingArrival(sql: SqlStorage, behind: ReadonlyMap<string, number>): number | null {
  const seeks = [...behind].map(([author, have]) => [author, have < 0 ? 1 : Math.floor(have) + 1] as const);
  let first: number | null = null;
  for (let i = 0; i < seeks.length; i += SEEKS_PER_STATEMENT) {
    const part = seeks.slice(i, i + SEEKS_PER_STATEMENT);
    // A row-value IN over VALUES: one index seek per pair (a UNION ALL of seeks is over DO SQLite's compound-select limit).
    const pairs = part.map(() => "(?, ?)").join(", ");
    const lo = sql.exec<{ lo: number | null }>(`SELECT MIN(arrival) AS lo FROM log_envelopes WHERE (author, seq) IN (VALUES ${pairs})`, ...part.flat())[0]?.lo ?? null;
    if (lo !== null && (first === null || Number(lo) < first)) first = Number(lo);
  }
  return first;
}

/** One author's missing rows, read in chunks: `after` the last seq read, `left` how many remain past it. */
interface AuthorCursor {
  author: string;
  after: number;
  left: number;
  rows: PageRow[];
  next: number;
}

/** The first `limit` rows of the cursors' ranges in arrival order (the merge, above). */
function merge(sql: SqlStorage, cursors: AuthorCursor[], limit: number): PageRow[] {
  const page: PageRow[] = [];
  const open = () => cursors.filter((c) => c.next < c.rows.length || c.left > 0).length;
  const fill = (c: AuthorCursor, share: number) => {
    const want = Math.ceil(Math.min(c.left, Math.max(1, share)));
    c.rows = sql.exec<PageRow>(`SELECT arrival, id, author, seq, text FROM log_envelopes WHERE author = ? AND seq > ? ORDER BY seq LIMIT ?`, c.author, c.after, want);
    c.next = 0;
    const last = c.rows.at(-1);
    // A short read (a vector with a seq below 1, say) means nothing more is held past it.
    c.left = last === undefined || c.rows.length < want ? 0 : c.left - c.rows.length;
    if (last !== undefined) c.after = Number(last.seq);
  };
  if (limit <= 0 || cursors.length === 0) return page;
  for (const c of cursors) fill(c, Math.ceil(limit / cursors.length));
  while (page.length < limit) {
    let first: AuthorCursor | undefined;
    for (const c of cursors) {
      if (c.next < c.rows.length && (first === undefined || Number(c.rows[c.next]!.arrival) < Number(first.rows[first.next]!.arrival))) first = c;
    }
    if (first === undefined) break;
    page.push(first.rows[first.next++]!);
    // Refill before the next pick: this author's next row may be the earliest of all.
    if (first.next === first.rows.length && first.left > 0 && page.length < limit) fill(first, Math.ceil((limit - page.length) / open()));
  }
  return page;
}
