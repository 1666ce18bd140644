/**
 * The space's state machine: what the log means once folded. `applyEnvelope` is the fold
 * step; `judge` (in `authority.ts`) decides whether a step is allowed. The sequencer runs
 * both over the committed prefix to reach verdicts; views run them to show state. Both are
 * pure and deterministic: the same envelopes in the same order give the same state.
 * Everything is attributed to `actorOf(envelope)` (core/log/actor.ts): the member a tool
 * host acted for, or else the author.
 */
import type { Did } from "../identity/did.js";
import type { Envelope, EnvelopeOf } from "../log/envelope.js";
import type { ApprovalId, EnvelopeId, Role, WorkItemId } from "../log/ids.js";
import type { BodyOf } from "../log/types/index.js";
import type { Approver, Visibility } from "../log/types/index.js";
import { chargeOf } from "../policy/commit-rule.js";
import { membershipChanges, type MembershipChange } from "../state/membership.js";
import { actorOf, isHostReport } from "../log/actor.js";
import { applyGrant, applyRevoke, applySpend, type Grant, type Revocation } from "./grants.js";
import { applyCoalition, isCoalitionEnvelope, promoteBranch, type Coalition } from "../state/coalition.js";
import { applyMarket, isMarketEnvelope, type Market } from "../state/market.js";
import { hlcWallTime } from "../log/hlc.js";

export interface Member {
  did: Did;
  role: Role;
  domains: string[];
  name?: string;
  /** The envelope that last set this membership. */
  since: EnvelopeId;
  /**
   * The membership epoch at which this membership was last set: a capability token naming
   * this member (as subject or issuer) must carry an epoch at least this high, so tokens
   * stop working when *their* member changes, not when someone else joins.
   */
  epoch: number;
}

export interface Invite {
  id: EnvelopeId;
  key: Did;
  role: Exclude<Role, "owner">;
  domains: string[];
  name?: string;
  expiresAt: string;
  uses: number;
  used: number;
  createdBy: Did;
  revoked: boolean;
}

export interface WorkItem {
  id: WorkItemId;
  title: string;
  description?: string;
  domains: string[];
  clock?: "HF" | "LF" | "Dormant";
  createdBy: Did;
  status: "open" | "claimed" | "completed";
  claimant?: Did;
  /** The claim envelope that holds the item. */
  claim?: EnvelopeId;
  completedBy?: Did;
  result?: string;
  /** Every envelope that changed the item, in fold order. */
  history: EnvelopeId[];
}

export interface ApprovalRequest {
  id: ApprovalId;
  requestedBy: Did;
  action: BodyOf<"approval.requested">["action"];
  approver: Approver;
  expiresAt: string;
  item?: WorkItemId;
  /** `approvalBinding(action.tool, action.params)`, when the tool host bound it. */
  binding?: string;
  status: "pending" | "approved" | "rejected";
  decidedBy?: Did;
  decision?: EnvelopeId;
  reason?: string;
  /** The accepted envelope that carried out the approved action (at most one). */
  executedBy?: EnvelopeId;
}

export interface Policy extends BodyOf<"policy.set"> {
  setBy: Did;
  envelope: EnvelopeId;
}

export interface Artifact {
  id: EnvelopeId;
  title: string;
  kind?: string;
  content: BodyOf<"artifact.created">["content"];
  createdBy: Did;
  versions: EnvelopeId[];
}

export interface Branch {
  id: EnvelopeId;
  name: string;
  purpose?: string;
  createdBy: Did;
  status: "open" | "merged" | "abandoned";
  /** The coalition whose quorum promotes it (core/state/coalition.ts). */
  coalition?: EnvelopeId;
  /** Artifact versions staged on it (`branch.updated`), by artifact id: current once promoted. */
  staged?: Record<string, { content: BodyOf<"artifact.created">["content"]; envelope: EnvelopeId; version?: string }>;
  /** The envelope that promoted it: its `branch.merged`, or the quorum's last vote. */
  promotedBy?: EnvelopeId;
}

