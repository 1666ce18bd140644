/**
 * The commit rule for coalitions and markets (docs/COORDINATION.md): who may form, join,
 * leave and dissolve a coalition, spend its budget and vote, and the call-for-bids, bid and
 * award rules of a market item. Called from core/views/authority.ts `judgeRights`, so the
 * same verdict is reached however the envelope arrived and on every replica; the policy's
 * tiers come after, through `coalitionCall` (the tool call each envelope amounts to).
 *
 * The binding to an epoch: a spend, a vote and a dissolution name the coalition's epoch
 * they were written at, and are refused unless it is the current one — so a member who
 * left cannot spend or vote for the team, and nothing written for an older team counts.
 */
import type { Did } from "../identity/did.js";
import type { Envelope, EnvelopeOf } from "../log/envelope.js";
import { hlcWallTime } from "../log/hlc.js";
import type { EnvelopeId } from "../log/ids.js";
import { coalitionBalance, coalitionByKey, payingGrant, type Coalition, type OneOf } from "../state/coalition.js";
import { awardOf, isDeadlineAward } from "../state/market.js";
import { grantChain } from "../views/grants.js";
import type { Member, SpaceState } from "../views/state.js";

type Judgement = { ok: true } | { ok: false; reason: string };
const OK: Judgement = { ok: true };
const no = (reason: string): Judgement => ({ ok: false, reason });

/**
 * The verdict for the coalition and market parts of an envelope, or null when this rule has
 * nothing to say (the general rules in core/views/authority.ts then apply).
 */
export function judgeCoalitionRights(state: SpaceState, envelope: Envelope, actor: Did, member: Member | undefined): Judgement | null {
  switch (envelope.type) {
    case "budget.spent": {
      const holder = coalitionByKey(state, grantChain(state, envelope.body.grant)[0]?.subject ?? ("" as Did));
      return holder === undefined ? null : no(`grant ${envelope.body.grant} is coalition ${holder.name}'s budget: a member spends it with spend_coalition_budget (coalition.spent) at the current epoch`);
    }
    case "member.added":
    case "member.joined": {
      // A coalition's key names its budget: as a member's key, its effects would be charged to it.
      const key = envelope.type === "member.added" ? envelope.body.member : envelope.author;
      const holder = coalitionByKey(state, key);
      return holder === undefined ? null : no(`that key is coalition ${holder.name}'s identity, not a member's: use another key`);
    }
    case "work.claimed": {
      const market = state.markets.get(envelope.body.item);
      return market?.status === "open" ? no(`this item is awarded by market: bid on it (bid) before ${market.deadline}; the award gives the claim`) : null;
    }
    case "branch.merged": {
      const coalition = state.branches.get(envelope.body.branch)?.coalition;
      return coalition === undefined ? null : no(`this branch is promoted by its coalition's quorum: members approve it with approve_branch`);
    }
    case "branch.created":
      return envelope.body.coalition === undefined ? null : writer(member, actor) ?? activeMember(state, envelope.body.coalition, actor).judgement;
    case "branch.updated":
      return writer(member, actor) ?? judgeStage(state, envelope, actor);
    case "coalition.formed":
      return writer(member, actor) ?? judgeForm(state, envelope);
    case "coalition.joined": {
      const found = active(state, envelope.body.coalition);
      if (!found.ok) return found.judgement;
      return writer(member, actor) ?? (found.coalition.members.includes(actor) ? no(`${actor} is already a member of coalition ${found.coalition.name}`) : OK);
    }
    case "coalition.left":
      return writer(member, actor) ?? activeMember(state, envelope.body.coalition, actor).judgement;
    case "coalition.spent":
    case "coalition.voted":
    case "coalition.dissolved":
      return writer(member, actor) ?? judgeAtEpoch(state, envelope, actor, member!);
    case "work.awarded":
      // The deadline's own award, by the tool host: the award rule alone judges it.
      if (isDeadlineAward(envelope, state.sequencer)) return judgeMarket(state, envelope, actor, member);
      return writer(member, actor) ?? judgeMarket(state, envelope, actor, member);
    case "work.bids_called":
    case "work.bid":
      return writer(member, actor) ?? judgeMarket(state, envelope, actor, member);
    default:
      return null;
  }
}

/** Writers are members who are not observers; null when `actor` is one. */
function writer(member: Member | undefined, actor: Did): Judgement | null {
  if (member === undefined) return no(`${actor} is not a member of this space: ask an owner to add you`);
  return member.role === "observer" ? no("observers can read but not write") : null;
}

type Found = { ok: true; coalition: Coalition; judgement: Judgement } | { ok: false; judgement: Judgement };

