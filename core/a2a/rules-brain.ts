/**
 * The rules brain (issue 12 item 3): a deterministic self-selection brain, configured with
 * domains, keywords and handoff rules, that reads a space's committed log and decides what
 * its agent does — the seed's protocol (C3): assess fit, check conflicts, announce (claim),
 * execute, report. Pure: it sees one committed envelope and the work items the space's view
 * shows, and answers a Decision; durable-objects/agent-spaces.ts carries decisions out
 * through the space's MCP tools and records every one as a `trace.recorded`.
 *
 * Triggers, in this order (the first that matches names the trigger):
 *   mention   a channel message (or a work item's description) naming the agent's did;
 *   domain    a work item created in one of the agent's domains;
 *   keyword   a message or work item whose text holds one of its keywords (whole words);
 *   handoff   a work item completed in a `from` domain of a handoff rule: the agent takes
 *             the rule's next open item in its `to` domain ("when the brief is ready, George
 *             can start visuals").
 * Conflicts: the item is claimed (by someone else: stand down; by this agent: nothing to
 * do), completed, or the message asks someone else by mention and not this agent.
 *
 * Anti-patterns (seed C5), given a SpaceContext: a mention about an item outside its domains
 * that another agent fits is deferred to it, and a second deferral between the same two
 * agents becomes an escalation to the owners (circular escalation); a released item in its
 * domains, and a request in its domains about no item, are watched (its alarm: under-claiming
 * and gap detection, durable-objects/agent-spaces-alarm.ts); a handoff sentence mentioning
 * it ("when the brief is ready, George can start visuals") arms a trigger on the thread's
 * item, fired when that item completes.
 *
 * As a `Brain` (A2A turns) it answers what it would pick up, so its card describes it.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";
import type { Brain, Step, Turn } from "./brain.js";
import { bestFit, handoffPhrase, matchesThen, words, type AgentMember } from "./selection.js";

export interface HandoffRule {
  /** When an item in this domain completes… */
  from: string;
  /** …the agent takes the oldest open item in this one. */
  to: string;
}

export interface RulesConfig {
  domains: readonly string[];
  keywords: readonly string[];
  handoffs: readonly HandoffRule[];
}

/** A work item as the space's view shows it (core/views/state.ts WorkItem, without history). */
export interface ViewItem {
  id: EnvelopeId;
  title: string;
  description?: string;
  domains: string[];
  status: "open" | "claimed" | "completed";
  claimant?: Did;
}

/** One committed, accepted envelope as the agent reads it (`GET /s/:space/log`). */
export interface Seen {
  id: EnvelopeId;
  type: string;
  /** Who it is from: the body's `actor` for tool-written envelopes, else the author. */
  actor: Did;
  body: Record<string, unknown>;
}

export type TriggerKind = "mention" | "domain" | "keyword" | "handoff" | "unclaimed" | "gap";

export type Decision =
  | { action: "ignore" }
  | { action: "skip"; trigger: TriggerKind; item?: EnvelopeId; reason: string }
  | { action: "claim"; trigger: TriggerKind; item: ViewItem; reason: string }
  | { action: "reply"; trigger: TriggerKind; reason: string }
  /** Another claim of a new item committed first: say so, do nothing else for it. */
  | { action: "stand-down"; trigger: TriggerKind; item: ViewItem; claimant: Did; reason: string }
  /** Mentioned about an item outside its domains that another agent fits (or was named): hand it on. */
  | { action: "defer"; trigger: TriggerKind; item: ViewItem; to: Did; reason: string }
  /** A second deferral between the same two agents, or nobody fits: a human decides. */
  | { action: "escalate"; trigger: TriggerKind; item: ViewItem; to: Did[]; reason: string }
  /** A handoff sentence naming it: wait for the thread's item to complete, then start `then`. */
  | { action: "arm"; trigger: TriggerKind; item: ViewItem; then: string; reason: string }
  /** A handoff fired and no open item is its "then": create it, then claim it. */
  | { action: "start"; trigger: TriggerKind; title: string; after: EnvelopeId; reason: string }
  /** Look again later (the agent's alarm): an item left open, a request left unanswered. */
  | { action: "watch"; trigger: "unclaimed" | "gap"; target: EnvelopeId; reason: string };

