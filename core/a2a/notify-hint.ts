/**
 * The hint a space's notify carries to its agents (issue 12, the cost of notifying 100
 * subscribers; durable-objects/space-agents.ts sends it, durable-objects/agent-spaces-hints.ts
 * reads it): the commit indexes one sequencing run covered and, when at most HINT_BATCH
 * envelopes were accepted, a summary of each (core/a2a/selection.ts `HintEntry`) made from
 * the committed state just reached, which the agent's triggers filter before it reads
 * anything. Pure: the replica's envelopes and the state are handed in.
 */
import type { Envelope } from "../log/envelope.js";
import type { EnvelopeId } from "../log/ids.js";
import type { CommitEntry } from "../state/sequencer.js";
import type { SpaceState } from "../views/state.js";
import { HINT_TEXT, type HintEntry } from "./selection.js";

/** At most this many accepted envelopes are summarized in one notify; past it the agent reads from its cursor. */
export const HINT_BATCH = 64;

/** What one notify tells an agent: commits `first`..`last`, and their summaries when the batch was small enough. */
export interface NotifyHint {
  first: number;
  last: number;
  entries?: HintEntry[];
}

/** The hint for one sequencing run's commits, read from the committed state just reached. */
export function hintOf(entries: readonly CommitEntry[], envelope: (id: EnvelopeId) => Envelope | undefined, state: SpaceState): NotifyHint {
  const first = entries[0]?.index ?? 0;
  const last = entries.at(-1)?.index ?? first;
  const accepted = entries.filter((e) => e.verdict === "accepted");
  if (accepted.length > HINT_BATCH) return { first, last };
  const summaries: HintEntry[] = [];
  for (const entry of accepted) {
    const found = envelope(entry.id);
    if (found === undefined) return { first, last }; // Cannot summarize it: the agent reads.
    summaries.push(summarize(entry.id, found, state));
  }
  return { first, last, entries: summaries };
}

function summarize(id: EnvelopeId, envelope: Envelope, state: SpaceState): HintEntry {
  const body = envelope.body as Record<string, unknown>;
  const actor = typeof body.actor === "string" ? body.actor : envelope.author;
  const item = envelope.type === "work.created" ? id : typeof body.item === "string" ? body.item : undefined;
  const full = envelope.type === "channel.message" ? String(body.content ?? "")
    : envelope.type === "work.created" ? `${String(body.title ?? "")} ${String(body.description ?? "")}` : "";
  const mentions = Array.isArray(body.mentions) ? body.mentions.map(String) : [];
  const domains = item === undefined ? undefined : state.work.get(item as never)?.domains;
  return {
    id, type: envelope.type, actor,
    ...(mentions.length > 0 ? { mentions: mentions.slice(0, 16) } : {}),
    ...(typeof body.threadRef === "string" ? { thread: body.threadRef } : {}),
    ...(item === undefined ? {} : { item }),
    ...(domains === undefined ? {} : { domains: domains.slice(0, 16) }),
    ...(full.length > 0 ? { text: full.slice(0, HINT_TEXT) } : {}),
    ...(full.length > HINT_TEXT || mentions.length > 16 || (domains?.length ?? 0) > 16 ? { clipped: true as const } : {}),
  };
}

