/**
 * The MCP tools for coalitions, branches and markets (docs/COORDINATION.md), spread into
 * the space's tool list by core/mcp/tools.ts. Like every tool they only write envelopes on
 * the caller's behalf; what may happen is decided by the policy's tiers (core/mcp/run-tool.ts)
 * and again where the envelope commits (core/policy/coalition-rule.ts). Each tool's input
 * is exactly the call the commit rule reads back from its envelope (`coalitionCall`), so an
 * approved call is covered by its approval. The epoch a spend or a vote is bound to is read
 * from the committed state at the moment of writing.
 */
import { z } from "zod";
import { isDid, type Did } from "../identity/did.js";
import { Ed25519Signer } from "../identity/signer.js";
import { isEnvelopeId, type EnvelopeId } from "../log/ids.js";
import type { Coalition } from "../state/coalition.js";
import { awardOf } from "../state/market.js";
import { renderArtifact } from "../yjs/branch-text.js";
import * as Y from "yjs";
import type { Caller, ToolHost, Written } from "./tool-host.js";
import { ToolRefusal, type ToolDef, type ToolResult } from "./tools.js";

const did = z.string().refine(isDid, "must be a did:key");
const envelopeId = z.string().refine(isEnvelopeId, 'must be an envelope id ("sha256:…")');
const label = z.string().min(1).max(200);
const note = z.string().max(2000).optional();

const written = (what: string, w: Written): ToolResult => ({ text: `${what}: ${w.id} (${JSON.stringify(w.status)})`, structured: { id: w.id, commit: w.status } });

/** The committed coalition, or a refusal that says what to do. */
function coalitionOf(host: ToolHost, id: string): Coalition {
  const coalition = host.committed().coalitions.get(id as EnvelopeId);
  if (coalition === undefined) throw new ToolRefusal("coalition-unknown", `no committed coalition ${id}: list them with get_space_state or commons coalition ls`);
  if (coalition.status === "dissolved") throw new ToolRefusal("coalition-dissolved", `coalition ${coalition.name} is dissolved: its authority ended; form a new one`);
  return coalition;
}

function def<A>(tool: ToolDef<A>): ToolDef<A> {
  return tool;
}