/** What the space shows besides its work, for the anti-patterns (read by the agent per decision). */
export interface SpaceContext {
  agents: readonly AgentMember[];
  owners: readonly Did[];
  /** Whether a deferral of `item` between `a` and `b`, either way, has committed. */
  deferred(item: EnvelopeId, a: Did, b: Did): boolean;
  /** The "then"s of handoffs armed on `item` by this agent. */
  armed(item: EnvelopeId): string[];
}

const NO_CONTEXT: SpaceContext = { agents: [], owners: [], deferred: () => false, armed: () => [] };

/** What the agent does about one committed envelope. */
export function decide(config: RulesConfig, self: Did, seen: Seen, work: ReadonlyMap<string, ViewItem>, context: SpaceContext = NO_CONTEXT): Decision {
  if (seen.actor === self) return { action: "ignore" };
  const special = antiPatterns(config, self, seen, work, context);
  if (special !== null) return special;
  const trigger = triggerOf(config, self, seen, work);
  if (trigger === null) return { action: "ignore" };
  const { kind, item } = trigger;
  if (item === undefined) {
    if (kind === "mention") return { action: "reply", trigger: kind, reason: "mentioned in a message about no work item: acknowledge" };
    // A request in its domain about no item: volunteer if nobody answers it in time (gap detection).
    const mentions = (seen.body.mentions as string[] | undefined) ?? [];
    return seen.type === "channel.message" && mentions.length === 0 ? { action: "watch", trigger: "gap", target: seen.id, reason: trigger.why } : { action: "ignore" };
  }
  const mentions = (seen.body.mentions as string[] | undefined) ?? [];
  if (kind !== "mention" && mentions.length > 0 && !mentions.includes(self)) {
    return { action: "skip", trigger: kind, item: item.id, reason: `the message asks ${mentions.join(", ")}, not me` };
  }
  if (item.status === "completed") return { action: "skip", trigger: kind, item: item.id, reason: "the item is already completed" };
  if (item.claimant === self) return { action: "skip", trigger: kind, item: item.id, reason: "I already hold the item" };
  if (item.claimant !== undefined && seen.type === "work.created") {
    return { action: "stand-down", trigger: kind, item, claimant: item.claimant, reason: `${item.claimant} claimed it first` };
  }
  if (item.claimant !== undefined) return { action: "skip", trigger: kind, item: item.id, reason: `already claimed by ${item.claimant}: standing down` };
  if (kind === "mention") {
    const handoff = mentions.includes(self) ? handoffPhrase(String(seen.body.content ?? "")) : null;
    if (handoff !== null) return { action: "arm", trigger: kind, item, then: handoff.then, reason: `when "${item.title}" completes I start ${handoff.then}` };
    const passed = deferral(config, self, item, mentions, seen.actor, context);
    if (passed !== null) return passed;
  }
  return { action: "claim", trigger: kind, item, reason: trigger.why };
}

/** Released items (under-claiming) and fired handoffs: what no plain trigger covers. */
function antiPatterns(config: RulesConfig, self: Did, seen: Seen, work: ReadonlyMap<string, ViewItem>, context: SpaceContext): Decision | null {
  if (seen.type === "work.released") {
    const item = work.get(String(seen.body.item));
    if (item === undefined || item.status !== "open" || !item.domains.some((d) => config.domains.includes(d))) return null;
    return { action: "watch", trigger: "unclaimed", target: item.id, reason: `"${item.title}" was released in my domain: claimed by the best fit if still open` };
  }
  if (seen.type === "work.completed") {
    const done = work.get(String(seen.body.item));
    const then = context.armed(String(seen.body.item) as EnvelopeId)[0];
    if (done === undefined || then === undefined) return null;
    const reason = `"${done.title}" is done: I start ${then}, as the handoff said`;
    const next = [...work.values()].find((w) => w.status === "open" && w.claimant === undefined && matchesThen(then, w));
    return next === undefined ? { action: "start", trigger: "handoff", title: then, after: done.id, reason } : { action: "claim", trigger: "handoff", item: next, reason };
  }
  return null;
}

