/**
 * The actor rule. MCP tools run at a replica (the edge SpaceDO, whose key is the space's
 * sequencer) and write envelopes signed by that tool host on behalf of the caller whose
 * capability token they verified. Such a body names the caller in `actor`:
 *
 *   actorOf(envelope) = body.actor ?? envelope.author
 *
 * An envelope with `actor` set is accepted only when its author is the space's current
 * sequencer (the only key trusted to have verified the caller); it is then judged —
 * membership, roles, claims, approvals, grants — and attributed in views as the actor's.
 */
import type { Did } from "../identity/did.js";
import type { Envelope } from "./envelope.js";
import type { EnvelopeType } from "./types/index.js";

/** Types whose body may carry `actor` (the tool-writable ones). */
export const ACTOR_TYPES: ReadonlySet<EnvelopeType> = new Set<EnvelopeType>([
  "channel.message", "work.created", "work.claimed", "work.released", "work.updated", "work.completed",
  "artifact.created", "artifact.updated", "approval.requested", "approval.decided",
  "authority.granted", "authority.revoked", "budget.spent", "policy.set",
  // Coalitions and markets (docs/COORDINATION.md).
  "branch.created", "branch.updated", "coalition.formed", "coalition.joined", "coalition.left", "coalition.dissolved", "coalition.spent",
  "coalition.voted", "work.bids_called", "work.bid", "work.awarded",
]);

/** Who an envelope acts for: the body's `actor` when a tool host wrote it, else its author. */
export function actorOf(envelope: Envelope): Did {
  return onBehalfOf(envelope) ?? envelope.author;
}

/** The `actor` a tool host named, or undefined when the author acted for itself. */
export function onBehalfOf(envelope: Envelope): Did | undefined {
  // Only the ACTOR_TYPES schemas admit the field (every body schema is strict).
  return (envelope.body as { actor?: Did }).actor;
}

/** What the tool host may write in its own name: reports of what its tools did. */
const HOST_REPORT_TYPES: ReadonlySet<string> = new Set(["channel.message", "trace.recorded"]);

/**
 * True for the tool host speaking as itself (the seed's "MIR-Server: ✅ Task created"): a
 * message or trace by the space's sequencer with no `actor`. Never tiered or charged.
 */
export function isHostReport(envelope: Envelope, sequencer: Did | undefined): boolean {
  return envelope.author === sequencer && onBehalfOf(envelope) === undefined && HOST_REPORT_TYPES.has(envelope.type);
}
