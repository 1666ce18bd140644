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
 * As a `Brain` (A2A turns) it answers what it would pick up, so its card describes it.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";
import type { Brain, Step, Turn } from "./brain.js";

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

export type TriggerKind = "mention" | "domain" | "keyword" | "handoff";

export type Decision =
  | { action: "ignore" }
  | { action: "skip"; trigger: TriggerKind; item?: EnvelopeId; reason: string }
  | { action: "claim"; trigger: TriggerKind; item: ViewItem; reason: string }
  | { action: "reply"; trigger: TriggerKind; reason: string };

const words = (text: string) => new Set(text.toLowerCase().split(/[^a-z0-9_.-]+/).filter(Boolean));

/** What the agent does about one committed envelope. */
export function decide(config: RulesConfig, self: Did, seen: Seen, work: ReadonlyMap<string, ViewItem>): Decision {
  if (seen.actor === self) return { action: "ignore" };
  const trigger = triggerOf(config, self, seen, work);
  if (trigger === null) return { action: "ignore" };
  const { kind, item } = trigger;
  if (item === undefined) {
    return kind === "mention" ? { action: "reply", trigger: kind, reason: "mentioned in a message about no work item: acknowledge" } : { action: "ignore" };
  }
  const mentions = (seen.body.mentions as string[] | undefined) ?? [];
  if (kind !== "mention" && mentions.length > 0 && !mentions.includes(self)) {
    return { action: "skip", trigger: kind, item: item.id, reason: `the message asks ${mentions.join(", ")}, not me` };
  }
  if (item.status === "completed") return { action: "skip", trigger: kind, item: item.id, reason: "the item is already completed" };
  if (item.claimant === self) return { action: "skip", trigger: kind, item: item.id, reason: "I already hold the item" };
  if (item.claimant !== undefined) return { action: "skip", trigger: kind, item: item.id, reason: `already claimed by ${item.claimant}: standing down` };
  return { action: "claim", trigger: kind, item, reason: trigger.why };
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
    const keyword = keywordIn(config, content);
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