export interface SpaceState {
  genesis?: EnvelopeId;
  /**
   * Who sequences (and hosts tools) for the next index: set from the genesis here, and by
   * `buildView` from the commit resolver (which knows hand-overs). The actor rule needs it.
   */
  sequencer?: Did;
  members: Map<Did, Member>;
  /** Who may read the space (set at genesis, changed by owners with `space.configured`). */
  visibility: Visibility;
  invites: Map<EnvelopeId, Invite>;
  /** Membership epoch: 1 at genesis, +1 per membership change. */
  epoch: number;
  work: Map<WorkItemId, WorkItem>;
  approvals: Map<ApprovalId, ApprovalRequest>;
  policies: Map<string, Policy>;
  artifacts: Map<EnvelopeId, Artifact>;
  branches: Map<EnvelopeId, Branch>;
  savedViews: Map<string, { definition: Record<string, unknown>; by: Did }>;
  /** Recorded grants by jti (core/views/grants.ts). */
  grants: Map<string, Grant>;
  /** Revoked jtis (recorded grants or not); descendants are revoked through their parent. */
  revoked: Map<string, Revocation>;
  /** Coalitions by the id of their `coalition.formed` (core/state/coalition.ts). */
  coalitions: Map<EnvelopeId, Coalition>;
  /** Work items with a call for bids (core/state/market.ts). */
  markets: Map<WorkItemId, Market>;
}

export function emptyState(): SpaceState {
  return {
    members: new Map(), visibility: "private", invites: new Map(), epoch: 0, work: new Map(), approvals: new Map(), policies: new Map(),
    artifacts: new Map(), branches: new Map(), savedViews: new Map(), grants: new Map(), revoked: new Map(),
    coalitions: new Map(), markets: new Map(),
  };
}

export function cloneState(state: SpaceState): SpaceState {
  return structuredClone(state);
}

