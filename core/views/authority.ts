/**
 * Who may do what, judged against a state (the committed view for the sequencer's final
 * verdicts, the tentative view for predictions). Authority comes from membership in the
 * state, never from anything the envelope claims about itself.
 *
 * - any member except an observer may post messages, traces, artifacts, branches, work
 *   items and approval requests, and update work;
 * - only owners change members, invites, the space's visibility and policy;
 * - a newcomer joins through a committed, live invite with uses left (`member.joined`);
 * - a claim on an item claimed by someone else is rejected: "already claimed by <did>";
 * - only the claimant (or an owner) releases or completes a claimed item;
 * - `approval.decided` needs the approver the *policy* names for the requested action
 *   (never the requester, never an approver the requester picked), on a pending request,
 *   no later than its expiry (by the decision's hlc);
 * - then the policy's tier and the actor's budget, for every effect however it arrived
 *   (core/policy/commit-rule.ts);
 * - grants, revocations and budget spends: core/views/grants.ts (a spend's subject need
 *   not be a member: an outside agent holding a delegated grant spends its own budget).
 *
 * The actor rule (core/log/actor.ts): a body with `actor` is accepted only from the
 * space's current sequencer (the tool host) and is then judged as the actor's envelope.
 * The tool host may also speak as itself in the channel (messages and traces without an
 * actor): the seed's "MIR-Server: ✅ Task created" reports of what its tools did.
 */
import type { Envelope, EnvelopeOf } from "../log/envelope.js";
import { hlcWallTime } from "../log/hlc.js";
import type { EnvelopeId } from "../log/ids.js";
import { approverFor, isApprover, judgeEffect } from "../policy/commit-rule.js";
import { actorOf, isHostReport, onBehalfOf } from "../log/actor.js";
import { judgeCoalitionRights } from "../policy/coalition-rule.js";
import { isDeadlineAward } from "../state/market.js";
import { judgeGrant, judgeRevoke, judgeSpend } from "./grants.js";
import type { SpaceState } from "./state.js";

export type Judgement = { ok: true } | { ok: false; reason: string };

const OK: Judgement = { ok: true };
const no = (reason: string): Judgement => ({ ok: false, reason });

export function judge(state: SpaceState, id: EnvelopeId, envelope: Envelope): Judgement {
  const structural = judgeRights(state, id, envelope);
  // The deadline's award is no member's tool call: no tier or budget applies (core/state/market.ts).
  if (!structural.ok || isHostReport(envelope, state.sequencer) || isDeadlineAward(envelope, state.sequencer) || envelope.type === "space.created") return structural;
  return judgeEffect(state, id, envelope);
}

