/**
 * Audit of a stored log: re-verifies, from the rows alone, everything `LogReplica.ingest`
 * checked on arrival — each envelope's shape, id (hash of the stored text), signature and
 * space, the author chains (seq, prev, hlc), that deps arrived earlier, and that the derived
 * tables (author tips, heads, genesis) agree with the envelopes. A replica that only ever
 * wrote through `ingest` passes; a row altered by hand, a truncated file or a half-copied
 * database does not.
 *
 * Two ways, both ending at a `VerifiedPoint` (how far the log was verified, and a running
 * SHA-256 chained over every verified row's arrival, id and stored text):
 *
 * - `auditLog`: every row (`commons verify`). Given the point verified earlier, it also
 *   checks that the rows up to it are still exactly the ones verified then (a rollback,
 *   a replaced row or an altered point shows as `audit-prefix-mismatch`).
 * - `auditSince`: only the rows that arrived after a point verified earlier (every open of
 *   a local copy). The prefix is trusted after one cheap check: the row at the point still
 *   has the id verified there (a rolled-back or replaced tail fails it). If it fails, it
 *   falls back to `auditLog`, whose problems say what changed. Chains, deps and derived
 *   tables are judged with the prefix looked up through the indexes, never read whole; a
 *   row below the point altered or removed in place is `auditLog`'s to find.
 *
 * Portable: only the SqlStorage interface, web crypto, and lib0's SHA-256 (native in Node).
 */
import { digest as sha256 } from "lib0/hash/sha256";
import { encodeHex } from "../identity/encoding.js";
import type { SpaceId } from "../ids.js";
import type { SqlStorage } from "../storage/sql.js";
import { envelopeRef } from "./indexing.js";
import { idIs } from "./schema.js";
import { verifyEnvelope } from "./verify.js";

export interface AuditProblem {
  /** The row's arrival position (0 for table-level problems). */
  arrival: number;
  code: string;
  message: string;
}

/** How far a log was verified: enough to extend the verification, or to check it still holds. */
export interface VerifiedPoint {
  /** The highest arrival position verified (0: none). */
  arrival: number;
  /** How many rows have an arrival up to `arrival`. */
  count: number;
  /** The id of the row at `arrival` (null when 0). */
  tip: string | null;
  /** Hex SHA-256 chain over rows 1..arrival: see `chainStep`. */
  chain: string;
  /** The heads the rows up to `arrival` imply, sorted. */
  heads: string[];
  /** Distinct authors among the rows up to `arrival`. */
  authors: number;
  /** The genesis among them, if any. */
  genesis: string | null;
}

export interface AuditReport {
  ok: boolean;
  /** Rows in the log. */
  envelopes: number;
  /** Rows whose text, id and signature were checked this time (all for `auditLog`). */
  checked: number;
  /** `full`: every row; `since`: only the rows past the given point. */
  mode: "full" | "since";
  problems: AuditProblem[];
  /** Where the log is verified up to now (set when ok). */
  point?: VerifiedPoint;
}

type Row = { arrival: number; id: string; author: string; seq: number; type: string; hlc: string; ref: string | null; text: string };
type AuthorRow = { author: string; last_seq: number; last_id: string; last_hlc: string };
type Tip = { seq: number; id: string; hlc: string };

/** Verifies signatures this many at a time: parallel enough to be quick, bounded in memory. */
const PARALLEL = 256;
/** Stop collecting after this many problems: one is enough to refuse the copy. */
const MAX_PROBLEMS = 50;
const ROW_COLUMNS = "arrival, id, author, seq, type, hlc, ref, text";
const utf8 = new TextEncoder();

/** The chain before any row: bound to the space, so two spaces' chains never coincide. */
export function chainStart(space: SpaceId): string {
  return encodeHex(sha256(utf8.encode(`commons-verified-log/1\n${space}`)));
}

/** chain' = SHA-256(chain ‖ UTF-8 "<arrival>\n<id>\n<stored text>"): order, ids and bytes all count. */
export function chainStep(chain: string, row: { arrival: number; id: string; text: string }): string {
  const body = utf8.encode(`${Number(row.arrival)}\n${row.id}\n${row.text}`);
  const input = new Uint8Array(32 + body.length);
  for (let i = 0; i < 32; i++) input[i] = parseInt(chain.slice(2 * i, 2 * i + 2), 16);
  input.set(body, 32);
  return encodeHex(sha256(input));
}

