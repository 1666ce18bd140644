/**
 * `commons policy`: what decides each tool's tier in a space, from the local copy's
 * committed state, and how owners change it.
 *
 *   show   the policy in force per tool: its own `policy.set`, else the default policy
 *          (core/policy/defaults.ts), else the built-in rule (core/policy/tiers.ts), and `*`
 *   set    a policy file (one body or an array; core/policy/file.ts checks it field by
 *          field), written as `policy.set` by an owner and synced at once
 *   test   `decideTier` for one call: the tier, the action, why, and who approves
 */
import { readFileSync } from "node:fs";
import { CommonsError } from "../../../core/errors.js";
import { isDid, type Did } from "../../../core/identity/did.js";
import type { SpaceId } from "../../../core/ids.js";
import { defaultPolicy } from "../../../core/policy/defaults.js";
import { parsePolicyFile, type PolicyBody } from "../../../core/policy/file.js";
import { decideTier, HUMAN_ONLY_TOOLS, READ_TOOLS, TOOLS } from "../../../core/policy/tiers.js";
import type { SpaceState } from "../../../core/views/state.js";
import { requireIdentity } from "../../node/identity.js";
import { open, say, shortDid, shortId } from "../common.js";
import type { Io } from "../io.js";
import { committedOf, publish, publishedCode, requireOwner, verdictText } from "../publish.js";
import { arity, bool, space, str, unknownAction, usage, type CommandSpec } from "../spec.js";

type Source =
  | { source: "set"; policy: PolicyBody; setBy: Did; envelope: string }
  | { source: "default"; policy: PolicyBody }
  | { source: "built-in"; rule: string };

/** Which policy decides `tool` in `state`, in the order `decideTier` looks. */
export function policySource(tool: string, state: SpaceState): Source {
  const set = state.policies.get(tool);
  if (set !== undefined) {
    const { setBy, envelope, actor: _actor, approval: _approval, ...policy } = set;
    return { source: "set", policy, setBy, envelope };
  }
  if (tool === "*") return { source: "built-in", rule: "none set: a tool with no policy of its own runs at tier 1 (members act freely)" };
  if (READ_TOOLS.has(tool)) return { source: "built-in", rule: "tier 1: reading is open to every member, observers included" };
  const fallback = defaultPolicy(tool);
  if (fallback !== undefined) return { source: "default", policy: fallback };
  const rest = state.policies.has("*") ? "the * policy" : "tier 1";
  if (tool === "set_policy") return { source: "built-in", rule: `owners only, whatever a policy says (the commit rule); for owners: ${rest}` };
  if (HUMAN_ONLY_TOOLS.has(tool)) return { source: "built-in", rule: `tier 4 for agents (reserved to humans); owners and humans: ${rest}` };
  return { source: "built-in", rule: state.policies.has("*") ? "the * policy decides" : "tier 1: members act freely" };
}

/** A policy on one line, and its rules below it. */
function describe(policy: PolicyBody): string[] {
  const head = [
    `tier ${policy.tier}`,
    ...(policy.patterns?.length ? [`allowed patterns ${policy.patterns.map((p) => JSON.stringify(p)).join(" | ")}`] : []),
    ...(policy.approver ? [`approver ${shortDid(policy.approver)}`] : []),
  ].join(", ") + (policy.reason ? `: ${policy.reason}` : "");
  const rules = (policy.rules ?? []).map((rule, i) => {
    const when = Object.entries(rule.when).map(([key, value]) => {
      if (key === "match") return `match ${(value as string[]).map((p) => JSON.stringify(p)).join(" & ")}`;
      return Array.isArray(value) ? `${key} ${value.map((v) => shortDid(String(v))).join("|")}` : `${key}=${String(value)}`;
    }).join(" & ") || "always";
    return `    rule ${i + 1}: when ${when} → tier ${rule.tier}${rule.approver ? ` (approver ${shortDid(rule.approver)})` : ""}${rule.reason ? `: ${rule.reason}` : ""}`;
  });
  return [head, ...rules];
}

