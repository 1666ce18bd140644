/**
 * What an agent thinks with, behind one small interface so brains plug in (issue 12 item 6:
 * a rules brain, an LLM brain). A brain sees one turn — a caller's message, and whether it
 * continues a task that asked for input — and yields the steps it takes, in order. It knows
 * nothing of A2A's events, stores or wire: core/a2a/executor.ts turns steps into those.
 *
 * A turn answered with a lone `reply` is a direct Message (no task is created). Any other
 * sequence makes a task: zero or more `working` / `artifact` steps, ended by one of
 * `input-required` (the task waits for the caller's next message), `completed`,
 * `rejected` or `failed`. A brain that ends without a final step leaves the task completed.
 */
import type { Did } from "../identity/did.js";
import type { SkillInfo } from "./card.js";

export interface Turn {
  /** The verified caller (the subject of its capability token). */
  caller: Did;
  messageId: string;
  /** The message's text parts, joined by newlines; other parts are not read. */
  text: string;
  taskId: string;
  contextId: string;
  /** True when this message continues a task that was waiting for input. */
  continuing: boolean;
  /** The message's metadata (e.g. `commons.space`, `commons.item` on a delegated subtask: core/a2a/delegate.ts). */
  metadata?: Record<string, unknown>;
}

export type Step =
  | { kind: "reply"; text: string }
  | { kind: "working"; text?: string }
  | { kind: "artifact"; name: string; text: string; append?: boolean; lastChunk?: boolean }
  | { kind: "input-required"; text: string }
  | { kind: "completed"; text?: string }
  | { kind: "rejected"; text: string }
  | { kind: "failed"; text: string };

export interface Brain {
  /** Shown as the card's skill while the agent has no domains. */
  readonly skill: SkillInfo;
  /**
   * The steps for one turn. `signal` aborts when the task is canceled: a brain stops at
   * its next step (the executor then records the cancellation, not the brain).
   */
  think(turn: Turn, signal: AbortSignal): AsyncIterable<Step>;
}
