/**
 * What the agent looks at again later, by its Durable Object alarm (issue 12 items 3–5):
 *
 *   agent_watches (space, kind, target, due_ms, data)
 *
 *   unclaimed  an item in its domains left open (released): at `due`, if still open and
 *              unclaimed, the best fit among the space's agents (core/a2a/selection.ts) claims
 *              it; any other agent looks once more, and if it is still open then, escalates
 *              it to the owners (under-claiming);
 *   gap        a request in its domains about no item (a message mentioning no one): at
 *              `due`, if no one has answered in its thread, the agent volunteers — creates the
 *              item in its domain and claims it (gap detection);
 *   presence   asks held back while the approver was monitoring or away (agent_queue): at
 *              `due`, if the approver is active, they are sent (their attention); else later.
 *
 * In a space joined with `brain: "llm"` the checks are the same, and what to do is the
 * model's (agent-spaces-llm.ts): it is asked about the open item or the unanswered request,
 * and its held calls are sent back into its conversation.
 *
 * A watch is leased, not deleted, when it is taken: its due time moves LEASE_MS ahead and it
 * is deleted once acted on. An agent that dies acting on it (or whose action threw) finds it
 * due again when the lease runs out, at most MAX_ATTEMPTS times, and each kind re-checks the
 * space first (still open and unclaimed? still unanswered? approver active?), so a retry
 * after a finished step does nothing. Re-arming a watch while acting on it (a second look,
 * asks still held) replaces the lease. The alarm is set to the earliest due watch after
 * every change, leases included.
 */
import type { ViewItem } from "../core/a2a/rules-brain.js";
import { approverMode } from "../core/a2a/modes.js";
import { bestFit } from "../core/a2a/selection.js";
import type { Did } from "../core/identity/did.js";
import type { EnvelopeId } from "../core/log/ids.js";
import type { SqlStorage } from "../core/storage/sql.js";
import type { HeldCall } from "../core/a2a/llm-types.js";
import { claim, DEFAULTS, escalate, type ActContext } from "./agent-spaces-acts.js";
import { llmDue, llmSendHeld } from "./agent-spaces-llm.js";

interface Watch {
  space: string;
  kind: string;
  target: string;
  due: number;
  data: Record<string, unknown>;
  /** The lease it was taken under (`finish` deletes it only if it still holds that lease). */
  lease?: number;
}

/** How long a taken watch waits before it is due again, should the agent not finish it. */
export const LEASE_MS = 60_000;
/** Takes of one watch before it is dropped (a watch that kills its agent every time). */
export const MAX_ATTEMPTS = 3;

export function addWatch(sql: SqlStorage, space: string, kind: string, target: string, due: number, data: Record<string, unknown>): void {
  sql.exec(
    // A leased row (being acted on) is replaced; a waiting one keeps its data and the earlier due.
    `INSERT INTO agent_watches (space, kind, target, due_ms, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (space, kind, target) DO UPDATE SET
       due_ms = CASE WHEN json_extract(agent_watches.data, '$.lease') IS NULL THEN min(agent_watches.due_ms, excluded.due_ms) ELSE excluded.due_ms END,
       data = CASE WHEN json_extract(agent_watches.data, '$.lease') IS NULL THEN agent_watches.data ELSE excluded.data END`,
    space, kind, target, due, JSON.stringify(data),
  );
}

/** The earliest due watch, or null: what the alarm is set to. */
export function nextDue(sql: SqlStorage): number | null {
  const [row] = sql.exec<{ due: number | null }>(`SELECT min(due_ms) AS due FROM agent_watches`);
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}

/** Takes the watches due at `now`, each under a lease (see the header); drops one taken MAX_ATTEMPTS times. */
export function takeDue(sql: SqlStorage, now: number): Watch[] {
  const rows = sql.exec<{ space: string; kind: string; target: string; due_ms: number; data: string }>(
    `SELECT space, kind, target, due_ms, data FROM agent_watches WHERE due_ms <= ? ORDER BY due_ms LIMIT 50`, now,
  ).map((r) => ({ space: r.space, kind: r.kind, target: r.target, due: Number(r.due_ms), data: JSON.parse(r.data) as Record<string, unknown> }));
  const taken: Watch[] = [];
  for (const w of rows) {
    const key = [w.space, w.kind, w.target] as const;
    const attempt = Number(w.data.attempt ?? 0) + 1;
    if (attempt > MAX_ATTEMPTS) {
      sql.exec(`DELETE FROM agent_watches WHERE space = ? AND kind = ? AND target = ?`, ...key);
      console.error(`agent watch ${w.kind} ${w.target} in ${w.space} dropped after ${MAX_ATTEMPTS} attempts`);
      continue;
    }
    const lease = now + LEASE_MS;
    sql.exec(`UPDATE agent_watches SET due_ms = ?, data = ? WHERE space = ? AND kind = ? AND target = ?`, lease, JSON.stringify({ ...w.data, attempt, lease }), ...key);
    taken.push({ ...w, lease });
  }
  return taken;
}

