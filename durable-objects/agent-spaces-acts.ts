/**
 * Carrying out what the rules brain decided in a space (issue 12 items 3–5), through the
 * space's MCP tools, each decision leaving a `trace.recorded` with what the agent saw and
 * chose:
 *
 *   claim       announce (`claim_work_item`), execute (a progress note), report (a message
 *               with `toolCalls`); a claim the policy would put to a human first looks at
 *               the approver's presence (core/a2a/modes.ts): active → ask and wait;
 *               monitoring → queue it with a note; away → queue it silently. A claim that
 *               lost by commit order stands down;
 *   stand-down  "Standing down on …: X claimed it first", and nothing else for that item;
 *   defer       hand the item to the agent that fits, in the item's thread, mentioning it;
 *   escalate    to the owners, mentioning them (their attention): a circle of deferrals;
 *   arm         a handoff trigger on the thread's item (agent_triggers), announced;
 *   start       a fired handoff with no item to take: create it, then claim it;
 *   watch       look again at `due` (agent_watches; the agent's alarm: agent-spaces-alarm.ts).
 */
import type { SpaceBrain } from "../core/a2a/brain.js";
import type { Decision, SpaceContext, ViewItem } from "../core/a2a/rules-brain.js";
import type { SpaceClient, ToolAnswer } from "../core/a2a/space-client.js";
import { approverMode, askPlan } from "../core/a2a/modes.js";
import type { Did } from "../core/identity/did.js";
import type { EnvelopeId } from "../core/log/ids.js";
import { decideTier } from "../core/policy/tiers.js";
import type { SqlStorage } from "../core/storage/sql.js";
import type { SpaceState } from "../core/views/state.js";
import type { SpaceRow } from "./agent-spaces.js";

export type Trace = (kind: string, summary: string, data: Record<string, unknown>) => Promise<ToolAnswer>;

export interface ActContext {
  client: SpaceClient;
  row: SpaceRow;
  name: string;
  self: Did;
  sql: SqlStorage;
  trace: Trace;
  /** The envelope decided on (its body: what a watch keeps). */
  seen: { id: EnvelopeId; body: Record<string, unknown> };
  /** The LLM brain, in a space joined with `brain: "llm"` on an edge with a model (timers and held calls go to it). */
  llm?: SpaceBrain;
  /** Records a look-again at `due` and makes sure the alarm fires by then. */
  watch(kind: string, target: string, due: number, data: Record<string, unknown>): void;
  now(): number;
}

export const DEFAULTS = { unclaimedAfterMs: 120_000, gapAfterMs: 300_000, presenceCheckMs: 30_000 } as const;

