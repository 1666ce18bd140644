/**
 * Policy as a commit rule. The tier the MCP tools ask for (core/policy/tiers.ts) is asked
 * again where an envelope commits, however it arrived — a tool, the CLI, `POST /log`, the
 * socket, a peer — so there is no path around the tools and every replica reaches the same
 * verdict from the same committed state.
 *
 * `callOf` reads an effectful envelope as the tool call it amounts to (tool name and the
 * arguments in the tool's own vocabulary); `judgeEffect` then decides it:
 *
 *   run (tier 1, or tier 2 with a matching pattern)  → accept
 *   ask (tier 3, or tier 2 without a pattern)        → accept only when `body.approval`
 *       names a committed request that an approver the policy names approved, that the same
 *       actor asked for this tool with arguments that cover these, and that no accepted
 *       envelope carried out before
 *   refuse (tier 4)                                  → reject with the policy's reason
 *
 * and then the budget: an effect by a member who holds a live budgeted grant for the tool
 * spends from it (core/views/grants.ts `budgetFor`), in commit order.
 */
import { canonicalJson } from "../canonical-json.js";
import type { Did } from "../identity/did.js";
import { decodeBase64url } from "../identity/encoding.js";
import type { Envelope } from "../log/envelope.js";
import { hlcWallTime } from "../log/hlc.js";
import type { EnvelopeId } from "../log/ids.js";
import { ENVELOPE_BODY_SCHEMAS, type EnvelopeType } from "../log/types/index.js";
import { actorOf } from "../log/actor.js";
import { budgetFor } from "../views/grants.js";
import type { Member, SpaceState } from "../views/state.js";
import { coalitionCall } from "./coalition-rule.js";
import { decideTier, type ToolCall } from "./tiers.js";

export type Judgement = { ok: true } | { ok: false; reason: string };

const no = (reason: string): Judgement => ({ ok: false, reason });
const OK: Judgement = { ok: true };

/** Drops undefined fields, so a call read from a body compares equal to the tool's arguments. */
function defined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** The tool call an effectful envelope amounts to; null for types no tool writes (genesis, receipts, traces…). */
export function callOf(envelope: Envelope): ToolCall | null {
  const actor = actorOf(envelope);
  const call = (tool: string, args: Record<string, unknown>): ToolCall => ({ tool, actor, args: defined(args) });
  switch (envelope.type) {
    case "channel.message": {
      const { content, mentions, threadRef } = envelope.body;
      return call("post_message", { content, mentions, threadRef });
    }
    case "work.created": {
      const { title, description, domains, clock } = envelope.body;
      // The tool takes one `domain`; the CLI may name several.
      const single = domains !== undefined && domains.length === 1 ? { domain: domains[0] } : { domains: domains?.length ? domains : undefined };
      return call("create_work_item", { title, description, ...single, clock });
    }
    case "work.claimed":
      return call("claim_work_item", { item: envelope.body.item, note: envelope.body.note });
    case "work.released":
      return call("release_work_item", { item: envelope.body.item, reason: envelope.body.reason });
    case "work.updated": {
      const { item, title, description, note } = envelope.body;
      return call("update_work_item", { item, title, description, note });
    }
    case "work.completed":
      return call("complete_work_item", { item: envelope.body.item, result: envelope.body.result });
    case "artifact.created": {
      const { title, kind, content } = envelope.body;
      return call("write_artifact", { title, kind, content: "inline" in content ? content.inline : content.ydoc });
    }
    case "artifact.updated": {
      const { artifact, content } = envelope.body;
      return call("write_artifact", { artifact, content: "inline" in content ? content.inline : content.ydoc });
    }
    case "approval.requested": {
      const { action, approver } = envelope.body;
      return call("request_approval", { tool: action.tool, params: action.params, summary: action.summary, approver });
    }
    case "approval.decided":
      return call("decide_approval", { request: envelope.body.request, decision: envelope.body.decision, reason: envelope.body.reason });
    case "authority.granted": {
      const { jti, subject, tools, tier, budget, expiresAt, parent } = envelope.body;
      return call("grant_authority", { jti, subject, tools, tier, budget, expiresAt, parent });
    }
    case "authority.revoked":
      return call("revoke_authority", { jti: envelope.body.jti, reason: envelope.body.reason });
    case "policy.set": {
      // The tool's arguments: neither the approval carried out nor the owner acted for.
      const { approval: _approval, actor: _actor, ...policy } = envelope.body;
      return call("set_policy", policy);
    }
    case "branch.merged":
      return call("promote_branch", { branch: envelope.body.branch, summary: envelope.body.summary });
    default: {
      // Coalitions and markets (core/policy/coalition-rule.ts).
      const named = coalitionCall(envelope);
      return named === null ? null : call(named.tool, named.args);
    }
  }
}