/** A watch acted on: gone, unless the action re-armed it (its lease was replaced). */
export function finish(sql: SqlStorage, watch: Watch): void {
  sql.exec(`DELETE FROM agent_watches WHERE space = ? AND kind = ? AND target = ? AND json_extract(data, '$.lease') = ?`, watch.space, watch.kind, watch.target, watch.lease ?? -1);
}

/** Acts on one due watch in its space. */
export async function onDue(ctx: ActContext, watch: Watch): Promise<void> {
  const { client, row, self } = ctx;
  if (watch.kind === "presence") return sendQueued(ctx);
  if (watch.kind === "gap") {
    const replies = (await client.thread(watch.target as EnvelopeId)).filter((e) => e.id !== watch.target && e.status.state !== "tentative");
    if (replies.length > 0) return; // Someone answered: no gap.
    const after = (row.options.gapAfterMs ?? DEFAULTS.gapAfterMs) / 1000;
    if (ctx.llm) return llmDue(ctx, "gap", watch.target as EnvelopeId, after, { content: String(watch.data.content ?? ""), work: (await client.view()).work });
    const title = String(watch.data.content ?? "a request").slice(0, 120) || "a request";
    const created = await client.call("create_work_item", { title, ...(row.domains[0] ? { domain: row.domains[0] } : {}), description: `Volunteered by ${ctx.name}: unanswered for ${after} s (request ${watch.target})` });
    const id = created.structured.id;
    if (!created.ok || id === undefined) {
      await ctx.trace("agent.claim-refused", `could not volunteer for ${watch.target}: ${created.text.slice(0, 300)}`, { trigger: "gap", chose: "volunteer" });
      return;
    }
    const item: ViewItem = { id, title, domains: row.domains.slice(0, 1), status: "open" };
    await client.call("post_message", { content: `Nobody has answered this for ${after} s and it is in my domain: I'm taking it as "${title}".`, threadRef: watch.target as EnvelopeId });
    await claim({ ...ctx, seen: { id: watch.target as EnvelopeId, body: {} } }, { action: "claim", trigger: "gap", item, reason: `unanswered for ${after} s, in my domain` });
    return;
  }
  // unclaimed
  const view = await client.view();
  const item = view.work.find((w) => w.id === watch.target);
  if (item === undefined || item.status !== "open" || item.claimant !== undefined) return;
  const agents = view.members.filter((m) => m.role === "agent").map((m) => ({ did: m.did, domains: m.domains }));
  const after = (row.options.unclaimedAfterMs ?? DEFAULTS.unclaimedAfterMs) / 1000;
  if (ctx.llm) return llmDue(ctx, "unclaimed", item.id, after, { item, work: view.work });
  if (bestFit(item.domains, agents) === self) {
    await claim(ctx, { action: "claim", trigger: "unclaimed", item, reason: `open and unclaimed for ${after} s; I fit it best` });
    return;
  }
  if (Number(watch.data.round ?? 1) < 2) return ctx.watch("unclaimed", item.id, ctx.now() + after * 1000, { round: 2 });
  const owners = view.members.filter((m) => m.role === "owner").map((m) => m.did as Did);
  await escalate(ctx, item, owners, `"${item.title}" has sat unclaimed for ${2 * after} s though it is in our domains`, "unclaimed");
}

/** Sends the asks held back for approvers who are active now; looks again later for the rest. */
async function sendQueued(ctx: ActContext): Promise<void> {
  const rows = ctx.sql.exec<{ id: string; args: string }>(`SELECT id, args FROM agent_queue WHERE space = ? ORDER BY queued_ms`, ctx.row.space);
  if (rows.length === 0) return;
  const view = await ctx.client.view();
  const roles = new Map(view.members.map((m) => [m.did, m.role]));
  const participants = (await ctx.client.presence()).participants;
  let waiting = 0;
  for (const r of rows) {
    const { decision, approver, llm } = JSON.parse(r.args) as { decision: Parameters<typeof claim>[1]; approver: string; llm?: HeldCall };
    if (approverMode(participants, approver, (did) => roles.get(did)) !== "active") {
      waiting++;
      continue;
    }
    ctx.sql.exec(`DELETE FROM agent_queue WHERE space = ? AND id = ?`, ctx.row.space, r.id);
    if (llm !== undefined) {
      if (ctx.llm) await llmSendHeld(ctx, llm);
      continue;
    }
    const item = view.work.find((w) => w.id === decision.item.id);
    if (item === undefined || item.status !== "open" || item.claimant !== undefined) continue; // Taken meanwhile: nothing to ask.
    await claim(ctx, { ...decision, item }, true);
  }
  if (waiting > 0) ctx.watch("presence", "queue", ctx.now() + (ctx.row.options.presenceCheckMs ?? DEFAULTS.presenceCheckMs), {});
}
