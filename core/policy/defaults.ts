/**
 * The policy a new space starts with, from the seeds (001: tiers; 000: bounded autonomy).
 * It applies to a tool until an owner sets that tool's own policy (`commons policy set`,
 * or the `set_policy` tool); `commons policy show` prints what is in force.
 *
 * - messages, notes, artifacts, updates, approval requests: tier 1 for every member;
 * - create_work_item: an agent's HF (high-frequency) work → 3; an agent's work outside its
 *   own domains → 2 (LF and Dormant work runs, anything else asks);
 * - claim_work_item: an agent claiming outside its own domains → 2, no pattern: it asks
 *   (the seed's over-claiming, prevented by policy);
 * - promote_branch (a `branch.merged`): agents → 3;
 * - form_coalition: agents → 3 (a human approves a team an agent proposes); a coalition's
 *   own branches are promoted by its quorum instead (docs/COORDINATION.md);
 * - decide_approval, grant_authority, revoke_authority: reserved to humans (tier 4 for
 *   agents; core/policy/tiers.ts `HUMAN_ONLY_TOOLS`), with no policy needed;
 * - membership, invites, visibility and policy changes: owners only, by the commit rule
 *   itself (core/views/authority.ts), whatever any policy says.
 *
 * The approver is an owner unless a rule names one.
 */
import type { BodyOf } from "../log/types/index.js";

export const DEFAULT_POLICIES: readonly BodyOf<"policy.set">[] = [
  {
    tool: "create_work_item", tier: 1, patterns: ["clock=LF", "clock=Dormant"],
    rules: [
      { when: { roles: ["agent"], match: ["clock=HF"] }, tier: 3, reason: "high-frequency (HF) work by an agent needs a human's approval" },
      { when: { roles: ["agent"], crossDomain: true }, tier: 2, reason: "an agent creating work outside its own domains needs approval unless it is LF or Dormant" },
    ],
  },
  {
    tool: "claim_work_item", tier: 1,
    rules: [{ when: { roles: ["agent"], crossDomain: true }, tier: 2, reason: "an agent claiming work outside its own domains needs approval" }],
  },
  {
    tool: "promote_branch", tier: 1,
    rules: [{ when: { roles: ["agent"] }, tier: 3, reason: "an agent promoting a branch needs a human's approval" }],
  },
  {
    tool: "form_coalition", tier: 1,
    rules: [{ when: { roles: ["agent"] }, tier: 3, reason: "an agent forming a coalition needs a human's approval" }],
  },
];

const BY_TOOL = new Map(DEFAULT_POLICIES.map((policy) => [policy.tool, policy]));

/** The default policy for `tool`, if the defaults name it. */
export function defaultPolicy(tool: string): BodyOf<"policy.set"> | undefined {
  return BY_TOOL.get(tool);
}