/** Does what `decision` says. True if it wrote anything to the space. */
export async function carryOut(ctx: ActContext, decision: Decision): Promise<boolean> {
  const { client, row, trace } = ctx;
  switch (decision.action) {
    case "ignore":
      return false;
    case "skip":
      await trace("agent.skipped", `skipped (${decision.trigger}): ${decision.reason}`, { trigger: decision.trigger, chose: "skip", reason: decision.reason, ...(decision.item ? { item: decision.item } : {}) });
      return true;
    case "reply": {
      const reply = await client.call("post_message", { content: `I saw this (I am ${ctx.name}; I take work in ${row.domains.join(", ") || "no domain"}): post a work item and I will pick it up.`, threadRef: ctx.seen.id });
      await trace("agent.replied", `replied (${decision.trigger}): ${decision.reason}`, { trigger: decision.trigger, chose: "reply", reply: reply.structured.id ?? null });
      return true;
    }
    case "stand-down":
      return standDown(ctx, decision.item, decision.claimant, decision.reason, null);
    case "defer": {
      await client.call("post_message", { content: `Deferring "${decision.item.title}" to ${decision.to}: ${decision.reason}.`, mentions: [decision.to], threadRef: decision.item.id });
      ctx.sql.exec(`INSERT OR IGNORE INTO agent_deferrals (space, item, from_did, to_did) VALUES (?, ?, ?, ?)`, row.space, decision.item.id, ctx.self, decision.to);
      await trace("agent.deferred", `deferred "${decision.item.title}" to ${decision.to}`, { trigger: decision.trigger, chose: "defer", item: decision.item.id, to: decision.to, reason: decision.reason });
      return true;
    }
    case "escalate":
      return escalate(ctx, decision.item, decision.to, decision.reason, decision.trigger);
    case "arm": {
      ctx.sql.exec(`INSERT OR IGNORE INTO agent_triggers (space, item, source, then_text) VALUES (?, ?, ?, ?)`, row.space, decision.item.id, "mention", decision.then);
      await client.call("post_message", { content: `I'll start ${decision.then} when "${decision.item.title}" is done.`, threadRef: decision.item.id });
      await trace("agent.handoff-armed", `armed: ${decision.reason}`, { trigger: decision.trigger, chose: "arm", item: decision.item.id, then: decision.then });
      return true;
    }
    case "start": {
      const created = await client.call("create_work_item", { title: decision.title.slice(0, 200), ...(row.domains[0] ? { domain: row.domains[0] } : {}) });
      const id = created.structured.id;
      if (!created.ok || id === undefined) {
        await trace("agent.claim-refused", `could not create "${decision.title}": ${created.text.slice(0, 300)}`, { trigger: decision.trigger, chose: "start", after: decision.after });
        return true;
      }
      const item: ViewItem = { id, title: decision.title, domains: row.domains.slice(0, 1), status: "open" };
      return claim(ctx, { action: "claim", trigger: decision.trigger, item, reason: decision.reason });
    }
    case "watch": {
      const after = decision.trigger === "gap" ? (row.options.gapAfterMs ?? DEFAULTS.gapAfterMs) : (row.options.unclaimedAfterMs ?? DEFAULTS.unclaimedAfterMs);
      ctx.watch(decision.trigger, decision.target, ctx.now() + after, { round: 1, ...(decision.trigger === "gap" ? { content: String(ctx.seen.body.content ?? "").slice(0, 200) } : {}) });
      return false;
    }
    case "claim":
      return claim(ctx, decision);
  }
}

/** The committed state the policy reads, from the read model (members, work, policies). */
export async function forecastState(client: SpaceClient): Promise<SpaceState> {
  const view = await client.view();
  return {
    members: new Map(view.members.map((m) => [m.did, m])), work: new Map(view.work.map((w) => [w.id, w])),
    policies: new Map(view.policies.map((p) => [p.tool, p])),
  } as unknown as SpaceState;
}

/** Announce, execute, report — or ask first (by presence), or stand down when another claim committed first. */
export async function claim(ctx: ActContext, decision: Extract<Decision, { action: "claim" }>, queued = false): Promise<boolean> {
  const { client, trace, self } = ctx;
  const { item } = decision;
  const chose = { trigger: decision.trigger, item: item.id, reason: decision.reason };
  const args = { item: item.id, note: `${decision.trigger}: ${decision.reason}` };
  const tier = decideTier({ tool: "claim_work_item", actor: self, args }, await forecastState(client));
  if (tier.action === "ask" && !queued) {
    const approver = tier.approver ?? "owner";
    const view = await client.view();
    const roles = new Map(view.members.map((m) => [m.did, m.role]));
    const mode = approverMode((await client.presence()).participants, approver, (did) => roles.get(did));
    const plan = askPlan(mode);
    if (plan !== "ask") {
      ctx.sql.exec(`INSERT OR IGNORE INTO agent_queue (space, id, tool, args, summary, queued_ms) VALUES (?, ?, ?, ?, ?, ?)`,
        ctx.row.space, item.id, "claim_work_item", JSON.stringify({ decision, approver }), `claim "${item.title}"`, ctx.now());
      ctx.watch("presence", "queue", ctx.now() + (ctx.row.options.presenceCheckMs ?? DEFAULTS.presenceCheckMs), {});
      if (plan === "queue-with-note") {
        await client.call("post_message", { content: `Queued for ${approver}'s approval (they are monitoring): claim "${item.title}" — ${tier.reason}. Carrying on with other work.`, threadRef: item.id });
      }
      await trace("agent.queued", `held back the claim of "${item.title}" (approver ${mode})`, { ...chose, chose: "queue", mode, approver, why: tier.reason });
      return true;
    }
  }
  const answer = await client.call("claim_work_item", args);
  const verdict = answer.structured.commit;
  if (answer.ok && answer.structured.status === "pending_approval") {
    await client.call("post_message", {
      content: `Asked ${String(answer.structured.approver ?? "an approver")} to approve my claim of "${item.title}"${queued ? " now that they are back" : ""}; waiting for the decision.`, threadRef: item.id,
      toolCalls: [{ tool: "claim_work_item", params: { item: item.id }, result: "pending_approval" }],
    });
    await trace("agent.asked", `asked to claim "${item.title}" (${tier.reason})`, { ...chose, chose: "ask", approval: answer.structured.approval ?? null, from: queued ? "queue" : "now" });
    return true;
  }
  if (!answer.ok || answer.structured.status !== "success") {
    await trace("agent.claim-refused", `could not claim "${item.title}": ${answer.text.slice(0, 500)}`, { ...chose, chose: "claim", outcome: String(answer.structured.status ?? "error") });
    return true;
  }
  if (verdict?.state === "committed" && verdict.verdict === "rejected") {
    const claimant = (await client.work()).get(item.id)?.claimant;
    return standDown(ctx, item, claimant ?? null, verdict.reason ?? "rejected", answer.structured.id ?? null);
  }
  const note = await client.call("update_work_item", { item: item.id, note: `${ctx.name} is on it (${decision.reason})` });
  await client.call("post_message", {
    content: `Claimed "${item.title}" (${decision.trigger}: ${decision.reason}) and started on it.`, threadRef: item.id,
    toolCalls: [
      { tool: "claim_work_item", params: { item: item.id }, result: "success" },
      { tool: "update_work_item", params: { item: item.id }, result: note.ok ? "success" : "rejected" },
    ],
  });
  await trace("agent.claimed", `claimed "${item.title}" (${decision.trigger}): ${decision.reason}`, { ...chose, chose: "claim", claim: answer.structured.id ?? null, outcome: "won" });
  return true;
}

