/**
 * Reads of the log for the channel and for "what needs me": filters by type, thread,
 * author and attention, paged by a cursor.
 *
 * The cursor is the local arrival position: `since: n` returns envelopes that arrived here
 * after position n, and `nextCursor` is the position of the last envelope examined. It is
 * local to one replica (another replica's positions differ); since arrival order is
 * causal, a reader that follows the cursor never sees an envelope before its causes.
 */
import type { Did } from "../identity/did.js";
import type { SqlStorage, SqlValue } from "../storage/sql.js";
import { membershipChanges, type InviteTerms } from "../state/membership.js";
import type { Envelope, EnvelopeOf } from "./envelope.js";
import type { EnvelopeId, Role } from "./ids.js";
import type { EnvelopeStatus, StoredEnvelope } from "./replica.js";
import { idIs } from "./schema.js";

export interface LogQuery {
  /** Arrival cursor: only envelopes after this position (default 0: from the start). */
  since?: number;
  type?: string | readonly string[];
  /** A thread root's id: the root message and every message whose threadRef is it. */
  thread?: EnvelopeId;
  author?: Did;
  /**
   * What needs this member: approval requests it can decide (naming it or one of its
   * roles, not yet decided, not expired), messages mentioning it, and escalations (tool
   * calls awaiting an approval it can give). Its own envelopes are left out.
   */
  attention?: Did;
  /** Page size (default 100, at most 1000). */
  limit?: number;
  /** Wall time for expiry of approval requests (default: now). */
  now?: number;
}

export interface LogQueryResult {
  envelopes: (StoredEnvelope & { status: EnvelopeStatus })[];
  /** Pass as `since` for the next page. */
  nextCursor: number;
  /** True when the page was full, so more may follow. */
  hasMore: boolean;
}

interface StatusSource {
  status(id: EnvelopeId, type?: string): EnvelopeStatus;
}

type Row = { arrival: number; id: string; type: string; text: string };

export function runQuery(sql: SqlStorage, replica: StatusSource, query: LogQuery): LogQueryResult {
  const since = query.since ?? 0;
  const limit = Math.max(1, Math.min(query.limit ?? 100, 1000));
  const where: string[] = ["e.arrival > ?"];
  const params: SqlValue[] = [since];
  if (query.type !== undefined) {
    const types = typeof query.type === "string" ? [query.type] : [...query.type];
    where.push(`e.type IN (${types.map(() => "?").join(",") || "NULL"})`);
    params.push(...types);
  }
  if (query.thread !== undefined) {
    where.push(`((${idIs("e.")}) OR (e.type = 'channel.message' AND e.ref = ?))`);
    params.push(query.thread, query.thread, query.thread);
  }
  if (query.author !== undefined) {
    where.push("e.author = ?");
    params.push(query.author);
  }
  if (query.attention !== undefined) {
    const targets = [query.attention, ...rolesOf(sql, replica, query.attention)];
    where.push(`e.arrival IN (SELECT arrival FROM log_attention WHERE target IN (${targets.map(() => "?").join(",")}))`, "e.author != ?");
    params.push(...targets, query.attention);
  }
  const rows = sql.exec<Row>(
    `SELECT e.arrival, e.id, e.type, e.text FROM log_envelopes e WHERE ${where.join(" AND ")} ORDER BY e.arrival LIMIT ?`,
    ...params,
    limit,
  );
  const now = query.now ?? Date.now();
  const envelopes: LogQueryResult["envelopes"] = [];
  for (const row of rows) {
    const id = row.id as EnvelopeId;
    const envelope = JSON.parse(row.text) as Envelope;
    const status = replica.status(id, row.type);
    if (query.attention !== undefined) {
      // What the sequencer rejected never asks for anyone's attention (strangers never get
      // this far: the log's door refused them on arrival).
      if (status.state === "committed" && status.verdict === "rejected") continue;
      if (envelope.type === "approval.requested" && (Date.parse(envelope.body.expiresAt) < now || isDecided(sql, replica, id))) continue;
    }
    envelopes.push({ id, arrival: Number(row.arrival), envelope, status });
  }
  const last = rows.at(-1);
  return { envelopes, nextCursor: last === undefined ? since : Number(last.arrival), hasMore: rows.length === limit };
}

/** Decided = some decision for it that the sequencer has not rejected. */
function isDecided(sql: SqlStorage, replica: StatusSource, request: EnvelopeId): boolean {
  const decisions = sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE type = 'approval.decided' AND ref = ?`, request);
  return decisions.some((row) => {
    const status = replica.status(row.id as EnvelopeId, "approval.decided");
    return !(status.state === "committed" && status.verdict === "rejected");
  });
}

/**
 * The member's roles, folding membership changes (core/state/membership.ts) in arrival
 * (causal) order and skipping those the sequencer rejected. Reads the membership rows only;
 * attention decides what to show, never authority.
 */
function rolesOf(sql: SqlStorage, replica: StatusSource, member: Did): Role[] {
  let role: Role | null = null;
  const rows = sql.exec<Row>(
    `SELECT arrival, id, type, text FROM log_envelopes WHERE type IN ('space.created', 'member.added', 'member.removed', 'member.joined') ORDER BY arrival`,
  );
  for (const row of rows) {
    const status = replica.status(row.id as EnvelopeId, row.type);
    if (status.state === "committed" && status.verdict === "rejected") continue;
    const envelope = JSON.parse(row.text) as Envelope;
    const invite = envelope.type === "member.joined" ? inviteTerms(sql, envelope.body.invite) : undefined;
    for (const change of membershipChanges(envelope, invite)) if (change.did === member) role = change.role;
  }
  return role === null ? [] : [role];
}

function inviteTerms(sql: SqlStorage, invite: EnvelopeId): InviteTerms | undefined {
  const row = sql.exec<{ text: string }>(`SELECT text FROM log_envelopes WHERE ${idIs()} AND type = 'invite.created'`, invite, invite)[0];
  return row === undefined ? undefined : (JSON.parse(row.text) as EnvelopeOf<"invite.created">).body;
}
