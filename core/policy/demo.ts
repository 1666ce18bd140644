/**
 * The seed's example as space data: the policy of NullProof Studio, where Andy (the human)
 * holds reserved authority, Michelle (governance agent) may create any task, and George
 * (creative agent, domain "After-Image") works autonomously in his own domain.
 *
 * - create_work_item: humans and Michelle → 1; HF (high-frequency clock) work → 3, Andy;
 *   an agent in its own domain → 1; anything else (cross-domain, or no domain) → 3, Andy.
 * - write_artifact: tier 2: drafts and notes run; anything else asks Andy.
 * - grant_authority, revoke_authority, decide_approval: humans → 1, agents → 4.
 * - post_message and the rest: no policy, so tier 1 for members.
 *
 * `demoPolicy()` gives the `policy.set` bodies (write each, signed by an owner);
 * `demoMembers()` the `member.added` bodies for Michelle and George.
 */
import type { Did } from "../identity/did.js";
import type { BodyOf } from "../log/types/index.js";

export interface DemoCast {
  andy: Did;
  michelle?: Did;
  george?: Did;
}

export function demoPolicy({ andy, michelle }: DemoCast): BodyOf<"policy.set">[] {
  const humanOnly = (tool: string): BodyOf<"policy.set"> => ({
    tool, tier: 4, reason: `${tool} is reserved to humans (Tier 4 for agents): ask Andy`,
    rules: [{ when: { roles: ["owner", "human"] }, tier: 1, reason: "a human exercises reserved authority" }],
  });
  return [
    {
      tool: "create_work_item", tier: 3, approver: andy, reason: "cross-domain work needs Andy's approval",
      rules: [
        { when: { roles: ["owner", "human"] }, tier: 1, reason: "humans create work freely" },
        ...(michelle === undefined ? [] : [{ when: { actors: [michelle] }, tier: 1 as const, reason: "Michelle (governance) creates any task" }]),
        { when: { match: ["clock=HF"] }, tier: 3, approver: andy, reason: "high-frequency (HF) work needs Andy's approval" },
        { when: { inOwnDomain: true }, tier: 1, reason: "an agent creating work in its own domain is auto-approved" },
      ],
    },
    {
      tool: "write_artifact", tier: 2, patterns: ["kind=draft", "kind=note"], approver: andy,
      reason: "only drafts and notes are written without asking",
    },
    humanOnly("grant_authority"),
    humanOnly("revoke_authority"),
    humanOnly("decide_approval"),
  ];
}

export function demoMembers({ michelle, george }: DemoCast): BodyOf<"member.added">[] {
  return [
    ...(michelle === undefined ? [] : [{ member: michelle, role: "agent" as const, domains: ["Governance", "Operations", "Nullproof"], name: "Michelle" }]),
    ...(george === undefined ? [] : [{ member: george, role: "agent" as const, domains: ["After-Image", "Creative", "Visual"], name: "George" }]),
  ];
}