/** Says it stands down (with the rejected claim, if it made one) and does nothing else for the item. */
async function standDown(ctx: ActContext, item: ViewItem, claimant: Did | null, why: string, claimId: string | null): Promise<boolean> {
  const who = claimant ?? "another member";
  await ctx.client.call("post_message", {
    content: `Standing down on "${item.title}": ${who} claimed it first (${why}).`, threadRef: item.id,
    ...(claimId === null ? {} : { toolCalls: [{ tool: "claim_work_item", params: { item: item.id }, result: "rejected" }] }),
  });
  await ctx.trace("agent.stood-down", `stood down on "${item.title}": ${who} claimed it first`, { item: item.id, chose: "stand-down", claimant, claim: claimId, outcome: "lost", why });
  return true;
}

/** Puts the item before the owners (a mention: their attention), once. */
export async function escalate(ctx: ActContext, item: ViewItem, to: readonly Did[], reason: string, trigger: string): Promise<boolean> {
  await ctx.client.call("post_message", { content: `Escalating "${item.title}" to you: ${reason}. Who should own it?`, mentions: [...to], threadRef: item.id });
  ctx.sql.exec(`INSERT OR IGNORE INTO agent_deferrals (space, item, from_did, to_did) VALUES (?, ?, ?, 'human')`, ctx.row.space, item.id, ctx.self);
  await ctx.trace("agent.escalated", `escalated "${item.title}": ${reason}`, { trigger, chose: "escalate", item: item.id, to, reason });
  return true;
}

/** What the rules brain reads besides the work: agent members and owners (from the view), deferrals and armed handoffs (the agent's own tables). */
export function spaceContext(sql: SqlStorage, space: string, members: ReadonlyArray<{ did: Did; role: string; domains: string[] }>): SpaceContext {
  return {
    agents: members.filter((m) => m.role === "agent").map((m) => ({ did: m.did, domains: m.domains })),
    owners: members.filter((m) => m.role === "owner").map((m) => m.did),
    deferred: (item, a, b) => sql.exec(`SELECT 1 FROM agent_deferrals WHERE space = ? AND item = ? AND ((from_did = ? AND to_did = ?) OR (from_did = ? AND to_did = ?))`, space, item, a, b, b, a).length > 0,
    armed: (item) => sql.exec<{ then_text: string }>(`SELECT then_text FROM agent_triggers WHERE space = ? AND item = ?`, space, item).map((r) => r.then_text),
  };
}