function active(state: SpaceState, id: EnvelopeId): Found {
  const coalition = state.coalitions.get(id);
  if (coalition === undefined) return { ok: false, judgement: no(`no coalition ${id}: list them with commons coalition ls`) };
  if (coalition.status === "dissolved") return { ok: false, judgement: no(`coalition ${coalition.name} is dissolved: its authority ended; form a new one`) };
  return { ok: true, coalition, judgement: OK };
}

function activeMember(state: SpaceState, id: EnvelopeId, actor: Did): Found {
  const found = active(state, id);
  if (found.ok && !found.coalition.members.includes(actor)) {
    return { ok: false, judgement: no(`${actor} is not a member of coalition ${found.coalition.name}: join it first (join_coalition)`) };
  }
  return found;
}

function judgeForm(state: SpaceState, envelope: EnvelopeOf<"coalition.formed">): Judgement {
  const { key, members, quorum, item } = envelope.body;
  if (state.members.has(key)) return no("the coalition's key is a member's key: give the coalition a fresh key of its own");
  if (coalitionByKey(state, key) !== undefined) return no("another coalition already has this key: give the coalition a fresh key of its own");
  for (const did of members) {
    const role = state.members.get(did)?.role;
    if (role === undefined || role === "observer") return no(`${did} is not a member who can act in this space: only members (not observers) join coalitions`);
  }
  if (quorum !== undefined && quorum > members.length) return no(`a quorum of ${quorum} cannot be met by ${members.length} founding members: lower it or name more members`);
  if (item !== undefined && !state.work.has(item)) return no(`no work item ${item}: create it first, or form the coalition without one`);
  return OK;
}

function judgeStage(state: SpaceState, envelope: EnvelopeOf<"branch.updated">, actor: Did): Judgement {
  const branch = state.branches.get(envelope.body.branch);
  if (branch === undefined) return no(`no branch ${envelope.body.branch}`);
  if (branch.status !== "open") return no(`the branch is already ${branch.status}: start a new branch`);
  if (!state.artifacts.has(envelope.body.artifact)) return no(`no artifact ${envelope.body.artifact}: create it first (write_artifact)`);
  return branch.coalition === undefined ? OK : activeMember(state, branch.coalition, actor).judgement;
}

/** Spends, votes and dissolutions: by a current member (or, to dissolve, the former or an owner), at the current epoch. */
function judgeAtEpoch(state: SpaceState, envelope: OneOf<"coalition.spent" | "coalition.voted" | "coalition.dissolved">, actor: Did, member: Member): Judgement {
  const found = active(state, envelope.body.coalition);
  if (!found.ok) return found.judgement;
  const coalition = found.coalition;
  const isMember = coalition.members.includes(actor);
  if (envelope.type === "coalition.dissolved") {
    const goalDone = coalition.item !== undefined && state.work.get(coalition.item)?.status === "completed";
    if (!(coalition.formedBy === actor || member.role === "owner" || (isMember && goalDone))) {
      return no("only its former or an owner dissolves a coalition, or a member once its goal item is completed; others vote (dissolve_coalition)");
    }
  } else if (!isMember) {
    return no(`${actor} is not a member of coalition ${coalition.name} at epoch ${coalition.epoch}: a member who left cannot act for it`);
  }
  if (envelope.body.epoch !== coalition.epoch) {
    return no(`stale epoch ${envelope.body.epoch}: coalition ${coalition.name} is at epoch ${coalition.epoch} (its team changed); read it again and resend`);
  }
  const at = hlcWallTime(envelope.hlc);
  if (envelope.type === "coalition.spent") {
    if (payingGrant(state, coalition, envelope.body.units, at) !== undefined) return OK;
    const left = coalitionBalance(state, coalition, at);
    return left === 0 ? no(`budget exhausted: coalition ${coalition.name} has no budget left; ask an owner to grant more to ${coalition.key}`)
      : no(`budget exhausted: coalition ${coalition.name} has ${left} units left on any one grant, fewer than ${envelope.body.units}`);
  }
  if (envelope.type === "coalition.voted") {
    const { motion, branch } = envelope.body;
    if (coalition.votes.some((vote) => vote.member === actor && vote.motion === motion && vote.branch === branch)) {
      return no(`${actor} already voted to ${motion} at epoch ${coalition.epoch}`);
    }
    if (branch !== undefined) {
      const target = state.branches.get(branch);
      if (target === undefined || target.coalition !== coalition.id) return no(`no branch ${branch} of coalition ${coalition.name}`);
      if (target.status !== "open") return no(`the branch is already ${target.status}`);
    }
  }
  return OK;
}

