/**
 * The channel: the seed's shared transcript as a projection of the log. Messages in causal
 * order, grouped into threads by `threadRef`, with mentions and "seen by": a member has
 * seen a message when one of its envelopes has that message in its causal past (its deps
 * say what it had seen when it wrote), so "seen" is signed, not a read receipt.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeOf } from "../log/envelope.js";
import type { EnvelopeId, VersionVector } from "../log/ids.js";
import { actorOf } from "../log/actor.js";
import type { LogEntry } from "./causal.js";

export interface ChannelMessage {
  id: EnvelopeId;
  /** The signer: the sender, or the tool host that posted for the sender. */
  author: Did;
  /** Who the message is from: `actorOf` (the seed's `sender`). */
  sender: Did;
  hlc: string;
  body: EnvelopeOf<"channel.message">["body"];
  /** Other authors whose later envelopes causally follow this one, sorted. */
  seenBy: Did[];
}

export interface ChannelView {
  messages: ChannelMessage[];
  /** Thread root id → reply ids in causal order. */
  threads: Record<string, EnvelopeId[]>;
  /** Did → ids of messages mentioning it. */
  mentions: Record<string, EnvelopeId[]>;
}

/** Builds the channel from entries in causal order and their vector clocks. */
export function buildChannel(ordered: readonly LogEntry[], clocks: ReadonlyMap<EnvelopeId, VersionVector>): ChannelView {
  // Each author's latest clock: everything any of its envelopes has seen.
  const latest = new Map<Did, VersionVector>();
  for (const { id, envelope } of ordered) {
    const previous = latest.get(envelope.author);
    const clock = clocks.get(id)!;
    if (previous === undefined || (previous[envelope.author] ?? 0) < envelope.seq) latest.set(envelope.author, clock);
  }
  const authors = [...latest.keys()].sort();
  const view: ChannelView = { messages: [], threads: {}, mentions: {} };
  for (const { id, envelope } of ordered) {
    if (envelope.type !== "channel.message") continue;
    const seenBy = authors.filter((other) => other !== envelope.author && (latest.get(other)![envelope.author] ?? 0) >= envelope.seq);
    view.messages.push({ id, author: envelope.author, sender: actorOf(envelope), hlc: envelope.hlc, body: envelope.body, seenBy });
    const root = envelope.body.threadRef;
    if (root !== undefined) (view.threads[root] ??= []).push(id);
    for (const did of envelope.body.mentions ?? []) (view.mentions[did] ??= []).push(id);
  }
  return view;
}
