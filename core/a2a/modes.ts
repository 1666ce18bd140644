/**
 * Presence modes change what an agent does (issue 12 item 5, seed 001 C4), pure. The agent
 * reads the space's verified presence (`GET /s/:space/presence`: each state is bound to its
 * connection's did) and, before an action the policy would put to a human, looks at the
 * approver's mode:
 *
 *   active      ask now (the request lands in their attention) and wait for the decision;
 *   monitoring  hold the ask back in the agent's queue, say so in the channel without asking
 *               for attention, and go on with tier 1–2 work;
 *   away        hold it back silently: only autonomous work goes on;
 *
 * and when an approver is active again, the queued asks are sent, so they reach the human's
 * attention when they come back. An approver is a did, or a role any member holding it
 * fills (owners count as humans). Absent means away.
 */
import type { Did } from "../identity/did.js";

export type Mode = "active" | "monitoring" | "away";
export type AskPlan = "ask" | "queue-with-note" | "queue";

const RANK: Record<Mode, number> = { away: 0, monitoring: 1, active: 2 };

/** The most available mode among the participants who can approve. */
export function approverMode(
  participants: ReadonlyArray<{ id: string; mode: Mode }>,
  approver: string,
  roleOf: (did: Did) => string | undefined,
): Mode {
  let best: Mode = "away";
  for (const p of participants) {
    const role = roleOf(p.id as Did);
    const fills = approver.startsWith("did:") ? p.id === approver : role === approver || (approver === "human" && role === "owner");
    if (fills && RANK[p.mode] > RANK[best]) best = p.mode;
  }
  return best;
}

export function askPlan(mode: Mode): AskPlan {
  return mode === "active" ? "ask" : mode === "monitoring" ? "queue-with-note" : "queue";
}