/** The point of a log with no rows. */
export const emptyPoint = (space: SpaceId): VerifiedPoint => ({ arrival: 0, count: 0, tip: null, chain: chainStart(space), heads: [], authors: 0, genesis: null });

class Problems {
  readonly list: AuditProblem[] = [];
  add(arrival: number, code: string, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ arrival, code, message });
  }
}

/** Stateless checks, in parallel chunks: the stored text must be exactly a valid signed envelope. */
async function checkRows(rows: readonly Row[], space: SpaceId, problems: Problems): Promise<void> {
  for (let start = 0; start < rows.length; start += PARALLEL) {
    const chunk = rows.slice(start, start + PARALLEL);
    const results = await Promise.all(chunk.map(async (row) => {
      let raw: unknown;
      try {
        raw = JSON.parse(row.text);
      } catch {
        return { row, error: "the stored text is not JSON" };
      }
      const checked = await verifyEnvelope(raw, space);
      if (!checked.ok) return { row, error: `${checked.code}: ${checked.message}` };
      const { id, envelope, signedText } = checked.value;
      if (id !== row.id) return { row, error: `the stored text hashes to ${id}, not to its id` };
      if (signedText !== row.text) return { row, error: "the stored text is not the canonical signed form" };
      if (envelope.author !== row.author || envelope.seq !== Number(row.seq) || envelope.type !== row.type || envelope.hlc !== row.hlc) {
        return { row, error: "the indexed columns disagree with the envelope" };
      }
      if ((row.ref ?? null) !== envelopeRef(envelope)) return { row, error: "the indexed ref disagrees with the envelope" };
      return { row, error: null };
    }));
    for (const { row, error } of results) if (error !== null) problems.add(Number(row.arrival), "audit-envelope-invalid", `${row.id}: ${error}`);
  }
}

/** What the rows before a fold imply, and how to look up what the fold did not see. */
interface Prefix {
  point: VerifiedPoint;
  /** An author's tip among the prefix rows. */
  tip(author: string): Tip | undefined;
  /** The hlc of a prefix row. */
  hlc(id: string): string | undefined;
}

interface Folded {
  /** The tips of the authors the folded rows extend. */
  tips: Map<string, Tip>;
  /** How many of them had no envelope in the prefix. */
  newAuthors: number;
  heads: Set<string>;
  genesis: string | null;
  chain: string;
  /** Chain, count and tip once every row up to `at` was folded (or at the end, if the rows stop before it). */
  at: { chain: string; count: number; tip: string | null };
}

/** Stateful checks in arrival order: what ingest checked inside its transaction. */
function foldRows(rows: readonly Row[], prefix: Prefix, problems: Problems, at = Number.POSITIVE_INFINITY): Folded {
  const tips = new Map<string, Tip>();
  const hlcOf = new Map<string, string>();
  const heads = new Set(prefix.point.heads);
  let { genesis, chain, count, tip: last } = prefix.point;
  let newAuthors = 0;
  let seen: Folded["at"] | undefined;
  for (const row of rows) {
    const arrival = Number(row.arrival);
    if (seen === undefined && arrival > at) seen = { chain, count, tip: last };
    chain = chainStep(chain, row);
    count++;
    last = row.id;
    let envelope: { prev: string | null; deps: string[] };
    try {
      envelope = JSON.parse(row.text) as { prev: string | null; deps: string[] };
    } catch {
      continue; // reported by checkRows
    }
    let tip = tips.get(row.author);
    if (tip === undefined) {
      tip = prefix.tip(row.author);
      if (tip === undefined) newAuthors++;
    }
    const seq = Number(row.seq);
    if (seq !== (tip?.seq ?? 0) + 1) problems.add(arrival, "audit-chain-broken", `${row.author} seq ${seq} follows seq ${tip?.seq ?? 0}.`);
    else if (envelope.prev !== (tip?.id ?? null)) problems.add(arrival, "audit-chain-broken", `${row.id}'s prev is not ${row.author}'s seq ${seq - 1}.`);
    else if (tip !== undefined && row.hlc <= tip.hlc) problems.add(arrival, "audit-chain-broken", `${row.id}'s hlc is not after its prev's.`);
    for (const dep of envelope.deps ?? []) {
      const depHlc = hlcOf.get(dep) ?? prefix.hlc(dep);
      if (depHlc === undefined) problems.add(arrival, "audit-deps-missing", `${row.id} cites ${dep}, which did not arrive before it.`);
      else if (row.hlc <= depHlc) problems.add(arrival, "audit-chain-broken", `${row.id}'s hlc is not after its dep ${dep}'s.`);
      heads.delete(dep);
    }
    if (envelope.prev !== null) heads.delete(envelope.prev);
    heads.add(row.id);
    hlcOf.set(row.id, row.hlc);
    tips.set(row.author, { seq, id: row.id, hlc: row.hlc });
    if (row.type === "space.created") {
      if (genesis !== null) problems.add(arrival, "audit-genesis-conflict", `a second space.created ${row.id}.`);
      genesis ??= row.id;
    }
  }
  return { tips, newAuthors, heads, genesis, chain, at: seen ?? { chain, count, tip: last } };
}

