/**
 * Audit of a stored log: re-verifies, from the rows alone, everything `LogReplica.ingest`
 * checked on arrival — each envelope's shape, id (hash of the stored text), signature and
 * space, the author chains (seq, prev, hlc), that deps arrived earlier, and that the derived
 * tables (author tips, heads, genesis) agree with the envelopes. A replica that only ever
 * wrote through `ingest` passes; a row altered by hand, a truncated file or a half-copied
 * database does not.
 *
 * Used by the local node every time it opens a space (a copy on disk is outside any
 * replica's control, so it is never trusted silently) and by `commons verify`. Portable:
 * only the SqlStorage interface and web crypto.
 */
import type { SpaceId } from "../ids.js";
import type { SqlStorage } from "../storage/sql.js";
import { envelopeRef } from "./indexing.js";
import { verifyEnvelope } from "./verify.js";

export interface AuditProblem {
  /** The row's arrival position (0 for table-level problems). */
  arrival: number;
  code: string;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  envelopes: number;
  problems: AuditProblem[];
}

type Row = { arrival: number; id: string; author: string; seq: number; type: string; hlc: string; ref: string | null; text: string };
type AuthorRow = { author: string; last_seq: number; last_id: string; last_hlc: string };

/** Verifies signatures this many at a time: parallel enough to be quick, bounded in memory. */
const PARALLEL = 256;
/** Stop collecting after this many problems: one is enough to refuse the copy. */
const MAX_PROBLEMS = 50;

export async function auditLog(sql: SqlStorage, space: SpaceId): Promise<AuditReport> {
  // One snapshot of every table, so a concurrent writer cannot make a consistent copy look torn.
  const snapshot = sql.transaction(() => ({
    rows: sql.exec<Row>(`SELECT arrival, id, author, seq, type, hlc, ref, text FROM log_envelopes ORDER BY arrival`),
    authors: sql.exec<AuthorRow>(`SELECT author, last_seq, last_id, last_hlc FROM log_authors`),
    heads: sql.exec<{ id: string }>(`SELECT id FROM log_heads`).map((h) => h.id),
    genesis: sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'genesis'`)[0]?.value,
    space: sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'space'`)[0]?.value,
  }));
  const problems: AuditProblem[] = [];
  const problem = (arrival: number, code: string, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ arrival, code, message });
  };
  if (snapshot.space !== undefined && snapshot.space !== space) problem(0, "audit-wrong-space", `The log is of space "${snapshot.space}", not "${space}".`);

  // Stateless checks, in parallel chunks: the stored text must be exactly a valid signed envelope.
  const { rows } = snapshot;
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
    for (const { row, error } of results) if (error !== null) problem(Number(row.arrival), "audit-envelope-invalid", `${row.id}: ${error}`);
  }

  // Stateful checks in arrival order: what ingest checked inside its transaction.
  const tips = new Map<string, { seq: number; id: string; hlc: string }>();
  const hlcOf = new Map<string, string>();
  const heads = new Set<string>();
  let genesis: string | undefined;
  for (const row of rows) {
    const arrival = Number(row.arrival);
    let envelope: { prev: string | null; deps: string[] };
    try {
      envelope = JSON.parse(row.text) as { prev: string | null; deps: string[] };
    } catch {
      continue; // already reported above
    }
    const tip = tips.get(row.author);
    const seq = Number(row.seq);
    if (seq !== (tip?.seq ?? 0) + 1) problem(arrival, "audit-chain-broken", `${row.author} seq ${seq} follows seq ${tip?.seq ?? 0}.`);
    else if (envelope.prev !== (tip?.id ?? null)) problem(arrival, "audit-chain-broken", `${row.id}'s prev is not ${row.author}'s seq ${seq - 1}.`);
    else if (tip !== undefined && row.hlc <= tip.hlc) problem(arrival, "audit-chain-broken", `${row.id}'s hlc is not after its prev's.`);
    for (const dep of envelope.deps ?? []) {
      const depHlc = hlcOf.get(dep);
      if (depHlc === undefined) problem(arrival, "audit-deps-missing", `${row.id} cites ${dep}, which did not arrive before it.`);
      else if (row.hlc <= depHlc) problem(arrival, "audit-chain-broken", `${row.id}'s hlc is not after its dep ${dep}'s.`);
      heads.delete(dep);
    }
    if (envelope.prev !== null) heads.delete(envelope.prev);
    heads.add(row.id);
    hlcOf.set(row.id, row.hlc);
    tips.set(row.author, { seq, id: row.id, hlc: row.hlc });
    if (row.type === "space.created") {
      if (genesis !== undefined) problem(arrival, "audit-genesis-conflict", `a second space.created ${row.id}.`);
      genesis ??= row.id;
    }
  }

  // The derived tables must be exactly what the envelopes imply.
  if ((snapshot.genesis ?? undefined) !== genesis) problem(0, "audit-genesis-mismatch", "log_meta.genesis does not name the stored space.created.");
  const authorRows = new Map(snapshot.authors.map((a) => [a.author, a] as const));
  for (const [author, tip] of tips) {
    const held = authorRows.get(author);
    if (held === undefined || Number(held.last_seq) !== tip.seq || held.last_id !== tip.id || held.last_hlc !== tip.hlc) {
      problem(0, "audit-tips-mismatch", `log_authors disagrees with the stored chain of ${author}.`);
    }
    authorRows.delete(author);
  }
  for (const author of authorRows.keys()) problem(0, "audit-tips-mismatch", `log_authors lists ${author}, who has no stored envelope.`);
  const storedHeads = new Set(snapshot.heads);
  if (storedHeads.size !== heads.size || [...heads].some((h) => !storedHeads.has(h))) {
    problem(0, "audit-heads-mismatch", "log_heads is not the set of envelopes no other envelope cites.");
  }
  return { ok: problems.length === 0, envelopes: rows.length, problems };
}
