/**
 * Delegated grants, revocations and budget spends in the space's state: the judge rules
 * and fold steps for `authority.granted`, `authority.revoked` and `budget.spent`.
 *
 * A grant records a capability token's claims under its `jti`; `parent` links it to the
 * grant it narrows. Revoking a grant revokes everything beneath it (checked by walking up
 * the parent links, so a descendant recorded later is revoked too). A spend counts one call
 * and `units` against its grant *and every ancestor*, so siblings cannot together exceed
 * their parent. Spends are control plane: judged by the sequencer in commit order against
 * the committed state, so of the concurrent spends written offline on several replicas
 * exactly those that fit are accepted, the same ones on every replica.
 */
import { widening, type Scope } from "../auth/narrowing.js";
import type { Did } from "../identity/did.js";
import type { EnvelopeOf } from "../log/envelope.js";
import { hlcWallTime } from "../log/hlc.js";
import type { EnvelopeId } from "../log/ids.js";
import type { BodyOf, Tier } from "../log/types/index.js";
import type { Member, SpaceState } from "./state.js";

/** Longest chain of delegations (root grant included), as for capability tokens. */
export const MAX_GRANT_DEPTH = 3;

export interface Grant {
  jti: string;
  issuer: Did;
  subject: Did;
  tools: string[];
  tier: Tier;
  budget?: BodyOf<"authority.granted">["budget"];
  expiresAt: string;
  parent?: string;
  /** The envelope that recorded it. */
  envelope: EnvelopeId;
  /** Accepted spends against it (its own and its descendants'). */
  spent: { calls: number; units: number };
}

export interface Revocation {
  by: Did;
  envelope: EnvelopeId;
}

type Judgement = { ok: true } | { ok: false; reason: string };
const OK: Judgement = { ok: true };
const no = (reason: string): Judgement => ({ ok: false, reason });

/** The grant and its ancestors, leaf first (stops at an unrecorded parent). */
export function grantChain(state: SpaceState, jti: string): Grant[] {
  const chain: Grant[] = [];
  for (let grant = state.grants.get(jti); grant !== undefined && chain.length <= MAX_GRANT_DEPTH; grant = grant.parent === undefined ? undefined : state.grants.get(grant.parent)) {
    chain.push(grant);
  }
  return chain;
}

/** True when `jti` or any recorded ancestor of it is revoked. */
export function isRevoked(state: SpaceState, jti: string): boolean {
  if (state.revoked.has(jti)) return true;
  return grantChain(state, jti).some((grant) => state.revoked.has(grant.jti));
}

function scopeOf(grant: Pick<Grant, "tools" | "tier" | "budget" | "expiresAt">): Scope {
  return { tools: grant.tools, tier: grant.tier, budget: grant.budget, expires: Date.parse(grant.expiresAt) };
}

export function judgeGrant(state: SpaceState, actor: Did, member: Member, envelope: EnvelopeOf<"authority.granted">): Judgement {
  const body = envelope.body;
  if (state.grants.has(body.jti)) return no(`grant ${body.jti} is already recorded`);
  if (state.revoked.has(body.jti)) return no(`grant ${body.jti} was revoked before it was recorded`);
  const at = hlcWallTime(envelope.hlc);
  if (at > Date.parse(body.expiresAt)) return no(`the grant expired at ${body.expiresAt}`);
  if (body.parent === undefined) {
    return member.role === "owner" || member.role === "human"
      ? OK
      : no("only owners and humans grant authority; an agent re-delegates a grant it holds (set parent)");
  }
  const parent = state.grants.get(body.parent);
  if (parent === undefined) return no(`no grant ${body.parent}`);
  if (parent.subject !== actor) return no(`only the parent grant's subject ${parent.subject} can delegate it`);
  if (isRevoked(state, parent.jti)) return no("grant revoked");
  if (at > Date.parse(parent.expiresAt)) return no("grant expired");
  if (grantChain(state, parent.jti).length + 1 > MAX_GRANT_DEPTH) return no(`delegation chain deeper than ${MAX_GRANT_DEPTH}`);
  const widened = widening(scopeOf(body), scopeOf(parent));
  return widened === null ? OK : no(`a delegation may only narrow: ${widened}`);
}

