/**
 * The space's MCP tools: what each does, its input schema (zod, parsed by the MCP SDK at
 * the boundary), and its effect as envelopes written by the tool host on the caller's
 * behalf (`actor`). Authorization is not here: every call goes through `runTool`
 * (run-tool.ts), which asks the policy for a tier first. Effects are pure functions of
 * (args, caller, host), so a deferred (approved) call runs the very same code later.
 */
import { z } from "zod";
import type { Did } from "../identity/did.js";
import { isDid } from "../identity/did.js";
import { isEnvelopeId, type EnvelopeId } from "../log/ids.js";
import { authorityFromState } from "../auth/authority.js";
import { grantBody, verifyCapability } from "../auth/capability.js";
import { approvalBinding } from "../policy/binding.js";
import { approverFor } from "../policy/commit-rule.js";
import { checkPolicyBody, type PolicyBody } from "../policy/file.js";
import { MCP_TOOLS, type ToolName } from "../policy/catalogue.js";
import { COALITION_TOOLS } from "./coalition-tools.js";
import type { Caller, ToolHost } from "./tool-host.js";

const did = z.string().refine(isDid, "must be a did:key");
const envelopeId = z.string().refine(isEnvelopeId, 'must be an envelope id ("sha256:…")');
const text = z.string().min(1).max(32_000);
const label = z.string().min(1).max(200);

export interface ToolResult {
  /** Shown to the model. */
  text: string;
  structured: Record<string, unknown>;
}

export interface ToolDef<A = Record<string, unknown>> {
  name: ToolName;
  description: string;
  input: z.ZodType<A>;
  /** A one-line summary of what this call would do (shown in approval requests). */
  summarize(args: A): string;
  run(args: A, caller: Caller, host: ToolHost): Promise<ToolResult>;
}

const tool = <A>(def: ToolDef<A>): ToolDef<A> => def;

const written = (what: string, w: { id: EnvelopeId; status: unknown }): ToolResult => ({
  text: `${what}: ${w.id} (${JSON.stringify(w.status)})`,
  structured: { id: w.id, commit: w.status },
});

