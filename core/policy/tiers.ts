/**
 * The one policy function every MCP tool asks before it acts: what tier is this call, for
 * this actor, under the space's committed policies?
 *
 *   1 run now · 2 run if an allowed pattern matches (else it is decided as 3)
 *   3 ask a human: the approver (a did or a role; default "owner") · 4 refuse, with the reason
 *
 * The decision carries `action` ("run" | "ask" | "refuse") so a caller never has to
 * re-derive what a tier-2 decision meant: a returned tier 2 always means "a pattern
 * allowed it, run"; a tier-2 policy whose patterns do not match comes back as tier 3.
 *
 * Order: non-members → 4; read tools → 1 (unless a policy names the tool); observers → 4
 * for everything else; the tool's own `policy.set` (its rules first, first match wins, then
 * its tier), else the space's default policy for the tool (core/policy/defaults.ts); with
 * neither, human-only tools → 4 for agents; then the `*` policy; then 1. The token's tier
 * ceiling is applied by the caller (docs/AUTHORITY.md).
 *
 * The same function is the commit rule (core/policy/commit-rule.ts): what a tool decides
 * here is decided again where the envelope commits, whatever path it took.
 */
import type { Did } from "../identity/did.js";
import type { Approver, BodyOf, Tier } from "../log/types/index.js";
import type { Member, Policy, SpaceState } from "../views/state.js";
import { READ_TOOLS } from "./catalogue.js";
import { defaultPolicy } from "./defaults.js";
import { matches } from "./patterns.js";

export interface ToolCall {
  tool: string;
  /** The verified caller (the capability token's subject), never an argument. */
  actor: Did;
  args: Record<string, unknown>;
}

export interface TierDecision {
  tier: Tier;
  action: "run" | "ask" | "refuse";
  reason: string;
  /** Who must approve, for `ask`. */
  approver?: Approver;
}

export { READ_TOOLS, TOOLS } from "./catalogue.js";

/**
 * Reserved to humans (owners and humans) unless the tool's own policy says otherwise.
 * Not grant_authority: an agent may re-delegate a grant it holds, narrower (the commit rule
 * for grants, core/views/grants.ts, refuses an agent's root grant).
 */
export const HUMAN_ONLY_TOOLS: ReadonlySet<string> = new Set(["revoke_authority", "decide_approval"]);

const DEFAULT_APPROVER: Approver = "owner";

export function decideTier(call: ToolCall, view: SpaceState): TierDecision {
  const member = view.members.get(call.actor);
  if (member === undefined) return refuse(`${call.actor} is not a member of this space: ask an owner to add you`);
  const set = view.policies.get(call.tool);
  if (set === undefined && READ_TOOLS.has(call.tool)) return run(1, "reading is open to every member");
  if (member.role === "observer") return refuse("observers can read but not act: ask an owner for another role");
  const own = set ?? defaultPolicy(call.tool);
  if (own !== undefined) return fromPolicy(own, call, member, view);
  if (HUMAN_ONLY_TOOLS.has(call.tool) && member.role === "agent") {
    return refuse(`${call.tool} is reserved to humans: ask a human member to do it`);
  }
  const fallback = view.policies.get("*");
  if (fallback !== undefined) return fromPolicy(fallback, call, member, view);
  return run(1, "no policy applies: members act freely");
}

function fromPolicy(policy: Policy | BodyOf<"policy.set">, call: ToolCall, member: Member, view: SpaceState): TierDecision {
  const rule = policy.rules?.find((candidate) => holds(candidate.when, call, member, view));
  const tier = rule?.tier ?? policy.tier;
  const approver = rule?.approver ?? policy.approver ?? DEFAULT_APPROVER;
  const reason = rule?.reason ?? policy.reason;
  const scope = `${call.tool} policy${rule === undefined ? "" : ` (rule ${policy.rules!.indexOf(rule) + 1})`}`;
  switch (tier) {
    case 1:
      return run(1, reason ?? `${scope}: runs without approval`);
    case 2: {
      const allowed = policy.patterns?.find((pattern) => matches(pattern, call.args));
      if (allowed !== undefined) return run(2, `${scope}: matches the allowed pattern "${allowed}"`);
      return ask(approver, `${reason ?? `${scope}: no allowed pattern matches`}; ${describe(approver)} must approve`);
    }
    case 3:
      return ask(approver, `${reason ?? `${scope}: needs a human`}; ${describe(approver)} must approve`);
    case 4:
      return refuse(reason ?? `${scope}: refused`);
  }
}

type Conditions = NonNullable<BodyOf<"policy.set">["rules"]>[number]["when"];

function holds(when: Conditions, call: ToolCall, member: Member, view: SpaceState): boolean {
  if (when.actors !== undefined && !when.actors.includes(call.actor)) return false;
  if (when.roles !== undefined && !when.roles.includes(member.role)) return false;
  if (when.inOwnDomain !== undefined && inOwnDomain(call, member, view) !== when.inOwnDomain) return false;
  if (when.crossDomain !== undefined && crossDomain(call, member, view) !== when.crossDomain) return false;
  if (when.match !== undefined && !when.match.every((pattern) => matches(pattern, call.args))) return false;
  return true;
}

/**
 * The domains a call touches: `args.domain`, `args.domains`, and the domains of the work
 * item named by `args.item`. A call that names no domain is in nobody's own domain.
 */
export function callDomains(args: Record<string, unknown>, view: SpaceState): string[] {
  const domains = new Set<string>();
  if (typeof args.domain === "string") domains.add(args.domain);
  if (Array.isArray(args.domains)) for (const domain of args.domains) if (typeof domain === "string") domains.add(domain);
  if (typeof args.item === "string") for (const domain of view.work.get(args.item as never)?.domains ?? []) domains.add(domain);
  return [...domains];
}

function inOwnDomain(call: ToolCall, member: Member, view: SpaceState): boolean {
  const domains = callDomains(call.args, view);
  return domains.length > 0 && domains.every((domain) => member.domains.includes(domain));
}

/** The call names at least one domain that is not the actor's. */
function crossDomain(call: ToolCall, member: Member, view: SpaceState): boolean {
  return callDomains(call.args, view).some((domain) => !member.domains.includes(domain));
}

function describe(approver: Approver): string {
  return approver.startsWith("did:") ? approver : `a member with role ${approver}`;
}

const run = (tier: 1 | 2, reason: string): TierDecision => ({ tier, action: "run", reason });
const ask = (approver: Approver, reason: string): TierDecision => ({ tier: 3, action: "ask", reason, approver });
const refuse = (reason: string): TierDecision => ({ tier: 4, action: "refuse", reason });
