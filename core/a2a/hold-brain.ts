/**
 * The hold brain: a deterministic A2A-turn brain whose tasks are long-running. Every message
 * (a new task or a follow-up on one) leaves its task TASK_STATE_WORKING and ends the turn,
 * so the task stays working until the caller cancels it (CancelTask → canceled) — the
 * spec's long-running task that a client polls (GetTask, ListTasks), continues or cancels.
 * Conformance suites drive agents this way (the A2A TCK's `main` expects tasks it creates to
 * be, and stay, working), so it exists for them and for people trying those paths by hand.
 *
 * It is an explicit choice, never the default: an edge whose `COMMONS_A2A_BRAIN` var is
 * "hold" answers every agent's A2A turns with it (docs/AGENTS.md, "Conformance"); unset or
 * "echo", agents keep the echo brain (core/a2a/echo-brain.ts). Space life is unaffected.
 */
import type { Brain } from "./brain.js";
import { echoBrain } from "./echo-brain.js";

export const holdBrain: Brain = {
  skill: {
    id: "hold",
    name: "Hold",
    description: "A deterministic brain for long-running tasks: every task it is given stays working until the caller cancels it.",
  },
  async *think(turn) {
    const text = turn.continuing ? "Still working: the follow-up is recorded on the task." : "Working: this task stays open until it is canceled.";
    yield { kind: "working", text, detach: true };
  },
};

/** The A2A-turn brain an edge's `COMMONS_A2A_BRAIN` var names: "echo" (or unset) or "hold". */
export function turnBrainNamed(name: string | undefined): Brain {
  if (name === undefined || name === "" || name === "echo") return echoBrain;
  if (name === "hold") return holdBrain;
  throw new Error(`COMMONS_A2A_BRAIN is "${name}": use "echo" (the default) or "hold"`);
}