function checkHeads(stored: readonly string[], implied: Set<string>, problems: Problems): void {
  const held = new Set(stored);
  if (held.size !== implied.size || [...implied].some((h) => !held.has(h))) {
    problems.add(0, "audit-heads-mismatch", "log_heads is not the set of envelopes no other envelope cites.");
  }
}

function checkGenesis(stored: string | undefined, implied: string | null, problems: Problems): void {
  if ((stored ?? null) !== implied) problems.add(0, "audit-genesis-mismatch", "log_meta.genesis does not name the stored space.created.");
}

function checkSpace(stored: string | undefined, space: SpaceId, problems: Problems): void {
  if (stored !== undefined && stored !== space) problems.add(0, "audit-wrong-space", `The log is of space "${stored}", not "${space}".`);
}

const sameTip = (row: AuthorRow, tip: Tip | undefined) =>
  tip !== undefined && Number(row.last_seq) === tip.seq && row.last_id === tip.id && row.last_hlc === tip.hlc;

const metaValue = (sql: SqlStorage, key: string) => sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = ?`, key)[0]?.value;

function finish(problems: Problems, envelopes: number, checked: number, mode: AuditReport["mode"], point: VerifiedPoint): AuditReport {
  const ok = problems.list.length === 0;
  return { ok, envelopes, checked, mode, problems: problems.list, ...(ok ? { point } : {}) };
}

/**
 * Every row. With `expect` (the point this replica verified before), also checks the rows up
 * to it are unchanged: same chain, same count, same row at the point.
 */
export async function auditLog(sql: SqlStorage, space: SpaceId, options: { expect?: VerifiedPoint } = {}): Promise<AuditReport> {
  // One snapshot of every table, so a concurrent writer cannot make a consistent copy look torn.
  const snapshot = sql.transaction(() => ({
    rows: sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM log_envelopes ORDER BY arrival`),
    authors: sql.exec<AuthorRow>(`SELECT author, last_seq, last_id, last_hlc FROM log_authors`),
    heads: sql.exec<{ id: string }>(`SELECT id FROM log_heads`).map((h) => h.id),
    genesis: metaValue(sql, "genesis"),
    space: metaValue(sql, "space"),
  }));
  const problems = new Problems();
  checkSpace(snapshot.space, space, problems);
  const { rows } = snapshot;
  await checkRows(rows, space, problems);
  const { expect } = options;
  const folded = foldRows(rows, { point: emptyPoint(space), tip: () => undefined, hlc: () => undefined }, problems, expect?.arrival);

  // The derived tables must be exactly what the envelopes imply.
  checkGenesis(snapshot.genesis, folded.genesis, problems);
  const authorRows = new Map(snapshot.authors.map((a) => [a.author, a] as const));
  for (const [author, tip] of folded.tips) {
    const held = authorRows.get(author);
    if (held === undefined || !sameTip(held, tip)) problems.add(0, "audit-tips-mismatch", `log_authors disagrees with the stored chain of ${author}.`);
    authorRows.delete(author);
  }
  for (const author of authorRows.keys()) problems.add(0, "audit-tips-mismatch", `log_authors lists ${author}, who has no stored envelope.`);
  checkHeads(snapshot.heads, folded.heads, problems);

  const lastArrival = Number(rows.at(-1)?.arrival ?? 0);
  if (expect !== undefined) {
    if (lastArrival < expect.arrival) {
      problems.add(0, "audit-prefix-mismatch", `The log ends at #${lastArrival}, but it was verified up to #${expect.arrival}: rows were removed.`);
    } else if (folded.at.chain !== expect.chain || folded.at.count !== expect.count || folded.at.tip !== expect.tip) {
      problems.add(0, "audit-prefix-mismatch",
        `The rows up to #${expect.arrival} are not the ones verified before (their hash chain is ${folded.at.chain.slice(0, 12)}…, the verified one ${expect.chain.slice(0, 12)}…): rows were altered, replaced or removed, or the verified point was.`);
    }
  }
  const point: VerifiedPoint = {
    arrival: lastArrival, count: rows.length, tip: rows.at(-1)?.id ?? null, chain: folded.chain,
    heads: [...folded.heads].sort(), authors: folded.tips.size, genesis: folded.genesis,
  };
  return finish(problems, rows.length, rows.length, "full", point);
}