export function judgeRevoke(state: SpaceState, actor: Did, member: Member | undefined, envelope: EnvelopeOf<"authority.revoked">): Judgement {
  const { jti } = envelope.body;
  if (state.revoked.has(jti)) return no(`grant ${jti} is already revoked`);
  const isOwner = member?.role === "owner";
  const grant = state.grants.get(jti);
  if (grant === undefined) return isOwner ? OK : no("only an owner can revoke a grant the log has no record of");
  return grant.issuer === actor || isOwner ? OK : no(`only the grant's issuer ${grant.issuer} or an owner can revoke it`);
}

/** A spend fits when no grant up the chain is revoked, expired or out of budget. */
export function judgeSpend(state: SpaceState, actor: Did, envelope: EnvelopeOf<"budget.spent">): Judgement {
  const { grant: jti } = envelope.body;
  const units = envelope.body.units ?? 1;
  const chain = grantChain(state, jti);
  const leaf = chain[0];
  if (leaf === undefined) return no(`no grant ${jti}`);
  if (leaf.subject !== actor) return no(`only the grant's subject ${leaf.subject} spends it`);
  const at = hlcWallTime(envelope.hlc);
  if (chain.some((grant) => state.revoked.has(grant.jti))) return no("grant revoked");
  if (chain.some((grant) => at > Date.parse(grant.expiresAt))) return no("grant expired");
  for (const grant of chain) {
    const { calls, units: unitLimit } = grant.budget ?? {};
    if (calls !== undefined && grant.spent.calls + 1 > calls) return no("budget exhausted");
    if (unitLimit !== undefined && grant.spent.units + units > unitLimit) return no("budget exhausted");
  }
  return OK;
}

export function applyGrant(state: SpaceState, id: EnvelopeId, actor: Did, body: BodyOf<"authority.granted">): void {
  const { jti, subject, tools, tier, budget, expiresAt, parent } = body;
  state.grants.set(jti, {
    jti, issuer: actor, subject, tools, tier, ...(budget === undefined ? {} : { budget }), expiresAt,
    ...(parent === undefined ? {} : { parent }), envelope: id, spent: { calls: 0, units: 0 },
  });
}

export function applyRevoke(state: SpaceState, id: EnvelopeId, actor: Did, body: BodyOf<"authority.revoked">): void {
  state.revoked.set(body.jti, { by: actor, envelope: id });
}

export function applySpend(state: SpaceState, jti: string, units: number): void {
  for (const grant of grantChain(state, jti)) {
    grant.spent.calls += 1;
    grant.spent.units += units;
  }
}

/**
 * Which budget an effect by `actor` with `tool` at wall time `at` pays from. A member who
 * holds a live budgeted grant for the tool is bound by it however the effect arrives (MCP,
 * CLI, `/log`, a peer): every such effect spends one call and one unit, in commit order.
 *
 * - `null`: no live budgeted grant of the actor covers the tool; nothing is charged;
 * - `{ jti }`: the first such grant (by jti: the same on every replica) with room;
 * - `{ exhausted }`: there are such grants and none has room; the effect is rejected.
 */
export function budgetFor(state: SpaceState, actor: Did, tool: string, at: number): { jti: string } | { exhausted: string } | null {
  let exhausted: string | undefined;
  const candidates = [...state.grants.values()]
    .filter((grant) => grant.subject === actor && (grant.tools.includes("*") || grant.tools.includes(tool)))
    .sort((a, b) => (a.jti < b.jti ? -1 : 1));
  for (const grant of candidates) {
    const chain = grantChain(state, grant.jti);
    if (!chain.some((link) => link.budget !== undefined)) continue;
    if (chain.some((link) => state.revoked.has(link.jti) || at > Date.parse(link.expiresAt))) continue;
    const room = chain.every(({ budget, spent }) =>
      (budget?.calls === undefined || spent.calls + 1 <= budget.calls) && (budget?.units === undefined || spent.units + 1 <= budget.units));
    if (room) return { jti: grant.jti };
    exhausted ??= grant.jti;
  }
  return exhausted === undefined ? null : { exhausted };
}