type PolicyInput =
  | { space: SpaceId; action: "show"; json: boolean }
  | { space: SpaceId; action: "set"; file: string; json: boolean }
  | { space: SpaceId; action: "test"; tool: string; as: string; args: Record<string, unknown>; json: boolean };

const policy: CommandSpec<PolicyInput> = {
  name: "policy",
  summary: "Show, set or test the space's policy: which tier (run, pattern, ask, refuse) each tool call gets",
  usage: ["policy <space> [show] [--json]", "policy <space> set <file.json> [--json]", "policy <space> test <tool> --as <did|@name> [--args <json>] [--json]"],
  details:
    "Read from this copy's committed state (`commons sync` first for the latest). show: per tool, its own policy.set, else the default policy, " +
    "else the built-in rule, and `*`. set (owners): a JSON file with one policy or an array, e.g. {\"tool\":\"write_artifact\",\"tier\":2,\"patterns\":[\"kind=draft\"]}; " +
    "each is checked field by field, written as policy.set and synced; it takes effect once committed. test: the tier decision for one call. " +
    "Whatever a policy says, membership, invites, visibility and policy itself are changed by owners only. See docs/AUTHORITY.md.",
  examples: [
    "commons policy incident-42 show",
    "commons policy incident-42 set policy.json",
    "commons policy incident-42 test create_work_item --as @ops-bot --args '{\"domain\":\"ops\",\"clock\":\"HF\"}'",
  ],
  options: { json: { type: "boolean" }, as: { type: "string" }, args: { type: "string" } },
  actions: ["show", "set", "test"],
  parse(positionals, values) {
    const name = space("policy", positionals[0]);
    const action = positionals[1] ?? "show";
    if (action === "show") return arity("policy", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action === "set") {
      if (positionals[2] === undefined) throw usage("policy", "Missing the policy file: commons policy <space> set <file.json>.");
      arity("policy", positionals, 3, 3);
      return { space: name, action, file: positionals[2], json: bool(values, "json") };
    }
    if (action === "test") {
      if (positionals[2] === undefined) throw usage("policy", `Missing the tool to test: one of ${TOOLS.join(", ")}.`);
      arity("policy", positionals, 3, 3);
      const tool = positionals[2];
      if (!(TOOLS as readonly string[]).includes(tool)) throw usage("policy", `"${tool}" is not a tool of this space: use one of ${TOOLS.join(", ")}.`);
      const as = str(values, "as");
      if (as === undefined) throw usage("policy", "--as is required: the caller to test, by did:key or @name (see `commons members <space>`).");
      if (!as.startsWith("@") && !isDid(as)) throw usage("policy", `--as "${as}" is neither a did:key (did:key:z6Mk…) nor @name.`);
      return { space: name, action, tool, as, args: jsonArgs(str(values, "args")), json: bool(values, "json") };
    }
    throw unknownAction("policy", action, ["show", "set", "test"]);
  },
  run(input, io) {
    if (input.action === "show") return show(input.space, input.json, io);
    if (input.action === "set") return set(input.space, input.file, input.json, io);
    return test(input, io);
  },
};

function jsonArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usage("policy", `--args is not JSON (${(error as Error).message}): give the call's arguments as an object, e.g. '{"domain":"ops","clock":"HF"}'.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw usage("policy", "--args must be a JSON object of the call's arguments, e.g. '{\"kind\":\"draft\"}'.");
  return parsed as Record<string, unknown>;
}

function show(name: SpaceId, json: boolean, io: Io): Promise<number> {
  return open(io, name, { lock: false }, (local) => {
    const state = committedOf(local);
    const rows = [...TOOLS, "*"].map((tool) => ({ tool, ...policySource(tool, state) }));
    if (json) {
      io.out(JSON.stringify(rows));
      return 0;
    }
    io.out(`${name}: policy in force (committed up to #${local.replica.commits.frontier}). Non-members: tier 4; observers: tier 4 for every tool but reads; membership, invites, visibility and policy: owners only.`);
    const width = Math.max(...rows.map((r) => r.tool.length));
    for (const row of rows) {
      const label = `${row.tool.padEnd(width)}  ${row.source.padEnd(8)}`;
      if (row.source === "built-in") io.out(`${label}  ${row.rule}`);
      else {
        const [head, ...rules] = describe(row.policy);
        io.out(`${label}  ${head}${row.source === "set" ? `  (set by ${shortDid(row.setBy)} in ${shortId(row.envelope)})` : ""}`);
        for (const line of rules) io.out(line);
      }
    }
    const pending = local.replica.query({ type: ["policy.set"], limit: 1000 }).envelopes.filter((e) => e.status.state === "tentative").length;
    if (pending > 0) io.err(`${pending} policy change(s) not committed yet: \`commons sync ${name}\` sends them to the sequencer.`);
    return 0;
  });
}

async function set(name: SpaceId, file: string, json: boolean, io: Io): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CommonsError("file-unreadable", `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a JSON policy file.`);
  }
  const policies = parsePolicyFile(text);
  const signer = await requireIdentity(io.home);
  return open(io, name, {}, async (local) => {
    requireOwner(local, signer.did, "set policy");
    const published = await publish(io, local, signer, policies.map((body) => ({ type: "policy.set" as const, body })));
    policies.forEach((body, i) => say(io, json, `policy ${body.tool}: tier ${body.tier} ${published.ids[i]} [${verdictText(published.statuses[i]!)}]`, { tool: body.tool, tier: body.tier, id: published.ids[i], status: published.statuses[i] }));
    return publishedCode(io, local, published);
  });
}

function test(input: Extract<PolicyInput, { action: "test" }>, io: Io): Promise<number> {
  return open(io, input.space, { lock: false }, (local) => {
    const state = committedOf(local);
    const actor = resolveMember(state, input.as, input.space);
    const decision = decideTier({ tool: input.tool, actor, args: input.args }, state);
    const source = policySource(input.tool, state);
    const member = state.members.get(actor);
    const star = state.policies.get("*");
    const fallback = star !== undefined && source.source === "built-in" && source.rule.includes("* policy") ? ` (* set by ${shortDid(star.setBy)} in ${shortId(star.envelope)})` : "";
    const from = source.source === "built-in" ? `built-in: ${source.rule}${fallback}` : source.source === "set" ? `set by ${shortDid(source.setBy)} in ${shortId(source.envelope)}` : "default (core/policy/defaults.ts)";
    if (input.json) {
      io.out(JSON.stringify({ tool: input.tool, actor, role: member?.role ?? null, domains: member?.domains ?? [], args: input.args, ...decision, source }));
      return 0;
    }
    io.out(`${input.tool} by ${shortDid(actor)} (${member === undefined ? "not a member" : `${member.role}${member.domains.length ? ` in ${member.domains.join(",")}` : ""}`}): tier ${decision.tier}, ${decision.action}`);
    io.out(`  why: ${decision.reason}`);
    if (decision.approver !== undefined) io.out(`  approver: ${decision.approver}`);
    io.out(`  policy: ${from}`);
    return 0;
  });
}

/** A did as given, or `@name` looked up among the committed members. */
function resolveMember(state: SpaceState, text: string, name: SpaceId): Did {
  if (!text.startsWith("@")) return text as Did;
  const wanted = text.slice(1);
  const found = [...state.members.values()].filter((m) => m.name === wanted);
  if (found.length !== 1) throw new CommonsError("unknown-member", `${found.length === 0 ? "No" : "More than one"} committed member named "${wanted}" in ${name}: give the did (\`commons members ${name}\` lists them).`);
  return found[0]!.did;
}

export const policyCommands = [policy] as CommandSpec[];
