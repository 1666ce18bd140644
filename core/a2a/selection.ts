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
 *   words          the whole words of a text, lowercased (keywords match whole words).
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
