/**
 * "Delegation may only narrow": the one comparison shared by capability tokens
 * (core/auth/capability.ts) and the log's grant records (core/views/grants.ts), so a chain
 * of tokens and a chain of `authority.granted` envelopes obey exactly the same rule.
 */
import type { Tier } from "../log/types/index.js";

export interface Budget {
  calls?: number | undefined;
  units?: number | undefined;
}

/** What a grant allows, as far as narrowing is concerned. Times are epoch milliseconds. */
export interface Scope {
  tools: readonly string[];
  tier: Tier;
  budget?: Budget | undefined;
  /** Not valid before (ms); absent: valid from issue. */
  notBefore?: number | undefined;
  /** Not valid after (ms). */
  expires: number;
}

/** The wildcard tool list. */
export const ALL_TOOLS = "*";

/** True when `tools` allows `tool`. */
export function allowsTool(tools: readonly string[], tool: string): boolean {
  return tools.includes(ALL_TOOLS) || tools.includes(tool);
}

/**
 * Null when `child` is within `parent`; otherwise what widened, for the error message.
 * Each budget field the parent limits must be limited at least as tightly by the child;
 * a field the parent leaves unlimited the child may set freely.
 */
export function widening(child: Scope, parent: Scope): string | null {
  if (!parent.tools.includes(ALL_TOOLS)) {
    const extra = child.tools.filter((tool) => !parent.tools.includes(tool));
    if (extra.length > 0) return `tools ${extra.join(", ")} are not in the parent's tools`;
  }
  if (child.tier > parent.tier) return `tier ${child.tier} is above the parent's ceiling ${parent.tier}`;
  for (const field of ["calls", "units"] as const) {
    const limit = parent.budget?.[field];
    if (limit === undefined) continue;
    const own = child.budget?.[field];
    if (own === undefined || own > limit) return `budget.${field} ${own ?? "unlimited"} exceeds the parent's ${limit}`;
  }
  if (child.expires > parent.expires) return "it expires after its parent";
  if ((parent.notBefore ?? -Infinity) > (child.notBefore ?? -Infinity)) return "it becomes valid before its parent";
  return null;
}
