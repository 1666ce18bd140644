/**
 * The tools of a space, named once. Policies name these (and `*`); the MCP layer
 * (core/mcp/tools.ts) implements each `mcp` one and checks at load that it implements
 * exactly those; the commit rule (core/policy/commit-rule.ts) reads envelopes as calls of
 * them, including `promote_branch`, which has no MCP tool yet (a `branch.merged` is one).
 *
 * kind: "read" tools write nothing and are open to every member (observers included) unless
 * the tool's own policy says otherwise; "write" tools are tiered by the policy.
 */
export const TOOL_CATALOGUE = {
  post_message: { kind: "write", mcp: true },
  create_work_item: { kind: "write", mcp: true },
  claim_work_item: { kind: "write", mcp: true },
  release_work_item: { kind: "write", mcp: true },
  update_work_item: { kind: "write", mcp: true },
  complete_work_item: { kind: "write", mcp: true },
  write_artifact: { kind: "write", mcp: true },
  request_approval: { kind: "write", mcp: true },
  decide_approval: { kind: "write", mcp: true },
  grant_authority: { kind: "write", mcp: true },
  revoke_authority: { kind: "write", mcp: true },
  set_policy: { kind: "write", mcp: true },
  query_channel: { kind: "read", mcp: true },
  get_space_state: { kind: "read", mcp: true },
  acquire_lock: { kind: "write", mcp: true },
  release_lock: { kind: "write", mcp: true },
  record_trace: { kind: "write", mcp: true },
  promote_branch: { kind: "write", mcp: false },
  // Coalitions, branches and markets (docs/COORDINATION.md; core/mcp/coalition-tools.ts).
  form_coalition: { kind: "write", mcp: true },
  join_coalition: { kind: "write", mcp: true },
  leave_coalition: { kind: "write", mcp: true },
  dissolve_coalition: { kind: "write", mcp: true },
  spend_coalition_budget: { kind: "write", mcp: true },
  approve_branch: { kind: "write", mcp: true },
  create_branch: { kind: "write", mcp: true },
  write_branch: { kind: "write", mcp: true },
  get_artifact: { kind: "read", mcp: true },
  call_for_bids: { kind: "write", mcp: true },
  bid: { kind: "write", mcp: true },
  award_work: { kind: "write", mcp: true },
} as const satisfies Record<string, { kind: "read" | "write"; mcp: boolean }>;

export type ToolName = keyof typeof TOOL_CATALOGUE;

/** Every tool a policy may name (besides `*`). */
export const TOOLS = Object.keys(TOOL_CATALOGUE) as ToolName[];

/** The tools the MCP endpoint serves. */
export const MCP_TOOLS = TOOLS.filter((name) => TOOL_CATALOGUE[name].mcp);

/** Tools that only read. */
export const READ_TOOLS: ReadonlySet<string> = new Set(TOOLS.filter((name) => TOOL_CATALOGUE[name].kind === "read"));

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOL_CATALOGUE, name);
}