export const TOOLS = [
  tool({
    name: "post_message",
    description: "Post a message to the space's shared channel. Mention members by did to ask for their attention.",
    input: z.strictObject({
      content: text,
      mentions: z.array(did).max(64).optional(),
      threadRef: envelopeId.optional(),
      // What the poster did with tools, for a report (the seed's ToolCallLog; the log's schema checks it).
      toolCalls: z.array(z.strictObject({
        tool: label,
        params: z.record(z.string(), z.json()),
        result: z.enum(["success", "pending_approval", "rejected"]),
      })).max(32).optional(),
    }),
    summarize: (a) => `post "${a.content.slice(0, 80)}"`,
    run: async (a, caller, host) =>
      written("posted", await host.write("channel.message", {
        content: a.content,
        ...(a.mentions ? { mentions: a.mentions as Did[] } : {}),
        ...(a.threadRef ? { threadRef: a.threadRef as EnvelopeId } : {}),
        ...(a.toolCalls ? { toolCalls: a.toolCalls as never } : {}),
        actor: caller.did,
      })),
  }),
  tool({
    name: "create_work_item",
    description: 'Create a work item in a domain. clock "HF" marks high-frequency work (needs the human by default).',
    input: z.strictObject({
      title: label,
      description: z.string().max(32_000).optional(),
      domain: z.string().min(1).max(64).optional(),
      clock: z.enum(["HF", "LF", "Dormant"]).optional(),
    }),
    summarize: (a) => `create ${a.clock ?? ""} work item "${a.title}"${a.domain ? ` in ${a.domain}` : ""}`.replace("  ", " "),
    run: async (a, caller, host) =>
      written("created work item", await host.write("work.created", {
        title: a.title,
        ...(a.description ? { description: a.description } : {}),
        ...(a.domain ? { domains: [a.domain] } : {}),
        ...(a.clock ? { clock: a.clock } : {}),
        actor: caller.did,
      })),
  }),
  tool({
    name: "claim_work_item",
    description: "Claim an open work item: announce you will do it. The first committed claim wins.",
    input: z.strictObject({ item: envelopeId, note: z.string().max(2000).optional() }),
    summarize: (a) => `claim ${a.item}`,
    run: async (a, caller, host) =>
      written("claimed", await host.write("work.claimed", { item: a.item as EnvelopeId, ...(a.note ? { note: a.note } : {}), actor: caller.did })),
  }),
  tool({
    name: "release_work_item",
    description: "Release a work item you claimed, so someone else can take it.",
    input: z.strictObject({ item: envelopeId, reason: z.string().max(2000).optional() }),
    summarize: (a) => `release ${a.item}`,
    run: async (a, caller, host) =>
      written("released", await host.write("work.released", { item: a.item as EnvelopeId, ...(a.reason ? { reason: a.reason } : {}), actor: caller.did })),
  }),
  tool({
    name: "update_work_item",
    description: "Change a work item's title or description, or add a progress note.",
    input: z.strictObject({ item: envelopeId, title: label.optional(), description: z.string().max(32_000).optional(), note: z.string().max(2000).optional() }),
    summarize: (a) => `update ${a.item}`,
    run: async (a, caller, host) =>
      written("updated", await host.write("work.updated", { ...a, item: a.item as EnvelopeId, actor: caller.did })),
  }),
  tool({
    name: "complete_work_item",
    description: "Mark a work item you hold as done, with its result.",
    input: z.strictObject({ item: envelopeId, result: z.string().max(32_000).optional() }),
    summarize: (a) => `complete ${a.item}`,
    run: async (a, caller, host) =>
      written("completed", await host.write("work.completed", { item: a.item as EnvelopeId, ...(a.result ? { result: a.result } : {}), actor: caller.did })),
  }),
  tool({
    name: "write_artifact",
    description: 'Create an artifact (inline text), or a new version of one when `artifact` is given. kind: "draft", "note", "final", …',
    input: z.strictObject({ title: label, content: text, kind: z.string().min(1).max(64).optional(), artifact: envelopeId.optional() }),
    summarize: (a) => `write artifact "${a.title}"`,
    run: async (a, caller, host) =>
      a.artifact
        ? written("artifact updated", await host.write("artifact.updated", { artifact: a.artifact as EnvelopeId, content: { inline: a.content }, actor: caller.did }))
        : written("artifact created", await host.write("artifact.created", {
            title: a.title,
            ...(a.kind ? { kind: a.kind } : {}),
            content: { inline: a.content },
            actor: caller.did,
          })),
  }),
  tool({
    name: "request_approval",
    description: "Ask for approval of an action; the approver is the one the space's policy names for that action (it appears in their attention view).",
    input: z.strictObject({
      tool: label,
      params: z.record(z.string(), z.json()),
      summary: z.string().min(1).max(2000),
      // Accepted for older callers and ignored: who approves is the policy's to say, never the requester's.
      approver: z.union([did, z.enum(["owner", "human", "agent", "observer"])]).optional(),
      expiresInSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
    }),
    summarize: (a) => `request approval for ${a.tool}`,
    run: async (a, caller, host) =>
      written("approval requested", await host.write("approval.requested", {
        action: { tool: a.tool, params: a.params, summary: a.summary },
        approver: approverFor(host.committed(), { action: { tool: a.tool, params: a.params }, requestedBy: caller.did }) as Did,
        expiresAt: new Date(host.now() + (a.expiresInSeconds ?? 3600) * 1000).toISOString(),
        binding: await approvalBinding(a.tool, a.params),
        actor: caller.did,
      })),
  }),
  tool({
    name: "decide_approval",
    description: "Approve or reject a pending approval request you have the authority to decide.",
    input: z.strictObject({ request: envelopeId, decision: z.enum(["approved", "rejected"]), reason: z.string().max(2000).optional() }),
    summarize: (a) => `${a.decision === "approved" ? "approve" : "reject"} ${a.request}`,
    run: async (a, caller, host) =>
      written(a.decision, await host.write("approval.decided", {
        request: a.request as EnvelopeId,
        decision: a.decision,
        ...(a.reason ? { reason: a.reason } : {}),
        actor: caller.did,
      })),
  }),
  tool({
    name: "grant_authority",
    description:
      "Record a grant of your authority: pass the capability token you signed for the grantee with your own key (`commons grant`). Only a recorded grant can carry a budget.",
    input: z.strictObject({ token: z.string().min(20).max(16 * 1024) }),
    summarize: () => "record a grant of authority",
    run: async (a, caller, host) => {
      const verified = await verifyCapability(a.token, {
        space: host.space, now: host.now(), authority: authorityFromState(host.committed()), recording: true,
      }).catch((error: unknown) => {
        throw new ToolRefusal((error as { code?: string }).code ?? "token-malformed", (error as Error).message);
      });
      if (verified.issuer !== caller.did) {
        throw new ToolRefusal("grant-not-yours", `this token was issued by ${verified.issuer}; you can only record grants you signed`);
      }
      const w = await host.write("authority.granted", { ...grantBody(verified), actor: caller.did });
      return { text: `granted ${verified.jti} to ${verified.subject}: ${w.id}`, structured: { jti: verified.jti, id: w.id, commit: w.status } };
    },
  }),
  tool({
    name: "revoke_authority",
    description: "Revoke a grant (and every grant delegated from it). By its issuer or an owner.",
    input: z.strictObject({ jti: z.string().min(8).max(128), reason: z.string().max(2000).optional() }),
    summarize: (a) => `revoke grant ${a.jti}`,
    run: async (a, caller, host) =>
      written("revoked", await host.write("authority.revoked", { jti: a.jti, ...(a.reason ? { reason: a.reason } : {}), actor: caller.did })),
  }),
  tool({
    name: "set_policy",
    description:
      'Owners only: set the policy of one tool (or "*" for every tool without its own): tier 1 run, 2 run if an allowed pattern matches else ask, 3 ask an approver, 4 refuse. ' +
      'rules: [{when: {actors?, roles?, inOwnDomain?, crossDomain?, match?: ["field=glob"]}, tier, approver?, reason?}], first match wins. Takes effect once committed.',
    // Loose enough to become JSON Schema for the client; the policy.set schema checks it fully (checkPolicyBody).
    input: z.strictObject({
      tool: label,
      tier: z.number().int().min(1).max(4),
      patterns: z.array(z.string().max(512)).max(64).optional(),
      approver: z.string().max(200).optional(),
      reason: z.string().max(32_000).optional(),
      rules: z.array(z.record(z.string(), z.json())).max(32).optional(),
    }),
    summarize: (a) => `set the ${a.tool} policy to tier ${a.tier}`,
    run: async (a, caller, host) => {
      if (host.committed().members.get(caller.did)?.role !== "owner") {
        throw new ToolRefusal("not-an-owner", "only owners set policy: ask an owner of this space (get_space_state lists the members)");
      }
      let policy: PolicyBody;
      try {
        policy = checkPolicyBody(a);
      } catch (error) {
        throw new ToolRefusal("policy-invalid", (error as Error).message);
      }
      return written(`policy for ${policy.tool} set`, await host.write("policy.set", { ...policy, actor: caller.did }));
    },
  }),
  tool({
    name: "query_channel",
    description: "Read the channel: messages and events after a cursor, by type, thread or author, or only what needs your attention.",
    input: z.strictObject({
      since: z.number().int().min(0).optional(),
      type: z.array(z.string().max(64)).max(16).optional(),
      thread: envelopeId.optional(),
      author: did.optional(),
      attention: z.boolean().optional(),
      limit: z.number().int().min(1).max(200).optional(),
    }),
    summarize: () => "read the channel",
    run: async (a, caller, host) => {
      const query = (limit: number | undefined) => host.replica.query({
        ...(a.since !== undefined ? { since: a.since } : {}),
        ...(a.type ? { type: a.type } : {}),
        ...(a.thread ? { thread: a.thread as EnvelopeId } : {}),
        ...(a.author ? { author: a.author as Did } : {}),
        ...(a.attention ? { attention: caller.did } : {}),
        limit: limit ?? a.limit ?? 50,
      });
      // An old cursor may reach sealed history (an agent far behind): load it, never fail on it.
      const page = host.readSealed ? await host.readSealed(query, { limit: a.limit ?? 50 }) : query(undefined);
      const items = page.envelopes.map((e) => ({ id: e.id, type: e.envelope.type, author: e.envelope.author, body: e.envelope.body, status: e.status }));
      return { text: JSON.stringify(items), structured: { items, nextCursor: page.nextCursor, hasMore: page.hasMore } };
    },
  }),
  tool({
    name: "get_space_state",
    description: "The committed state of the space: members and their domains, work items and claims, pending approvals, policies.",
    input: z.strictObject({}),
    summarize: () => "read the space state",
    run: async (_a, _caller, host) => {
      const s = host.committed();
      const state = {
        epoch: s.epoch,
        members: [...s.members.values()],
        work: [...s.work.values()].map(({ history: _h, ...item }) => item),
        approvals: [...s.approvals.values()],
        policies: [...s.policies.values()],
        coalitions: [...s.coalitions.values()],
        markets: [...s.markets.values()],
      };
      return { text: JSON.stringify(state), structured: state };
    },
  }),
  tool({
    name: "record_trace",
    description: "Record why you acted (or chose not to): what you saw and what you chose, as a trace.recorded in the log. `ref` names the envelope the decision is about.",
    input: z.strictObject({ kind: label, summary: text, ref: envelopeId.optional(), data: z.record(z.string(), z.json()).optional() }),
    summarize: (a) => `record a ${a.kind} trace`,
    // The host writes the trace; `data.agent` is the verified caller (a trace body has no actor field).
    run: async (a, caller, host) =>
      written("trace recorded", await host.write("trace.recorded", {
        kind: a.kind,
        summary: a.summary,
        ...(a.ref ? { ref: a.ref as EnvelopeId } : {}),
        data: { ...(a.data ?? {}), agent: caller.did } as never,
      })),
  }),
  tool({
    name: "acquire_lock",
    description: "Take a lease on a resource (e.g. a work item you are editing) so others' edits wait; it expires by itself.",
    input: z.strictObject({ resource: label, leaseSeconds: z.number().int().min(1).max(600).optional() }),
    summarize: (a) => `lock ${a.resource}`,
    run: async (a, caller, host) => {
      const got = host.locks.acquire(a.resource, caller.did, (a.leaseSeconds ?? 60) * 1000, host.now());
      if (!got.ok) throw new ToolRefusal("resource-locked", `${a.resource} is currently locked by ${got.holder} until ${new Date(got.until).toISOString()}: try again after, or ask them`);
      return { text: `locked ${a.resource} until ${new Date(got.until).toISOString()}`, structured: { resource: a.resource, until: got.until } };
    },
  }),
  tool({
    name: "release_lock",
    description: "Release a lease you hold.",
    input: z.strictObject({ resource: label }),
    summarize: (a) => `unlock ${a.resource}`,
    run: async (a, caller, host) => {
      const done = host.locks.release(a.resource, caller.did, host.now());
      if (!done.ok) throw new ToolRefusal("lock-not-held", done.reason);
      return { text: `released ${a.resource}`, structured: { resource: a.resource } };
    },
  }),
  ...(COALITION_TOOLS as ToolDef<never>[]),
] as ToolDef<never>[] as unknown as ToolDef<Record<string, unknown>>[];

// The catalogue names the tools once; this file must implement exactly its MCP ones.
{
  const implemented = TOOLS.map((t) => t.name).sort();
  const named = [...MCP_TOOLS].sort();
  if (implemented.join() !== named.join()) throw new Error(`core/mcp/tools.ts implements ${implemented.join(", ")} but the catalogue names ${named.join(", ")}`);
}

export const TOOL_NAMES = TOOLS.map((t) => t.name);

export function toolNamed(name: string): ToolDef<Record<string, unknown>> | undefined {
  return TOOLS.find((t) => t.name === name);
}

/** A tool's refusal with a stable code: returned to the model as an error result. */
export class ToolRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
