/**
 * Policy files: what `commons policy set <file.json>` reads and what the `set_policy` MCP
 * tool takes. A file holds one policy body or an array of them; each is checked with the
 * `policy.set` schema (core/log/types/space.ts) — without `actor` and `approval`, which
 * only the tool host and the commit rule fill in — and must name a tool of the space (or
 * `*`), so no file can set a policy that nothing reads. Errors name the field:
 *
 *   policy 2: rules.0.when.match.0: expected "field=glob" terms joined by "&" (see docs/AUTHORITY.md)
 */
import type { z } from "zod";
import { CommonsError } from "../errors.js";
import { policySetBody } from "../log/types/space.js";
import { TOOLS } from "./tiers.js";

/** A policy as an owner writes it. */
export const policyBodySchema = policySetBody.omit({ actor: true, approval: true });
export type PolicyBody = z.infer<typeof policyBodySchema>;

/** What a policy may name: every tool of the space, and `*` for the rest. */
export const POLICY_TOOLS: readonly string[] = [...TOOLS, "*"];

/** Most policies one file may set (one per tool, and `*`). */
export const MAX_POLICIES_PER_FILE = POLICY_TOOLS.length;

const UNION_HINTS: Record<string, string> = {
  tier: "expected the number 1, 2, 3 or 4",
  approver: "expected a member's did:key or a role (owner, human, agent, observer)",
};

const invalid = (message: string) => new CommonsError("policy-invalid", message, { status: 400 });

/** Checks one policy body; `where` prefixes errors ("policy 2: "). */
export function checkPolicyBody(raw: unknown, where = ""): PolicyBody {
  const checked = policyBodySchema.safeParse(raw);
  if (!checked.success) {
    const shown = checked.error.issues.slice(0, 3).map((issue) => {
      const path = issue.path.join(".");
      const last = issue.path.at(-1);
      let message = issue.message;
      if (issue.code === "unrecognized_keys" && path === "") message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}: a policy has ${Object.keys(policyBodySchema.shape).join(", ")}`;
      // zod says only "Invalid input" for a union: say what the union accepts.
      else if (issue.code === "invalid_union" && typeof last === "string" && last in UNION_HINTS) message = UNION_HINTS[last]!;
      return `${where}${path === "" ? "(policy)" : path}: ${message}`;
    });
    throw invalid(`${shown.join("\n")}\nFix the policy (docs/AUTHORITY.md, "Policy files"), then set it again.`);
  }
  if (!POLICY_TOOLS.includes(checked.data.tool)) {
    throw invalid(`${where}tool: "${checked.data.tool}" is not a tool of this space: use one of ${POLICY_TOOLS.join(", ")}.`);
  }
  return checked.data;
}

/** Parses a policy file's text: one body or an array of them, each tool at most once. */
export function parsePolicyFile(text: string): PolicyBody[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(`The policy file is not JSON (${(error as Error).message}): write one policy object, or an array of them.`);
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw invalid("The policy file holds an empty array: give at least one policy.");
  if (list.length > MAX_POLICIES_PER_FILE) throw invalid(`The policy file holds ${list.length} policies; at most ${MAX_POLICIES_PER_FILE} (one per tool, and "*").`);
  const seen = new Map<string, number>();
  return list.map((raw, i) => {
    const where = Array.isArray(json) ? `policy ${i + 1}: ` : "";
    const body = checkPolicyBody(raw, where);
    const earlier = seen.get(body.tool);
    if (earlier !== undefined) throw invalid(`${where}tool: "${body.tool}" is already set by policy ${earlier}: give each tool once (the last one set wins).`);
    seen.set(body.tool, i + 1);
    return body;
  });
}
