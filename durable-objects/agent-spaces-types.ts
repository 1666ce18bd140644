/**
 * What the agent keeps per space it joined (`agent_spaces`, durable-objects/agent-spaces.ts)
 * and what a join takes (`POST /agents/:name/spaces`, durable-objects/agent-spaces-http.ts).
 */
import type { HandoffRule } from "../core/a2a/rules-brain.js";

export interface SpaceRow {
  space: string;
  edge: string;
  cursor: number;
  domains: string[];
  keywords: string[];
  handoffs: HandoffRule[];
  options: SpaceOptions;
  joinedAt: string;
}

/** How the agent works in one space (set at join; `commons agent add` flags). */
export interface SpaceOptions {
  brain?: "rules" | "llm";
  /** Under-claiming: an item in its domains left open this long is claimed by the best fit or escalated (default 120 s). */
  unclaimedAfterMs?: number;
  /** Gap detection: a request in its domains unanswered this long is volunteered for (default 300 s). */
  gapAfterMs?: number;
  /** While asks are held back, how often the approver's presence is read again (default 30 s). */
  presenceCheckMs?: number;
}

export interface JoinInput {
  invite: string;
  keywords?: string[];
  handoffs?: HandoffRule[];
  options?: SpaceOptions;
}

