/**
 * What the tool host does when approvals resolve: an approved request's action runs once,
 * a rejection and an expiry are recorded in the channel. `once` is the host's guarantee
 * that a key is acted on a single time (the SpaceDO keeps it in SQLite), so a replay of
 * the same commit, a restart or a second decision can never run an action twice.
 */
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";
import type { CommitEntry } from "../state/sequencer.js";
import type { LogEntry } from "../views/causal.js";
import { executeApproved } from "./run-tool.js";
import { toolNamed } from "./tools.js";
import type { ToolHost } from "./tool-host.js";

export type Once = (key: string, action: () => Promise<void>) => Promise<void>;

/** The accepted envelopes of a sequencing run, read once for every watcher that needs them. */
export function acceptedEnvelopes(host: Pick<ToolHost, "replica">, entries: readonly CommitEntry[]): LogEntry[] {
  const ids = entries.flatMap((entry) => (entry.verdict === "accepted" ? [entry.id] : []));
  return host.replica.getMany(ids).map((stored) => ({ id: stored.id, envelope: stored.envelope }));
}

/** Reacts to freshly committed, accepted envelopes (see `acceptedEnvelopes`). */
export async function onCommitted(host: ToolHost, accepted: readonly LogEntry[], once: Once): Promise<void> {
  for (const stored of accepted) {
    if (stored.envelope.type !== "approval.decided") continue;
    const body = stored.envelope.body;
    const request = host.committed().approvals.get(body.request);
    if (!request) continue;
    const decidedBy = ((body as { actor?: Did }).actor ?? stored.envelope.author) as Did;
    await once(`approval:${request.id}`, async () => {
      if (body.decision === "approved" && toolNamed(request.action.tool)) {
        await executeApproved(host, request, decidedBy);
      } else if (body.decision === "approved") {
        // Not one of this space's tools: the requester carries it out; the channel says it may.
        await record(host, request.id, request.action.tool, request.action.params, `✅ ${request.action.summary} — approved by ${decidedBy}`, "success");
      } else {
        await record(host, request.id, request.action.tool, request.action.params, `❌ ${request.action.summary} — rejected by ${decidedBy}${body.reason ? `: ${body.reason}` : ""}`, "rejected");
      }
    });
  }
}

/** Records every pending request past its expiry as expired; returns the next expiry to wake for. */
export async function expireDue(host: ToolHost, once: Once): Promise<number | null> {
  let next: number | null = null;
  for (const request of host.committed().approvals.values()) {
    if (request.status !== "pending") continue;
    const expiry = Date.parse(request.expiresAt);
    if (expiry > host.now()) {
      next = next === null ? expiry : Math.min(next, expiry);
      continue;
    }
    await once(`approval:${request.id}`, () =>
      record(host, request.id, request.action.tool, request.action.params, `⏱ ${request.action.summary} — expired at ${request.expiresAt} with no decision`, "rejected"),
    );
  }
  return next;
}

async function record(
  host: ToolHost, request: EnvelopeId, tool: string, params: Record<string, unknown>, content: string, result: "success" | "rejected",
): Promise<void> {
  await host.write("channel.message", {
    content,
    threadRef: request,
    toolCalls: [{ tool, params: params as Record<string, never>, result }],
  });
}
