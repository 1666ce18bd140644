/**
 * The agent's side of the LLM brain's decisions beyond a committed envelope (issue 12 items
 * 4–5 with the LLM brain, core/a2a/brain.ts `SpaceBrain`):
 *
 *   holds     `SpaceHolds` for the model's calls: the policy's forecast (decideTier on the
 *             read model) and the approver's presence (core/a2a/modes.ts) decide whether a
 *             call is asked now; monitoring → held with a note in the thread (no attention
 *             asked), away → held silently. A held call is kept in `agent_queue` (id
 *             `llm:<call id>`, the conversation with it) beside the rules' held claims, and
 *             the same presence watch sends it when the approver is active;
 *   due       an unclaimed or gap watch in a space joined with `brain: "llm"`: the model is
 *             asked (the checks that it still holds are the alarm's, as for the rules).
 */
import type { Held, SpaceHolds } from "../core/a2a/brain.js";
import type { HeldCall } from "../core/a2a/llm-types.js";
import { approverMode, askPlan } from "../core/a2a/modes.js";
import type { ViewItem } from "../core/a2a/rules-brain.js";
import type { EnvelopeId } from "../core/log/ids.js";
import { decideTier } from "../core/policy/tiers.js";
import { DEFAULTS, forecastState, type ActContext } from "./agent-spaces-acts.js";

export const LLM_QUEUE_PREFIX = "llm:";

export function llmHolds(ctx: ActContext): SpaceHolds {
  return {
    async check(tool, params, thread): Promise<Held | null> {
      const tier = decideTier({ tool, actor: ctx.self, args: params }, await forecastState(ctx.client));
      if (tier.action !== "ask") return null;
      const approver = tier.approver ?? "owner";
      const view = await ctx.client.view();
      const roles = new Map(view.members.map((m) => [m.did, m.role]));
      const mode = approverMode((await ctx.client.presence()).participants, approver, (did) => roles.get(did));
      if (mode === "active") return null;
      if (askPlan(mode) === "queue-with-note") {
        await ctx.client.call("post_message", { content: `Queued for ${approver}'s approval (they are monitoring): ${tool} — ${tier.reason}. Carrying on with other work.`, threadRef: thread });
      }
      return { mode, approver, reason: tier.reason };
    },
    keep(held: HeldCall): void {
      ctx.sql.exec(`INSERT OR IGNORE INTO agent_queue (space, id, tool, args, summary, queued_ms) VALUES (?, ?, ?, ?, ?, ?)`,
        ctx.row.space, `${LLM_QUEUE_PREFIX}${held.callId}`, held.tool, JSON.stringify({ llm: held, approver: held.held.approver }), `${held.tool} (the model's call)`, ctx.now());
      ctx.watch("presence", "queue", ctx.now() + (ctx.row.options.presenceCheckMs ?? DEFAULTS.presenceCheckMs), {});
    },
  };
}

/** Asks the model about a due watch that still holds. */
export async function llmDue(ctx: ActContext, kind: "unclaimed" | "gap", target: EnvelopeId, afterSeconds: number, found: { item?: ViewItem; content?: string; work: ViewItem[] }): Promise<void> {
  await ctx.llm!.due({
    space: ctx.row.space, domains: ctx.row.domains, kind, target, afterSeconds, work: found.work, cursor: ctx.row.cursor, tools: ctx.client, holds: llmHolds(ctx),
    ...(found.item ? { item: found.item } : {}), ...(found.content === undefined ? {} : { content: found.content }),
  });
}

/** Sends one held model call (its approver is active now). */
export async function llmSendHeld(ctx: ActContext, held: HeldCall): Promise<void> {
  await ctx.llm!.sendHeld({ space: ctx.row.space, domains: ctx.row.domains, tools: ctx.client, held, cursor: ctx.row.cursor });
}
