/**
 * Pieces of self-selection the rules brain and the agent's alarm share (issue 12 items 3–4,
 * seed 001 C3/C5), pure:
 *
 *   bestFit        among agent members, who fits a work item best: most shared domains,
 *                  ties broken by the smaller did, so every agent computes the same answer
 *                  and only one of them claims an under-claimed item;
 *   handoffPhrase  "when the brief is ready, George can start visuals" → {when: "brief",
 *                  then: "visuals"}: a conditional trigger on the thread's work item;
 *   matchesThen    whether a work item is the "then" of a handoff (its title's words or its
 *                  domains name it);
 *   words          the whole words of a text, lowercased (keywords match whole words);
 *   mayConcern     whether a committed envelope, as the space's notify summarizes it
 *                  (`HintEntry`), could trigger the agent at all: the triggers' cheap first
 *                  pass, run before anything is read. It may say yes too often (the agent
 *                  then reads committed state and the rules decide), never no for an
 *                  envelope the rules would act on.
 */
import type { Did } from "../identity/did.js";

export interface AgentMember {
  did: Did;
  domains: readonly string[];
}

export const words = (text: string) => new Set(text.toLowerCase().split(/[^a-z0-9_.-]+/).filter(Boolean));

/** The agent that fits `domains` best, or undefined when none shares a domain. */
export function bestFit(domains: readonly string[], agents: readonly AgentMember[]): Did | undefined {
  let best: { did: Did; score: number } | undefined;
  for (const agent of agents) {
    const score = domains.filter((d) => agent.domains.includes(d)).length;
    if (score === 0) continue;
    if (best === undefined || score > best.score || (score === best.score && agent.did < best.did)) best = { did: agent.did, score };
  }
  return best?.did;
}

const HANDOFF = /\bwhen\s+(?:the\s+)?(.{1,80}?)\s+(?:is|are)\s+(?:ready|done|complete|completed|finished)\b.*?\b(?:can|will|should|may)\s+(?:start|begin|take)(?:\s+on)?\s+(?:the\s+)?(.{1,80}?)[\s.!]*$/is;

/** A handoff sentence in a message, or null. */
export function handoffPhrase(content: string): { when: string; then: string } | null {
  const match = HANDOFF.exec(content.trim());
  return match === null ? null : { when: match[1]!.trim(), then: match[2]!.trim() };
}

/** Whether an item is what a handoff's "then" names: every word of it is in the title, or it is one of the item's domains. */
export function matchesThen(then: string, item: { title: string; domains: readonly string[] }): boolean {
  const wanted = [...words(then)];
  const title = words(item.title);
  return wanted.length > 0 && (wanted.every((w) => title.has(w) || title.has(w.replace(/s$/, ""))) || item.domains.includes(then.toLowerCase()));
}

/** One committed, accepted envelope as the space's notify summarizes it (core/a2a/notify-hint.ts). */
export interface HintEntry {
  id: string;
  type: string;
  /** The body's `actor` for tool-written envelopes, else the author (what the rules call `seen.actor`). */
  actor: string;
  mentions?: string[];
  /** `threadRef` of a message. */
  thread?: string;
  /** The work item it is about (`body.item`), or its own id for `work.created`. */
  item?: string;
  /** That item's domains, as the committed state has them. */
  domains?: string[];
  /** A message's content, or an item's title and description, cut to HINT_TEXT characters. */
  text?: string;
  /** Something was cut (text or mentions): the first pass cannot rule it out. */
  clipped?: true;
}

/** What the first pass knows besides the rules: the agent's own tables. */
export interface LocalTriggers {
  /** Handoffs armed on this item. */
  armed(item: string): boolean;
  /** An LLM conversation waiting on an approval reported in this thread. */
  waits(thread: string): boolean;
}

export const HINT_TEXT = 1000;

/** The triggers' first pass (see the module header): false only when no rule could act on it. */
export function mayConcern(config: { domains: readonly string[]; keywords: readonly string[]; handoffs: ReadonlyArray<{ from: string }> }, self: Did, entry: HintEntry, local: LocalTriggers): boolean {
  // Its own claim committing may start a delegation (core/a2a/delegate.ts); nothing else of its own matters.
  if (entry.actor === self) return entry.type === "work.claimed";
  if (entry.clipped) return true;
  const domains = entry.domains ?? [];
  const inMine = domains.some((d) => config.domains.includes(d));
  const text = entry.text ?? "";
  const said = words(text);
  const keyword = (extra: readonly string[]) => [...config.keywords, ...extra].some((k) => said.has(k.toLowerCase()));
  switch (entry.type) {
    case "work.created":
      return text.includes(self) || inMine || keyword([]);
    case "channel.message":
      return (entry.mentions ?? []).includes(self) || text.includes(self) || keyword(config.domains) || (entry.thread !== undefined && local.waits(entry.thread));
    case "work.released":
      return inMine;
    case "work.completed":
      return (entry.item !== undefined && local.armed(entry.item)) || config.handoffs.some((r) => domains.includes(r.from));
    default:
      return false;
  }
}
