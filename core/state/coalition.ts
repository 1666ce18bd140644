/**
 * Coalitions in the committed state: the fold steps for `coalition.*` and `branch.updated`,
 * the promotion of a branch, and what a coalition has left to spend. The judge rules that
 * guard these steps are in core/policy/coalition-rule.ts; docs/COORDINATION.md tells the
 * story. Every step is pure and deterministic, so every replica folding the same commits
 * shows the same team, epoch and balance.
 *
 * Stored like every other entity (core/state/store.ts: one row per coalition, kind
 * "coalitions"). A row stays small: votes from an earlier epoch can never count again, so
 * an epoch change drops them.
 */
import type { Did } from "../identity/did.js";
import type { Envelope, EnvelopeOf } from "../log/envelope.js";
import type { EnvelopeId, WorkItemId } from "../log/ids.js";
import type { BodyOf, EnvelopeType } from "../log/types/index.js";
import { applySpend, grantChain, isRevoked } from "../views/grants.js";
import type { Branch, SpaceState } from "../views/state.js";

export interface CoalitionVote {
  motion: "promote" | "dissolve";
  branch?: EnvelopeId;
  member: Did;
  epoch: number;
  envelope: EnvelopeId;
}

export interface Coalition {
  id: EnvelopeId;
  name: string;
  goal: string;
  item?: WorkItemId;
  /** The subject budget grants for the coalition name. */
  key: Did;
  formedBy: Did;
  /** Current members, sorted (so the row is the same on every replica). */
  members: Did[];
  /** 1 at formation, +1 per join or leave. */
  epoch: number;
  /** Votes a motion needs at one epoch. */
  quorum: number;
  status: "active" | "dissolved";
  /** Units spent from the coalition's budget. */
  spent: number;
  /** Votes cast at the current epoch (older ones never count). */
  votes: CoalitionVote[];
  /** Branches its quorum promoted, in commit order. */
  promoted: EnvelopeId[];
  /** How it ended: the envelope that did it, and the units left unspent (returned). */
  dissolved?: { by: EnvelopeId; reason?: string; returned: number };
  /** The envelope that last changed it. */
  since: EnvelopeId;
}

/** One of several envelope types, narrowed by `type` (an EnvelopeOf of a union does not narrow). */
export type OneOf<T extends EnvelopeType> = { [K in T]: EnvelopeOf<K> }[T];

export type CoalitionType = "coalition.formed" | "coalition.joined" | "coalition.left" | "coalition.dissolved" | "coalition.spent" | "coalition.voted" | "branch.updated";

const COALITION_TYPES: ReadonlySet<string> = new Set<CoalitionType>([
  "coalition.formed", "coalition.joined", "coalition.left", "coalition.dissolved", "coalition.spent", "coalition.voted", "branch.updated",
]);

export function isCoalitionType(type: string): type is CoalitionType {
  return COALITION_TYPES.has(type);
}

/** A majority of the founding members, when the formation names no quorum. */
export function defaultQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** Live grants whose subject is the coalition's key, by jti (the order every replica spends them in). */
export function coalitionGrants(state: SpaceState, coalition: Coalition, at: number): string[] {
  return [...state.grants.values()]
    .filter((grant) => grant.subject === coalition.key && !isRevoked(state, grant.jti) && grantChain(state, grant.jti).every((link) => at <= Date.parse(link.expiresAt)))
    .map((grant) => grant.jti)
    .sort();
}

/** Units the coalition may still spend: over its live grants, each bounded by its tightest ancestor. */
export function coalitionBalance(state: SpaceState, coalition: Coalition, at: number): number {
  if (coalition.status === "dissolved") return 0;
  let total = 0;
  for (const jti of coalitionGrants(state, coalition, at)) total += roomOf(state, jti);
  return total;
}

/** Units left on a grant's chain (Infinity when nothing bounds units). */
export function roomOf(state: SpaceState, jti: string): number {
  let room = Number.POSITIVE_INFINITY;
  for (const { budget, spent } of grantChain(state, jti)) {
    if (budget?.units !== undefined) room = Math.min(room, budget.units - spent.units);
  }
  return Math.max(0, room);
}

/** The coalition whose key is `did`, if any (a grant to it is the coalition's budget). */
export function coalitionByKey(state: SpaceState, did: Did): Coalition | undefined {
  for (const coalition of state.coalitions.values()) if (coalition.key === did) return coalition;
  return undefined;
}