/** Mentioned about an item none of whose domains are its own: defer to who fits, or escalate a circle. */
function deferral(config: RulesConfig, self: Did, item: ViewItem, mentions: readonly string[], from: Did, context: SpaceContext): Decision | null {
  if (item.domains.length === 0 || item.domains.some((d) => config.domains.includes(d))) return null;
  const others = context.agents.filter((a) => a.did !== self);
  // Another agent named with it, else the agent that deferred to it, else whoever fits best.
  const named = others.find((a) => mentions.includes(a.did)) ?? others.find((a) => a.did === from);
  const to = named?.did ?? bestFit(item.domains, others);
  if (to === undefined) return null; // Nobody fits better: claim, and policy decides (over-claiming is tier 2).
  if (!context.deferred(item.id, self, to)) return { action: "defer", trigger: "mention", item, to, reason: `"${item.title}" is in ${item.domains.join(", ")}, not my domains: ${to} fits` };
  // The second deferral between the same two agents: one of them (the smaller did) asks a human instead.
  if (self > to) return { action: "skip", trigger: "mention", item: item.id, reason: `circular deferral with ${to}: it escalates to a human` };
  return { action: "escalate", trigger: "mention", item, to: [...context.owners], reason: `${to} and I have deferred "${item.title}" to each other: a human decides who owns it` };
}

function triggerOf(config: RulesConfig, self: Did, seen: Seen, work: ReadonlyMap<string, ViewItem>): { kind: TriggerKind; item?: ViewItem; why: string } | null {
  const domains = new Set(config.domains);
  if (seen.type === "work.created") {
    const item = work.get(seen.id);
    if (item === undefined) return null;
    if ((item.description ?? "").includes(self)) return { kind: "mention", item, why: "the item's description names me" };
    const hit = item.domains.find((d) => domains.has(d));
    if (hit !== undefined) return { kind: "domain", item, why: `a work item in my domain ${hit}` };
    const keyword = keywordIn(config, `${item.title} ${item.description ?? ""}`);
    return keyword === undefined ? null : { kind: "keyword", item, why: `the item says "${keyword}"` };
  }
  if (seen.type === "channel.message") {
    const content = String(seen.body.content ?? "");
    const ref = seen.body.threadRef as string | undefined;
    const item = ref === undefined ? undefined : work.get(ref);
    const mentions = (seen.body.mentions as string[] | undefined) ?? [];
    if (mentions.includes(self) || content.includes(self)) return { kind: "mention", ...(item ? { item } : {}), why: "the message mentions me" };
    // A request about no item also matches by a domain's name (what gap detection watches).
    const keyword = keywordIn(item ? config : { ...config, keywords: [...config.keywords, ...config.domains] }, content);
    return keyword === undefined ? null : { kind: "keyword", ...(item ? { item } : {}), why: `the message says "${keyword}"` };
  }
  if (seen.type === "work.completed") {
    const done = work.get(String(seen.body.item));
    const rule = done === undefined ? undefined : config.handoffs.find((r) => done.domains.includes(r.from));
    if (rule === undefined) return null;
    const next = [...work.values()].find((w) => w.status === "open" && w.domains.includes(rule.to));
    return next === undefined ? null : { kind: "handoff", item: next, why: `"${done!.title}" (${rule.from}) is done: handoff to ${rule.to}` };
  }
  return null;
}

function keywordIn(config: RulesConfig, text: string): string | undefined {
  const present = words(text);
  return config.keywords.find((k) => present.has(k.toLowerCase()));
}

/** The rules brain behind the A2A `Brain` interface: a caller asking it learns what it takes on. */
export function rulesBrain(config: () => RulesConfig): Brain {
  return {
    skill: { id: "self-selection", name: "Self-selection (rules)", description: "Claims work in its domains, or when mentioned, in the spaces it is a member of" },
    async *think(_turn: Turn): AsyncIterable<Step> {
      const c = config();
      yield {
        kind: "reply",
        text: `I take work in ${c.domains.join(", ") || "no domain yet"}${c.keywords.length ? `, or that says ${c.keywords.join(", ")}` : ""}, and when I am mentioned: post it in a space I am a member of.`,
      };
    },
  };
}
