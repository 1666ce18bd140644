/**
 * Tool-encoded authorization: every MCP call goes through here. The caller is the verified
 * subject of its token (never an argument); the policy function names a tier:
 *
 *   1 run now · 2 run if it matches an allowed pattern, else as 3 · 3 ask a human: an
 *   `approval.requested` in the channel, bound to these exact arguments; the action runs
 *   once, later, when an authorized human approves (`executeApproved`) · 4 refuse.
 *
 * A budgeted token pays for each run with a `budget.spent` envelope first; the sequencer
 * judges spends in commit order, so a budget can never be overspent across replicas.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";
import type { EnvelopeStatus } from "../log/replica.js";
import { carriesApproval } from "../policy/commit-rule.js";
import { approvalBinding, approvalCovers } from "../policy/binding.js";
import { decideTier } from "../policy/tiers.js";
import type { ApprovalRequest } from "../views/state.js";
import type { Caller, ToolHost } from "./tool-host.js";
import { ToolRefusal, type ToolDef, type ToolResult, toolNamed } from "./tools.js";

export type ToolOutcome =
  | { kind: "done"; result: ToolResult }
  | { kind: "pending"; approval: EnvelopeId; approver: string; queued: boolean; message: string }
  | { kind: "refused"; code: string; message: string };

/** How long a tier-3 request waits for a decision. */
export const APPROVAL_TTL_MS = 60 * 60 * 1000;

const refused = (code: string, message: string): ToolOutcome => ({ kind: "refused", code, message });

export async function runTool(host: ToolHost, caller: Caller, tool: ToolDef, args: Record<string, unknown>): Promise<ToolOutcome> {
  if (!caller.tools.includes("*") && !caller.tools.includes(tool.name)) {
    return refused("token-tool-not-allowed", `your token does not allow ${tool.name}; ask its issuer for a token that lists it`);
  }
  // Read tools are decided too: open to every member unless their own policy says otherwise.
  const decision = decideTier({ tool: tool.name, actor: caller.did, args }, host.committed());
  if (decision.action === "refuse") return refused("tier-4-refused", decision.reason);
  if (decision.tier > caller.tierCeiling) {
    return refused("token-tier-exceeded", `${tool.name} is a tier-${decision.tier} action but your token stops at tier ${caller.tierCeiling}: ask for a token with a higher tier`);
  }
  if (decision.action === "ask") return requestApproval(host, caller, tool, args, decision.approver ?? "owner", decision.reason);
  // No separate spend: the commit rule charges the effect itself to the actor's budget
  // (core/policy/commit-rule.ts), the same whichever path the effect takes.
  const outcome = await attempt(() => tool.run(args, caller, host));
  const commit = outcome.kind === "done" ? (outcome.result.structured.commit as EnvelopeStatus | undefined) : undefined;
  if (commit?.state === "committed" && commit.verdict === "rejected" && commit.reason?.startsWith("budget exhausted")) {
    return refused("budget-exhausted", `${commit.reason}: nothing was done`);
  }
  return outcome;
}

async function requestApproval(
  host: ToolHost, caller: Caller, tool: ToolDef, args: Record<string, unknown>, approver: string, reason: string,
): Promise<ToolOutcome> {
  const written = await host.write("approval.requested", {
    action: { tool: tool.name, params: args as Record<string, never>, summary: `${caller.did} asks to ${tool.summarize(args)} (${reason})` },
    approver: approver as Did,
    expiresAt: new Date(host.now() + APPROVAL_TTL_MS).toISOString(),
    // Binds the decision to exactly these arguments: a different call is a different approval.
    binding: await approvalBinding(tool.name, args),
    actor: caller.did,
  });
  const active = host.presence().participants.some((p) => p.mode === "active" && (p.id === approver || approverHasRole(host, p.id, approver)));
  const queued = !active;
  return {
    kind: "pending",
    approval: written.id,
    approver,
    queued,
    message: queued
      ? `pending approval ${written.id}: no approver (${approver}) is active right now, so it waits in their attention view; carry on with other work`
      : `pending approval ${written.id}: ${approver} has been asked and is active`,
  };
}

function approverHasRole(host: ToolHost, did: string, role: string): boolean {
  return host.committed().members.get(did as Did)?.role === role;
}

async function attempt(run: () => Promise<ToolResult>): Promise<ToolOutcome> {
  try {
    return { kind: "done", result: await run() };
  } catch (error) {
    if (error instanceof ToolRefusal) return refused(error.code, error.message);
    throw error;
  }
}

/**
 * Runs an approved request's action exactly as it was shown (its recorded tool and
 * params), as its requester, and reports the result in the channel. The host guarantees
 * once-only (it records executions); this function is the action itself.
 */
export async function executeApproved(host: ToolHost, request: ApprovalRequest, decidedBy: Did): Promise<ToolOutcome> {
  const tool = toolNamed(request.action.tool);
  if (!tool) return refused("unknown-tool", `the approved action names no tool of this space: ${request.action.tool}`);
  const parsed = tool.input.safeParse(request.action.params);
  if (!parsed.success) return refused("invalid-arguments", `the approved arguments no longer fit ${tool.name}`);
  if (!(await approvalCovers(request, tool.name, request.action.params))) {
    return refused("approval-mismatch", `the approval for ${request.id} does not cover this exact call`);
  }
  const caller: Caller = { did: request.requestedBy, grant: `approval:${request.id}`, tools: [tool.name], tierCeiling: 4, budgeted: false };
  // What the action writes carries the request it carries out: the commit rule accepts a
  // tier-3 effect only with it, and only once.
  const carrying: ToolHost = {
    ...host,
    write: (type, body) => host.write(type, carriesApproval(type) ? { ...body, approval: request.id } : body),
  };
  const outcome = await attempt(() => tool.run(parsed.data, caller, carrying));
  const ok = outcome.kind === "done";
  await host.write("channel.message", {
    content: ok
      ? `✅ ${tool.summarize(parsed.data)} for ${request.requestedBy}, approved by ${decidedBy}`
      : `⚠️ approved ${tool.name} for ${request.requestedBy} failed: ${outcome.kind === "refused" ? outcome.message : ""}`,
    threadRef: request.id,
    toolCalls: [{
      tool: tool.name,
      params: request.action.params,
      result: ok ? "success" : "rejected",
      approvedBy: decidedBy,
      approvedAt: new Date(host.now()).toISOString(),
    }],
  });
  return outcome;
}