/** Whether a type's body can name the approval it carries out (its schema has `approval`). */
export function carriesApproval(type: EnvelopeType): boolean {
  const schema = ENVELOPE_BODY_SCHEMAS[type] as { shape?: Record<string, unknown> };
  return schema.shape !== undefined && "approval" in schema.shape;
}

/** Who may decide `request` under the committed policy: never who the requester picked. */
export function approverFor(state: SpaceState, request: { action: { tool: string; params: Record<string, unknown> }; requestedBy: Did }): string {
  const decision = decideTier({ tool: request.action.tool, actor: request.requestedBy, args: request.action.params }, state);
  return decision.approver ?? "owner";
}

/** True when `member` is the approver the policy names (a did, or a role; owners count as humans). */
export function isApprover(approver: string, member: Member): boolean {
  if (approver.startsWith("did:")) return approver === member.did;
  return approver === member.role || (approver === "human" && member.role === "owner");
}

/** The tier decision and the budget for one effectful envelope (its membership already checked). */
export function judgeEffect(state: SpaceState, id: EnvelopeId, envelope: Envelope): Judgement {
  const call = callOf(envelope);
  if (call === null) return OK;
  const decision = decideTier(call, state);
  if (decision.action === "refuse") return no(`tier 4: ${decision.reason}`);
  if (decision.action === "ask") {
    const carried = carriedApproval(state, id, envelope, call);
    if (!carried.ok) return carried;
  }
  const budget = budgetFor(state, call.actor, call.tool, hlcWallTime(envelope.hlc));
  if (budget !== null && "exhausted" in budget) return no(`budget exhausted on grant ${budget.exhausted}: ask its issuer for more`);
  return OK;
}

/** The grant an accepted effect spends from (null: none): the fold's twin of the check above. */
export function chargeOf(state: SpaceState, envelope: Envelope): string | null {
  const call = callOf(envelope);
  if (call === null) return null;
  const budget = budgetFor(state, call.actor, call.tool, hlcWallTime(envelope.hlc));
  return budget !== null && "jti" in budget ? budget.jti : null;
}

function carriedApproval(state: SpaceState, id: EnvelopeId, envelope: Envelope, call: ToolCall): Judgement {
  const ref = (envelope.body as { approval?: EnvelopeId }).approval;
  if (ref === undefined) {
    // The sequencer keeps 200 characters of a reason: what to do comes first.
    return no(`${call.tool} needs an approved request carried in "approval" (ask with request_approval): ${decideTier(call, state).reason}`);
  }
  const request = state.approvals.get(ref);
  if (request === undefined) return no(`approval ${ref} is not a committed request`);
  if (request.status !== "approved") return no(`approval ${ref} is ${request.status}, not approved`);
  if (request.executedBy !== undefined && request.executedBy !== id) return no(`approval ${ref} was already carried out by ${request.executedBy}`);
  if (request.requestedBy !== call.actor) return no(`approval ${ref} was asked by ${request.requestedBy}, not ${call.actor}`);
  if (request.action.tool !== call.tool) return no(`approval ${ref} is for ${request.action.tool}, not ${call.tool}`);
  if (!covers(call.tool, request.action.params, call.args)) return no(`approval ${ref} does not cover these arguments: ask again for exactly this call`);
  return OK;
}

/**
 * True when everything the effect writes was in the approved arguments: each argument read
 * from the envelope equals the approved one (canonical JSON). Approved arguments the effect
 * does not carry (a title on an update, say) change nothing it does. A grant is approved as
 * the token it records: its claims are compared.
 */
function covers(tool: string, approved: Record<string, unknown>, args: Record<string, unknown>): boolean {
  const shown = tool === "grant_authority" && typeof approved.token === "string" ? tokenArgs(approved.token) : approved;
  if (shown === null) return false;
  return Object.entries(args).every(([key, value]) => key in shown && canonicalJson(shown[key] as never) === canonicalJson(value as never));
}

/** A capability token's claims as `authority.granted` arguments (signature already checked by the tool). */
function tokenArgs(token: string): Record<string, unknown> | null {
  const bytes = decodeBase64url(token.split(".")[1] ?? "");
  if (bytes === null) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    return defined({
      jti: claims.jti, subject: claims.sub, tools: claims.tools, tier: claims.tier, budget: claims.budget,
      expiresAt: typeof claims.exp === "number" ? new Date(claims.exp * 1000).toISOString() : undefined,
      parent: typeof claims.parent === "string" ? tokenArgs(claims.parent)?.jti : undefined,
    });
  } catch {
    // Not JSON: nothing it could cover.
    return null;
  }
}
