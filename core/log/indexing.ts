/**
 * What the replica indexes about an envelope besides its frame, so queries need not parse
 * bodies: the one id it points at (`ref`) and who it asks for attention.
 */
import { actorOf } from "./actor.js";
import type { Envelope } from "./envelope.js";

/** The id an envelope points at: thread root, work item, request, artifact or branch. */
export function envelopeRef(envelope: Envelope): string | null {
  switch (envelope.type) {
    case "channel.message":
      return envelope.body.threadRef ?? null;
    case "work.claimed":
    case "work.released":
    case "work.updated":
    case "work.completed":
      return envelope.body.item;
    case "approval.decided":
      return envelope.body.request;
    case "artifact.updated":
      return envelope.body.artifact;
    case "branch.merged":
    case "branch.abandoned":
      return envelope.body.branch;
    default:
      return null;
  }
}

export type AttentionKind = "mention" | "approval" | "escalation";

/**
 * Who an envelope asks for attention (a did, or a role name meaning anyone holding it):
 * mentioned members; the approver of an approval request; whoever a tool call awaiting
 * approval names (an escalation in the channel). Never the one it acts for: an envelope a
 * tool host wrote on X's behalf does not ask X to look at X's own words.
 */
export function attentionTargets(envelope: Envelope): { target: string; kind: AttentionKind }[] {
  const actor = actorOf(envelope);
  return targetsOf(envelope).filter(({ target }) => target !== actor);
}

function targetsOf(envelope: Envelope): { target: string; kind: AttentionKind }[] {
  if (envelope.type === "approval.requested") return [{ target: envelope.body.approver, kind: "approval" }];
  if (envelope.type !== "channel.message") return [];
  const targets: { target: string; kind: AttentionKind }[] = [];
  for (const did of envelope.body.mentions ?? []) targets.push({ target: did, kind: "mention" });
  for (const call of envelope.body.toolCalls ?? []) {
    if (call.result === "pending_approval" && call.approvalRequired !== undefined) {
      targets.push({ target: call.approvalRequired, kind: "escalation" });
    }
  }
  return targets;
}