function judgeMarket(state: SpaceState, envelope: OneOf<"work.bids_called" | "work.bid" | "work.awarded">, actor: Did, member: Member | undefined): Judgement {
  const itemId = envelope.body.item;
  const item = state.work.get(itemId);
  if (item === undefined) return no(`no work item ${itemId}`);
  const at = hlcWallTime(envelope.hlc);
  const market = state.markets.get(itemId);
  if (envelope.type === "work.bids_called") {
    if (item.createdBy !== actor && member?.role !== "owner") return no("only the item's creator or an owner calls for bids on it");
    if (item.status !== "open") return no(`the item is ${item.status}: only an open, unclaimed item goes to market`);
    if (market !== undefined) return no(`bids on this item were already called (${market.called})`);
    const deadline = Date.parse(envelope.body.deadline);
    if (deadline <= at) return no("the deadline is not after this call's own stamp: set a later deadline");
    if (envelope.body.dueBy !== undefined && Date.parse(envelope.body.dueBy) < deadline) return no("dueBy is before the deadline: no bid could meet it");
    return OK;
  }
  if (market === undefined) return no("no call for bids on this item: it is first-claim-wins (claim_work_item)");
  if (market.status !== "open") return no(`bidding is closed: the item was awarded (${market.award})`);
  if (envelope.type === "work.bid") {
    if (at > Date.parse(market.deadline)) return no(`bid stamped after the deadline ${market.deadline}: bidding is closed`);
    if (market.bids.some((bid) => bid.bidder === actor)) return no(`${actor} already bid on this item: one bid per bidder`);
    const { cost, eta } = envelope.body;
    if (market.maxCost !== undefined && cost > market.maxCost) return no(`cost ${cost} is over the call's maxCost ${market.maxCost}`);
    if (market.dueBy !== undefined && Date.parse(market.deadline) + eta * 1000 > Date.parse(market.dueBy)) return no(`an estimate of ${eta} s from the deadline ends after dueBy ${market.dueBy}`);
    return OK;
  }
  if (at < Date.parse(market.deadline)) return no(`the deadline ${market.deadline} has not passed at this award's stamp: award after it`);
  const best = awardOf(market);
  const { winner, bid } = envelope.body;
  if (best?.id !== bid || best?.bidder !== winner) {
    // Short enough for the receipt's 200 characters: the winner's bid and did.
    return no(best === undefined ? "no bid was committed: award with no winner" : `the award rule gives bid ${best.id} by ${best.bidder}: award that`);
  }
  return OK;
}

/**
 * The tool call a coalition or market envelope amounts to (for the policy's tiers, in
 * core/policy/commit-rule.ts `callOf`): the tool's name and its arguments. The epoch is
 * not an argument: it binds the write to the team, it is not what the policy judges.
 */
export function coalitionCall(envelope: Envelope): { tool: string; args: Record<string, unknown> } | null {
  switch (envelope.type) {
    case "coalition.formed": {
      // Not the key: it names the team, it is not what the policy judges (and a tool makes it fresh).
      const { name, goal, item, members, quorum } = envelope.body;
      return { tool: "form_coalition", args: { name, goal, item, members, quorum } };
    }
    case "coalition.joined":
      return { tool: "join_coalition", args: { coalition: envelope.body.coalition } };
    case "coalition.left":
      return { tool: "leave_coalition", args: { coalition: envelope.body.coalition, reason: envelope.body.reason } };
    case "coalition.dissolved":
      return { tool: "dissolve_coalition", args: { coalition: envelope.body.coalition, reason: envelope.body.reason } };
    case "coalition.spent": {
      const { coalition, units, tool, note } = envelope.body;
      return { tool: "spend_coalition_budget", args: { coalition, units, tool, note } };
    }
    case "coalition.voted": {
      const { coalition, motion, branch } = envelope.body;
      // A branch names its coalition: the vote's tool call is the branch alone.
      return motion === "promote" ? { tool: "approve_branch", args: { branch } } : { tool: "dissolve_coalition", args: { coalition } };
    }
    case "branch.created": {
      const { name, purpose, from, coalition } = envelope.body;
      return { tool: "create_branch", args: { name, purpose, from, coalition } };
    }
    case "branch.updated": {
      const { branch, artifact, content, note } = envelope.body;
      return { tool: "write_branch", args: { branch, artifact, content: "inline" in content ? content.inline : content.ydoc, note } };
    }
    case "work.bids_called": {
      const { item, deadline, criteria, maxCost, dueBy } = envelope.body;
      return { tool: "call_for_bids", args: { item, deadline, criteria, maxCost, dueBy } };
    }
    case "work.bid": {
      const { item, cost, eta, confidence, note } = envelope.body;
      return { tool: "bid", args: { item, cost, eta, confidence, note } };
    }
    case "work.awarded":
      return { tool: "award_work", args: { item: envelope.body.item } };
    default:
      return null;
  }
}
