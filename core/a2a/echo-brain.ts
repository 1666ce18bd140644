/**
 * The deterministic brain every agent has until a real one is configured: it echoes, and
 * its behaviour is chosen by the message id's prefix, the way the A2A TCK drives agents
 * under test (a2aproject/a2a-tck, scenarios/core_operations.feature). No timers, no
 * randomness: the same turn always yields the same steps, so tests can rely on them.
 *
 *   tck-message-response…, tck-stream-002…   a direct Message (no task)
 *   tck-input-required…                       input-required; the next message completes it
 *   tck-reject-task…                          rejected
 *   tck-artifact-text…                        an artifact with a text part, completed
 *   tck-stream-artifact-chunked…              working, two appended chunks, completed
 *   tck-stream-…                              working, an artifact, completed
 *   anything else (tck-complete-task…)        working, completed with an echo
 */
import type { Brain, Step, Turn } from "./brain.js";

const echo = (turn: Turn) => `echo: ${turn.text}`;

function steps(turn: Turn): Step[] {
  const id = turn.messageId;
  if (turn.continuing) return [{ kind: "working" }, { kind: "completed", text: echo(turn) }];
  if (id.startsWith("tck-message-response") || id.startsWith("tck-stream-002")) return [{ kind: "reply", text: echo(turn) }];
  if (id.startsWith("tck-input-required")) return [{ kind: "input-required", text: "More input is needed: send another message with this task's id." }];
  if (id.startsWith("tck-reject-task")) return [{ kind: "rejected", text: "rejected" }];
  if (id.startsWith("tck-artifact-text")) return [{ kind: "artifact", name: "text", text: "Generated text content" }, { kind: "completed" }];
  if (id.startsWith("tck-stream-artifact-chunked")) {
    return [
      { kind: "working" },
      { kind: "artifact", name: "chunks", text: "chunk-1 ", append: true },
      { kind: "artifact", name: "chunks", text: "chunk-2", append: true, lastChunk: true },
      { kind: "completed" },
    ];
  }
  if (id.startsWith("tck-stream-")) return [{ kind: "working" }, { kind: "artifact", name: "text", text: turn.text }, { kind: "completed" }];
  return [{ kind: "working" }, { kind: "completed", text: echo(turn) }];
}

export const echoBrain: Brain = {
  skill: {
    id: "echo",
    name: "Echo",
    description: "A deterministic placeholder brain: completes tasks with an echo of the message; message ids prefixed tck-… select the A2A TCK's behaviours.",
  },
  async *think(turn, signal) {
    for (const step of steps(turn)) {
      if (signal.aborted) return;
      yield step;
    }
  },
};