export const COALITION_TOOLS = [
  def({
    name: "form_coalition",
    description: "Form a coalition: a temporary team around a goal (and optionally a work item), with k-of-n quorum for promotions and dissolution. Members must be space members.",
    input: z.strictObject({
      name: label, goal: z.string().min(1).max(32_000), item: envelopeId.optional(),
      members: z.array(did).min(1).max(64), quorum: z.number().int().min(1).max(64).optional(),
    }),
    summarize: (a) => `form coalition "${a.name}" of ${a.members.length}`,
    run: async (a, caller, host) => {
      // The coalition's own identity: budget grants name it; at the edge its CoalitionDO keeps it
      // and signs its A2A card with it. Nothing is ever signed with it in the space.
      const signer = await Ed25519Signer.generate();
      const key = signer.did;
      const w = await host.write("coalition.formed", {
        name: a.name, goal: a.goal, ...(a.item ? { item: a.item as EnvelopeId } : {}), key, members: a.members as Did[],
        ...(a.quorum ? { quorum: a.quorum } : {}), actor: caller.did,
      });
      await host.keepCoalitionKey?.(w.id, signer);
      return { text: `coalition formed: ${w.id}; grant its budget to ${key}`, structured: { id: w.id, key, commit: w.status } };
    },
  }),
  def({
    name: "join_coalition",
    description: "Join a coalition (a new membership epoch begins: votes cast before it no longer count).",
    input: z.strictObject({ coalition: envelopeId }),
    summarize: (a) => `join coalition ${a.coalition}`,
    run: async (a, caller, host) => written("joined", await host.write("coalition.joined", { coalition: a.coalition as EnvelopeId, actor: caller.did })),
  }),
  def({
    name: "leave_coalition",
    description: "Leave a coalition: you can no longer spend or vote for it, and your votes at this epoch stop counting.",
    input: z.strictObject({ coalition: envelopeId, reason: note }),
    summarize: (a) => `leave coalition ${a.coalition}`,
    run: async (a, caller, host) =>
      written("left", await host.write("coalition.left", { coalition: a.coalition as EnvelopeId, ...(a.reason ? { reason: a.reason } : {}), actor: caller.did })),
  }),
  def({
    name: "dissolve_coalition",
    description: "Dissolve a coalition: at once if you formed it, are an owner, or its goal item is completed; otherwise your vote to dissolve (k votes dissolve it).",
    input: z.strictObject({ coalition: envelopeId, reason: note }),
    summarize: (a) => `dissolve coalition ${a.coalition}`,
    run: async (a, caller, host) => {
      const coalition = coalitionOf(host, a.coalition);
      const state = host.committed();
      const goalDone = coalition.item !== undefined && state.work.get(coalition.item)?.status === "completed";
      const direct = coalition.formedBy === caller.did || state.members.get(caller.did)?.role === "owner" || (goalDone && coalition.members.includes(caller.did));
      const coalitionId = a.coalition as EnvelopeId;
      if (direct) {
        return written("dissolved", await host.write("coalition.dissolved", { coalition: coalitionId, epoch: coalition.epoch, ...(a.reason ? { reason: a.reason } : {}), actor: caller.did }));
      }
      return written("voted to dissolve", await host.write("coalition.voted", { coalition: coalitionId, epoch: coalition.epoch, motion: "dissolve", actor: caller.did }));
    },
  }),
  def({
    name: "spend_coalition_budget",
    description: "Spend units of a coalition's shared budget (you must be a member; spends are judged in commit order, so it is never overspent).",
    input: z.strictObject({ coalition: envelopeId, units: z.number().int().min(1).max(1_000_000), tool: label, note }),
    summarize: (a) => `spend ${a.units} units of coalition ${a.coalition} on ${a.tool}`,
    run: async (a, caller, host) => {
      const coalition = coalitionOf(host, a.coalition);
      return written("spent", await host.write("coalition.spent", {
        coalition: a.coalition as EnvelopeId, epoch: coalition.epoch, units: a.units, tool: a.tool, ...(a.note ? { note: a.note } : {}), actor: caller.did,
      }));
    },
  }),
  def({
    name: "approve_branch",
    description: "Approve the promotion of a coalition's branch; the k-th approval at the same epoch promotes it (its staged versions become current).",
    input: z.strictObject({ branch: envelopeId }),
    summarize: (a) => `approve branch ${a.branch}`,
    run: async (a, caller, host) => {
      const branch = host.committed().branches.get(a.branch as EnvelopeId);
      if (branch?.coalition === undefined) throw new ToolRefusal("branch-not-coalition", `no committed coalition branch ${a.branch}: only a coalition's branches are promoted by approvals`);
      const coalition = coalitionOf(host, branch.coalition);
      return written("approved", await host.write("coalition.voted", {
        coalition: coalition.id, epoch: coalition.epoch, motion: "promote", branch: a.branch as EnvelopeId, actor: caller.did,
      }));
    },
  }),
  def({
    name: "create_branch",
    description: "Open a branch for tentative work; with `coalition`, its members write on it and its quorum promotes it.",
    input: z.strictObject({ name: label, purpose: z.string().max(32_000).optional(), from: envelopeId.optional(), coalition: envelopeId.optional() }),
    summarize: (a) => `create branch "${a.name}"`,
    run: async (a, caller, host) =>
      written("branch created", await host.write("branch.created", {
        name: a.name, ...(a.purpose ? { purpose: a.purpose } : {}), ...(a.from ? { from: a.from as EnvelopeId } : {}),
        ...(a.coalition ? { coalition: a.coalition as EnvelopeId } : {}), actor: caller.did,
      })),
  }),
  def({
    name: "write_branch",
    description: "Stage a new version of an artifact on a branch: it becomes the artifact's current version when the branch is promoted.",
    input: z.strictObject({ branch: envelopeId, artifact: envelopeId, content: z.string().min(1).max(32_000), note }),
    summarize: (a) => `stage ${a.artifact} on branch ${a.branch}`,
    run: async (a, caller, host) =>
      written("staged", await host.write("branch.updated", {
        branch: a.branch as EnvelopeId, artifact: a.artifact as EnvelopeId, content: { inline: a.content }, ...(a.note ? { note: a.note } : {}), actor: caller.did,
      })),
  }),
  def({
    name: "get_artifact",
    description: "Read an artifact's current version: its inline text, or, once a branch that staged it in Yjs is promoted, that branch's text (matches: whether this replica holds exactly the promoted version).",
    input: z.strictObject({ artifact: envelopeId }),
    summarize: (a) => `read artifact ${a.artifact}`,
    run: async (a, _caller, host) => {
      const state = host.committed();
      const artifact = state.artifacts.get(a.artifact as EnvelopeId);
      if (artifact === undefined) throw new ToolRefusal("artifact-unknown", `no committed artifact ${a.artifact}: an artifact is named by its artifact.created envelope (commons artifact <space> ls)`);
      // A host without a Yjs document renders inline text only; a branch key then reads empty.
      const current = await renderArtifact(state, host.ydoc?.() ?? new Y.Doc(), artifact);
      return { text: current.text, structured: { artifact: artifact.id, title: artifact.title, versions: artifact.versions, ...current } };
    },
  }),
  def({
    name: "call_for_bids",
    description: "Put an open work item to market: members bid until the deadline (ISO time); the award goes to the lowest cost meeting the call, ties by estimate, confidence, then bid id.",
    input: z.strictObject({
      item: envelopeId, deadline: z.iso.datetime(), criteria: z.string().max(32_000).optional(),
      maxCost: z.number().int().min(0).max(1_000_000_000).optional(), dueBy: z.iso.datetime().optional(),
    }),
    summarize: (a) => `call for bids on ${a.item} until ${a.deadline}`,
    run: async (a, caller, host) =>
      written("bids called", await host.write("work.bids_called", {
        item: a.item as EnvelopeId, deadline: a.deadline, ...(a.criteria ? { criteria: a.criteria } : {}),
        ...(a.maxCost !== undefined ? { maxCost: a.maxCost } : {}), ...(a.dueBy ? { dueBy: a.dueBy } : {}), actor: caller.did,
      })),
  }),
  def({
    name: "bid",
    description: "Bid on a market work item before its deadline: cost in budget units, eta in seconds, confidence 0–1. One bid per bidder.",
    input: z.strictObject({ item: envelopeId, cost: z.number().int().min(0).max(1_000_000_000), eta: z.number().int().min(0).max(365 * 24 * 3600), confidence: z.number().min(0).max(1), note }),
    summarize: (a) => `bid ${a.cost} units, ${a.eta} s on ${a.item}`,
    run: async (a, caller, host) =>
      written("bid", await host.write("work.bid", {
        item: a.item as EnvelopeId, cost: a.cost, eta: a.eta, confidence: a.confidence, ...(a.note ? { note: a.note } : {}), actor: caller.did,
      })),
  }),
  def({
    name: "award_work",
    description: "Close a market item after its deadline: the award rule picks the winner from the committed bids, and the winner holds the claim. The space also does this itself at the deadline; an award already committed wins.",
    input: z.strictObject({ item: envelopeId }),
    summarize: (a) => `award ${a.item}`,
    run: async (a, caller: Caller, host) => {
      const market = host.committed().markets.get(a.item as EnvelopeId);
      if (market === undefined) throw new ToolRefusal("market-unknown", `no committed call for bids on ${a.item}: call_for_bids first`);
      const best = awardOf(market);
      const w = await host.write("work.awarded", {
        item: a.item as EnvelopeId, ...(best === undefined ? {} : { winner: best.bidder, bid: best.id }), actor: caller.did,
      });
      return { text: `awarded to ${best?.bidder ?? "no one"}: ${w.id}`, structured: { id: w.id, winner: best?.bidder ?? null, commit: w.status } };
    },
  }),
] as ToolDef<never>[] as unknown as ToolDef<Record<string, unknown>>[];