/**
 * Only the rows past `from`, a point this replica verified before (or, with
 * `signatures: false`, rows it ingested itself since then: ingest verified their ids and
 * signatures, so only the chains, deps and derived tables are checked and the chain
 * extended). If the row at `from` changed, the prefix is not what was verified: the whole log
 * is audited instead (`mode: "full"`).
 */
export async function auditSince(sql: SqlStorage, space: SpaceId, from: VerifiedPoint, options: { signatures?: boolean } = {}): Promise<AuditReport> {
  const problems = new Problems();
  // Everything read in one transaction, so the lookups see the same snapshot as the rows.
  const read = sql.transaction(() => {
    // The prefix is trusted if the row at the point is still the one verified there: one
    // lookup by primary key (counting the rows up to it would read a whole index).
    const atPoint = from.arrival === 0 ? null : (sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE arrival = ?`, from.arrival)[0]?.id ?? null);
    if (atPoint !== from.tip) return null;
    checkSpace(metaValue(sql, "space"), space, problems);
    const rows = sql.exec<Row>(`SELECT ${ROW_COLUMNS} FROM log_envelopes WHERE arrival > ? ORDER BY arrival`, from.arrival);
    const tips = new Map<string, Tip | undefined>();
    const prefix: Prefix = {
      point: from,
      tip(author) {
        if (!tips.has(author)) {
          const row = sql.exec<Tip>(`SELECT seq, id, hlc FROM log_envelopes WHERE author = ? AND arrival <= ? ORDER BY seq DESC LIMIT 1`, author, from.arrival)[0];
          tips.set(author, row === undefined ? undefined : { seq: Number(row.seq), id: row.id, hlc: row.hlc });
        }
        return tips.get(author);
      },
      hlc: (id) => sql.exec<{ hlc: string }>(`SELECT hlc FROM log_envelopes WHERE ${idIs()} AND arrival <= ?`, id, id, from.arrival)[0]?.hlc,
    };
    const folded = foldRows(rows, prefix, problems);
    checkGenesis(metaValue(sql, "genesis"), folded.genesis, problems);
    const authorRows = sql.exec<AuthorRow>(`SELECT author, last_seq, last_id, last_hlc FROM log_authors`);
    for (const row of authorRows) {
      // An author the new rows did not extend still has the tip the prefix gives it.
      if (!sameTip(row, folded.tips.get(row.author) ?? prefix.tip(row.author))) problems.add(0, "audit-tips-mismatch", `log_authors disagrees with the stored chain of ${row.author}.`);
    }
    const authors = from.authors + folded.newAuthors;
    if (authorRows.length !== authors) problems.add(0, "audit-tips-mismatch", `log_authors has ${authorRows.length} authors; the envelopes have ${authors}.`);
    checkHeads(sql.exec<{ id: string }>(`SELECT id FROM log_heads`).map((h) => h.id), folded.heads, problems);
    return { rows, folded, authors };
  });
  if (read === null) return auditLog(sql, space, { expect: from });
  const { rows, folded, authors } = read;
  if (options.signatures !== false) await checkRows(rows, space, problems);
  const point: VerifiedPoint = {
    arrival: Number(rows.at(-1)?.arrival ?? from.arrival), count: from.count + rows.length, tip: rows.at(-1)?.id ?? from.tip, chain: folded.chain,
    heads: [...folded.heads].sort(), authors, genesis: folded.genesis,
  };
  return finish(problems, point.count, options.signatures === false ? 0 : rows.length, "since", point);
}