/** One fold step for a coalition type (judged accepted by core/policy/coalition-rule.ts). */
export function applyCoalition(state: SpaceState, id: EnvelopeId, actor: Did, envelope: OneOf<CoalitionType>, at: number): void {
  if (envelope.type === "coalition.formed") {
    const { name, goal, item, key, members, quorum } = envelope.body as BodyOf<"coalition.formed">;
    state.coalitions.set(id, {
      id, name, goal, ...(item === undefined ? {} : { item }), key, formedBy: actor, members: [...members].sort(), epoch: 1,
      quorum: quorum ?? defaultQuorum(members.length), status: "active", spent: 0, votes: [], promoted: [], since: id,
    });
    return;
  }
  if (envelope.type === "branch.updated") {
    const { branch: branchId, artifact, content, version } = envelope.body as BodyOf<"branch.updated">;
    const branch = state.branches.get(branchId);
    if (branch !== undefined) branch.staged = { ...branch.staged, [artifact]: { content, envelope: id, ...(version === undefined ? {} : { version }) } };
    return;
  }
  const body = envelope.body as { coalition: EnvelopeId };
  const coalition = state.coalitions.get(body.coalition);
  if (coalition === undefined) return;
  coalition.since = id;
  switch (envelope.type) {
    case "coalition.joined":
      changeMembers(coalition, [...coalition.members, actor]);
      return;
    case "coalition.left":
      changeMembers(coalition, coalition.members.filter((member) => member !== actor));
      return;
    case "coalition.dissolved":
      dissolve(state, coalition, id, at, (envelope.body as BodyOf<"coalition.dissolved">).reason);
      return;
    case "coalition.spent": {
      const { units } = envelope.body as BodyOf<"coalition.spent">;
      // The judge found room: the same grant pays here, as judged.
      const jti = payingGrant(state, coalition, units, at);
      if (jti !== undefined) applySpend(state, jti, units);
      coalition.spent += units;
      return;
    }
    case "coalition.voted": {
      const { motion, branch, epoch } = envelope.body as BodyOf<"coalition.voted">;
      coalition.votes.push({ motion, ...(branch === undefined ? {} : { branch }), member: actor, epoch, envelope: id });
      if (votesFor(coalition, motion, branch) < coalition.quorum) return;
      if (motion === "dissolve") dissolve(state, coalition, id, at, "dissolved by quorum");
      else if (branch !== undefined) {
        const target = state.branches.get(branch);
        if (target !== undefined) promoteBranch(state, target, id);
        coalition.promoted.push(branch);
        coalition.votes = coalition.votes.filter((vote) => vote.branch !== branch);
      }
      return;
    }
  }
}

/** The grant a spend of `units` pays from: the first live one (by jti) with room; undefined when none has. */
export function payingGrant(state: SpaceState, coalition: Coalition, units: number, at: number): string | undefined {
  return coalitionGrants(state, coalition, at).find((jti) => roomOf(state, jti) >= units && callsLeft(state, jti));
}

/** True when a grant's chain has a call left (a spend also counts one call). */
export function callsLeft(state: SpaceState, jti: string): boolean {
  return grantChain(state, jti).every(({ budget, spent }) => budget?.calls === undefined || spent.calls + 1 <= budget.calls);
}

/** Votes that count for a motion: cast at the current epoch by a current member. */
export function votesFor(coalition: Coalition, motion: "promote" | "dissolve", branch?: EnvelopeId): number {
  return coalition.votes.filter((vote) => vote.motion === motion && vote.branch === branch && vote.epoch === coalition.epoch && coalition.members.includes(vote.member)).length;
}

/** A new team: a new epoch, and the votes of the old one void. */
function changeMembers(coalition: Coalition, members: Did[]): void {
  coalition.members = [...new Set(members)].sort();
  coalition.epoch++;
  coalition.votes = [];
}

/** Ends the coalition's authority; what it had not spent returns (it was never taken from the granting budget). */
function dissolve(state: SpaceState, coalition: Coalition, id: EnvelopeId, at: number, reason: string | undefined): void {
  const returned = coalitionBalance(state, coalition, at);
  coalition.status = "dissolved";
  coalition.votes = [];
  coalition.dissolved = { by: id, ...(reason === undefined ? {} : { reason }), returned: Number.isFinite(returned) ? returned : 0 };
}

/**
 * Promotion: every version staged on the branch becomes its artifact's current version
 * (appended to the artifact's versions, so the history shows where it came from); the
 * branch is kept, marked merged, as the record of the tentative work. A version staged in
 * Yjs becomes current as a pointer — the artifact's content names the branch's key, and the
 * merged branch (staged no more) keeps the version — never as a copy of the text
 * (core/yjs/branch-text.ts `renderArtifact`).
 */
export function promoteBranch(state: SpaceState, branch: Branch, by: EnvelopeId): void {
  branch.status = "merged";
  branch.promotedBy = by;
  for (const [artifactId, staged] of Object.entries(branch.staged ?? {})) {
    const artifact = state.artifacts.get(artifactId as EnvelopeId);
    if (artifact === undefined) continue;
    artifact.content = staged.content;
    artifact.versions.push(staged.envelope);
  }
}

/** Whether an envelope is one of the coalition fold's (for the dispatch in core/views/state.ts). */
export function isCoalitionEnvelope(envelope: Envelope): envelope is OneOf<CoalitionType> {
  return isCoalitionType(envelope.type);
}
