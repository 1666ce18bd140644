/**
 * What an agent thinks with, behind small interfaces so brains plug in (issue 12 item 6:
 * a rules brain, an LLM brain).
 *
 * `Brain` (A2A turns): a brain sees one turn — a caller's message, and whether it
 * continues a task that asked for input — and yields the steps it takes, in order. It knows
 * nothing of A2A's events, stores or wire: core/a2a/executor.ts turns steps into those.
 *
 * `SpaceBrain` (life in a space): every decision the agent takes there — a committed
 * envelope its triggers picked, a timer come due (under-claiming, gap detection), and an
 * ask it held back by the approver's presence (core/a2a/modes.ts) sent once they are active.
 * The rules brain's answers are core/a2a/rules-brain.ts decisions carried out by
 * durable-objects/agent-spaces*.ts; the LLM brain (core/a2a/llm-brain.ts) asks its model
 * for each, with the space's tools as functions, and consults `SpaceHolds` before any call
 * the policy would put to a human, so presence modes hold its asks exactly as they hold the
 * rules'. Each decision leaves a `trace.recorded`.
 *
 * A turn answered with a lone `reply` is a direct Message (no task is created). Any other
 * sequence makes a task: zero or more `working` / `artifact` steps, ended by one of
 * `input-required` (the task waits for the caller's next message), `completed`,
 * `rejected` or `failed`. A brain that ends without a final step leaves the task completed.
 */
import type { Did } from "../identity/did.js";
import type { SkillInfo } from "./card.js";
import type { Considered, DueWatch, HeldCall, SpaceTools } from "./llm-types.js";

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
  /** `detach`: the turn ends here and the task stays working (long-running: polled, continued or canceled later). */
  | { kind: "working"; text?: string; detach?: boolean }
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

export interface SpaceBrain {
  /** A committed envelope the triggers picked (or one resuming a conversation). True if it did anything. */
  consider(input: Considered): Promise<boolean>;
  /** A watch came due and still holds: the item is open and unclaimed, or the request unanswered. */
  due(input: DueWatch): Promise<void>;
  /** A call held back while its approver was monitoring or away, now that they are active. */
  sendHeld(input: { space: string; domains: readonly string[]; tools: SpaceTools; held: HeldCall; cursor: number }): Promise<void>;
}

/** Why a call waits instead of being asked now: the approver's mode. */
export interface Held {
  mode: "monitoring" | "away";
  approver: string;
  reason: string;
}

/** The agent's side of presence modes, for a brain about to make a call. */
export interface SpaceHolds {
  /** Null: ask now. Else the call is held back (and, if the approver is monitoring, the agent said so in the channel). */
  check(tool: string, params: Record<string, unknown>, thread: string): Promise<Held | null>;
  /** Keeps a held call (with what the brain needs to go on) to send when the approver is active. */
  keep(held: HeldCall): void;
}
