/**
 * What a decision's `trace.recorded` says, for every brain (rules or LLM), so "why did the
 * agent act?" is answered from the log alone: `ref` the envelope the decision is about,
 * `data.saw` the cut it read (that envelope, its commit index, the agent's cursor — the
 * arrival position it had read up to — and the trigger) and `data.chose` what it chose.
 * `data.agent` is added by the space's `record_trace` tool (the verified caller).
 *
 * Read them back with `commons log <space> --type trace.recorded [--json]`, or
 * `GET /s/:space/log?type=trace.recorded`.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";

/** The trace kinds the agents write (the rules brain's `agent.*`, the LLM brain's `agent.llm.*`). */
export const TRACE_KINDS = {
  claimed: "agent.claimed",
  stoodDown: "agent.stood-down",
  skipped: "agent.skipped",
  replied: "agent.replied",
  claimRefused: "agent.claim-refused",
  llmChose: "agent.llm.chose",
  llmWaiting: "agent.llm.waiting",
  llmResumed: "agent.llm.resumed",
  llmFailed: "agent.llm.failed",
  /** A call held back by the approver's presence (monitoring, away), and sent once they are active. */
  llmHeld: "agent.llm.held",
  llmSent: "agent.llm.sent",
  delegated: "agent.delegated",
  delegationResult: "agent.delegation-result",
} as const;

/** The cut a decision was made at. */
export interface Cut {
  envelope: EnvelopeId;
  type: string;
  actor: Did;
  /** The envelope's commit index (decisions are made on committed envelopes only). */
  commit: number | null;
  /** The agent's cursor in the space's log when it decided: the arrival it had read up to. */
  cursor: number;
  trigger?: string;
}

/** The `record_trace` arguments for one decision (`data` is capped so a trace never outgrows the log's limits). */
export function traceArgs(kind: string, summary: string, ref: EnvelopeId, saw: Cut, chose: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind, summary: summary.slice(0, 2000), ref, data: { saw, chose: clip(chose), ...extra } };
}

/** Long strings inside a chosen action are cut to 2,000 characters (a model can write a lot). */
function clip(value: unknown): unknown {
  if (typeof value === "string") return value.length > 2000 ? `${value.slice(0, 2000)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 32).map(clip);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v)]));
  return value ?? null;
}