/** Membership, roles and the state's own invariants; the policy's tiers come after (judgeEffect). */
function judgeRights(state: SpaceState, id: EnvelopeId, envelope: Envelope): Judgement {
  if (envelope.type === "space.created") {
    return state.genesis === undefined || state.genesis === id ? OK : no(`the space was already created by ${state.genesis}`);
  }
  if (envelope.type === "commit" || envelope.type === "sequencer.appointed") return no(`${envelope.type} is never sequenced`);
  if (onBehalfOf(envelope) !== undefined && envelope.author !== state.sequencer) {
    return no(`only the space's tool host (its sequencer ${state.sequencer ?? "(none yet)"}) may act on behalf of another`);
  }
  if (isHostReport(envelope, state.sequencer)) return OK;
  const actor = actorOf(envelope);
  const member = state.members.get(actor);
  // Coalitions and markets: their own types, and where they change the general rules below.
  const coalition = judgeCoalitionRights(state, envelope, actor, member);
  if (coalition !== null) return coalition;
  if (envelope.type === "budget.spent" && member?.role !== "observer") return judgeSpend(state, actor, envelope);
  if (envelope.type === "member.joined") return judgeJoin(state, envelope);
  if (member === undefined) return no(`${actor} is not a member of this space`);
  if (member.role === "observer") return no("observers can read but not write");
  const isOwner = member.role === "owner";
  switch (envelope.type) {
    case "member.added":
    case "member.removed":
      if (!isOwner) return no("only owners can change members");
      if (envelope.type === "member.removed") {
        const target = state.members.get(envelope.body.member);
        if (target === undefined) return no(`${envelope.body.member} is not a member`);
        if (target.role === "owner" && countOwners(state) === 1) return no("cannot remove the last owner");
      } else if (state.members.get(envelope.body.member)?.role === "owner" && envelope.body.role !== "owner" && countOwners(state) === 1) {
        return no("cannot demote the last owner");
      }
      return OK;
    case "space.configured":
    case "invite.created":
      return isOwner ? OK : no(`only owners can ${envelope.type === "invite.created" ? "invite" : "change the space's settings"}`);
    case "invite.revoked": {
      if (!isOwner) return no("only owners can revoke invites");
      const invite = state.invites.get(envelope.body.invite);
      if (invite === undefined) return no(`no invite ${envelope.body.invite}`);
      return invite.revoked ? no("the invite is already revoked") : OK;
    }
    case "policy.set":
      return isOwner ? OK : no("only owners can change policy");
    case "work.claimed": {
      const item = state.work.get(envelope.body.item);
      if (item === undefined) return no(`no work item ${envelope.body.item}`);
      if (item.status === "completed") return no("the work item is already completed");
      if (item.claimant !== undefined && item.claimant !== actor) return no(`already claimed by ${item.claimant}`);
      return OK;
    }
    case "work.released":
    case "work.completed": {
      const item = state.work.get(envelope.body.item);
      if (item === undefined) return no(`no work item ${envelope.body.item}`);
      if (item.status === "completed") return no("the work item is already completed");
      if (envelope.type === "work.released" && item.claimant === undefined) return no("the work item is not claimed");
      if (item.claimant !== undefined && item.claimant !== actor && !isOwner) {
        return no(`only the claimant ${item.claimant} or an owner can do that`);
      }
      return OK;
    }
    case "work.updated":
      return state.work.has(envelope.body.item) ? OK : no(`no work item ${envelope.body.item}`);
    case "approval.decided": {
      const request = state.approvals.get(envelope.body.request);
      if (request === undefined) return no(`no approval request ${envelope.body.request}`);
      if (request.status !== "pending") return no(`the request was already ${request.status}`);
      if (hlcWallTime(envelope.hlc) > Date.parse(request.expiresAt)) return no(`the request expired at ${request.expiresAt}`);
      if (request.requestedBy === actor) return no("a requester cannot decide its own request: another approver must");
      // The policy names who decides, never the requester: the request's own `approver` is a hint.
      const approver = approverFor(state, request);
      return isApprover(approver, member) ? OK : no(`this request needs ${approver} to decide (by the ${request.action.tool} policy)`);
    }
    case "artifact.updated":
      return state.artifacts.has(envelope.body.artifact) ? OK : no(`no artifact ${envelope.body.artifact}`);
    case "branch.merged":
    case "branch.abandoned": {
      const branch = state.branches.get(envelope.body.branch);
      if (branch === undefined) return no(`no branch ${envelope.body.branch}`);
      if (branch.status !== "open") return no(`the branch is already ${branch.status}`);
      return branch.createdBy === actor || isOwner ? OK : no("only the branch's creator or an owner can close it");
    }
    case "authority.granted":
      return judgeGrant(state, actor, member, envelope);
    case "authority.revoked":
      return judgeRevoke(state, actor, member, envelope);
    default:
      return OK;
  }
}

/** A newcomer's join: the invite must be committed, live at the join's hlc, with uses left. */
function judgeJoin(state: SpaceState, envelope: EnvelopeOf<"member.joined">): Judgement {
  const invite = state.invites.get(envelope.body.invite);
  if (invite === undefined) return no(`no committed invite ${envelope.body.invite}: ask an owner for a new invite`);
  if (invite.key !== envelope.body.key) return no("the join names another key than the invite's");
  if (invite.revoked) return no("the invite was revoked: ask an owner for a new one");
  if (hlcWallTime(envelope.hlc) > Date.parse(invite.expiresAt)) return no(`the invite expired at ${invite.expiresAt}: ask an owner for a new one`);
  if (invite.used >= invite.uses) return no(`the invite has been used ${invite.used} of ${invite.uses} times: ask an owner for a new one`);
  if (state.members.has(envelope.author)) return no(`${envelope.author} is already a member`);
  // The proof (the invite key's signature over this joiner) was checked when the envelope arrived.
  return OK;
}

function countOwners(state: SpaceState): number {
  let owners = 0;
  for (const member of state.members.values()) if (member.role === "owner") owners++;
  return owners;
}

/** Types whose effect waits for commit: the control plane. Everything else shows at once. */
export const CONTROL_PLANE_TYPES: ReadonlySet<string> = new Set([
  "member.added", "member.removed", "member.joined", "invite.created", "invite.revoked", "space.configured",
  "policy.set", "approval.decided", "authority.granted", "authority.revoked", "budget.spent",
  "coalition.formed", "coalition.joined", "coalition.left", "coalition.dissolved", "coalition.spent", "coalition.voted",
  "work.bids_called", "work.bid", "work.awarded",
]);