/** One fold step. Call only for an envelope `judge` accepted (or the sequencer committed as accepted). */
export function applyEnvelope(state: SpaceState, id: EnvelopeId, envelope: Envelope): void {
  const { author } = envelope;
  const actor = actorOf(envelope);
  // The budget an effect pays from is chosen on the state before the effect (as judged).
  const charge = isHostReport(envelope, state.sequencer) ? null : chargeOf(state, envelope);
  if (charge !== null) applySpend(state, charge, 1);
  const carried = (envelope.body as { approval?: EnvelopeId }).approval;
  if (carried !== undefined) {
    // The approved action is carried out: the approval cannot be used again.
    const request = state.approvals.get(carried);
    if (request !== undefined) request.executedBy = id;
  }
  switch (envelope.type) {
    case "space.created":
      state.genesis = id;
      state.sequencer = envelope.body.sequencer ?? author;
      state.visibility = envelope.body.visibility ?? "private";
      state.epoch = 0;
      applyMembership(state, id, membershipChanges(envelope));
      return;
    case "space.configured":
      state.visibility = envelope.body.visibility;
      return;
    case "member.added":
    case "member.removed":
      applyMembership(state, id, membershipChanges(envelope));
      return;
    case "invite.created": {
      const { key, role, domains, name, expiresAt, uses } = envelope.body;
      state.invites.set(id, { id, key, role, domains, ...(name === undefined ? {} : { name }), expiresAt, uses, used: 0, createdBy: author, revoked: false });
      return;
    }
    case "invite.revoked": {
      const invite = state.invites.get(envelope.body.invite);
      if (invite !== undefined) invite.revoked = true;
      return;
    }
    case "member.joined": {
      const invite = state.invites.get(envelope.body.invite);
      if (invite === undefined) return;
      invite.used++;
      applyMembership(state, id, membershipChanges(envelope, invite));
      return;
    }
    case "policy.set":
      // Set by an owner, or by the tool host's set_policy for one: the policy is the owner's.
      state.policies.set(envelope.body.tool, { ...envelope.body, setBy: actor, envelope: id });
      return;
    case "view.defined":
      state.savedViews.set(envelope.body.name, { definition: envelope.body.definition, by: author });
      return;
    case "work.created": {
      const { title, description, domains, clock } = envelope.body;
      state.work.set(id, {
        id, title, ...(description === undefined ? {} : { description }), domains: domains ?? [],
        ...(clock === undefined ? {} : { clock }), createdBy: actor, status: "open", history: [id],
      });
      return;
    }
    case "work.claimed":
    case "work.released":
    case "work.updated":
    case "work.completed":
      applyWork(state, id, actor, envelope);
      return;
    case "approval.requested": {
      const { action, approver, expiresAt, item, binding } = envelope.body;
      state.approvals.set(id, {
        id, requestedBy: actor, action, approver, expiresAt, ...(item === undefined ? {} : { item }),
        ...(binding === undefined ? {} : { binding }), status: "pending",
      });
      return;
    }
    case "approval.decided": {
      const request = state.approvals.get(envelope.body.request);
      if (request === undefined) return;
      request.status = envelope.body.decision;
      request.decidedBy = actor;
      request.decision = id;
      if (envelope.body.reason !== undefined) request.reason = envelope.body.reason;
      return;
    }
    case "artifact.created": {
      const { title, kind, content } = envelope.body;
      state.artifacts.set(id, { id, title, ...(kind === undefined ? {} : { kind }), content, createdBy: actor, versions: [id] });
      return;
    }
    case "artifact.updated": {
      const artifact = state.artifacts.get(envelope.body.artifact);
      if (artifact === undefined) return;
      artifact.content = envelope.body.content;
      artifact.versions.push(id);
      return;
    }
    case "branch.created": {
      const { name, purpose, coalition } = envelope.body;
      state.branches.set(id, {
        id, name, ...(purpose === undefined ? {} : { purpose }), createdBy: actor, status: "open", ...(coalition === undefined ? {} : { coalition }),
      });
      return;
    }
    case "branch.merged":
    case "branch.abandoned": {
      const branch = state.branches.get(envelope.body.branch);
      if (branch === undefined) return;
      if (envelope.type === "branch.merged") promoteBranch(state, branch, id);
      else branch.status = "abandoned";
      return;
    }
    case "authority.granted":
      applyGrant(state, id, actor, envelope.body);
      return;
    case "authority.revoked":
      applyRevoke(state, id, actor, envelope.body);
      return;
    case "budget.spent":
      applySpend(state, envelope.body.grant, envelope.body.units ?? 1);
      return;
    default:
      if (isCoalitionEnvelope(envelope)) return applyCoalition(state, id, actor, envelope, hlcWallTime(envelope.hlc));
      if (isMarketEnvelope(envelope)) return applyMarket(state, id, actor, envelope);
      // channel.message, trace.recorded, commit, sequencer.appointed: no state here
      // (the channel view and the commit resolver read them directly).
      return;
  }
}

/** One membership step (core/state/membership.ts): a new epoch, and each member it names set or gone. */
function applyMembership(state: SpaceState, id: EnvelopeId, changes: readonly MembershipChange[]): void {
  state.epoch++;
  for (const { did, role, domains, name } of changes) {
    if (role === null) state.members.delete(did);
    else state.members.set(did, { did, role, domains, ...(name === undefined ? {} : { name }), since: id, epoch: state.epoch });
  }
}

function applyWork(state: SpaceState, id: EnvelopeId, actor: Did, envelope: EnvelopeOf<"work.claimed" | "work.released" | "work.updated" | "work.completed">): void {
  const item = state.work.get(envelope.body.item);
  if (item === undefined) return;
  item.history.push(id);
  if (envelope.type === "work.claimed") {
    item.status = "claimed";
    item.claimant = actor;
    item.claim = id;
  } else if (envelope.type === "work.released") {
    item.status = "open";
    delete item.claimant;
    delete item.claim;
  } else if (envelope.type === "work.completed") {
    const body = envelope.body as BodyOf<"work.completed">;
    item.status = "completed";
    item.completedBy = actor;
    if (body.result !== undefined) item.result = body.result;
  } else {
    const body = envelope.body as BodyOf<"work.updated">;
    if (body.title !== undefined) item.title = body.title;
    if (body.description !== undefined) item.description = body.description;
  }
}
