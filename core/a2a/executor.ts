/**
 * The AgentExecutor the SDK's DefaultRequestHandler runs: it asks the brain for one turn's
 * steps and publishes them as A2A events (the first is the task, or the lone message of a
 * direct reply, as the SDK requires). The handler's ResultManager folds the events into the
 * stored task; the executor itself stores nothing.
 *
 * Tasks that wait for input keep a live entry (their context id and an abort handle), so a
 * CancelTask that reaches the still-open event bus can publish the cancellation; an evicted
 * object has neither bus nor entry, and the SDK then cancels the stored task itself.
 */
import { Role, TaskState, type Message, type Part, type Task } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from "@a2a-js/sdk/server";
import type { Did } from "../identity/did.js";
import type { Brain, Step, Turn } from "./brain.js";
import { callerOf } from "./caller.js";

/** Task metadata key under which the verified caller is recorded on every task. */
export const CALLER_METADATA = "commons.caller";

export class BrainExecutor implements AgentExecutor {
  private readonly live = new Map<string, { contextId: string; abort: AbortController }>();

  private readonly clock: () => Date;
  private readonly newId: () => string;

  /** `clock` and `newId` (message ids) are fixed only by golden-vector tests. */
  constructor(private readonly brain: Brain, options: { clock?: () => Date; newId?: () => string } = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  readonly execute = async (request: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const caller = callerOf(request.context).did;
    const { taskId, contextId } = request;
    const message = request.userMessage;
    const turn: Turn = {
      caller, messageId: message.messageId, text: textOf(message), taskId, contextId, continuing: request.task !== undefined,
      ...(message.metadata ? { metadata: message.metadata as Record<string, unknown> } : {}),
    };
    const abort = new AbortController();
    this.live.set(taskId, { contextId, abort });
    let started = false;
    let waiting = false;
    const start = () => {
      if (!started) bus.publish(AgentEvent.task(request.task ?? this.newTask(taskId, contextId, message, caller)));
      started = true;
    };
    try {
      for await (const step of this.brain.think(turn, abort.signal)) {
        // Canceled while thinking: cancelTask has published the cancellation already.
        if (abort.signal.aborted) return;
        if (step.kind === "reply" && !started && request.task === undefined) {
          bus.publish(AgentEvent.message(this.agentMessage(step.text, contextId)));
          return;
        }
        start();
        if (step.kind === "artifact") {
          bus.publish(AgentEvent.artifactUpdate({
            taskId, contextId, append: step.append ?? false, lastChunk: step.lastChunk ?? false, metadata: undefined,
            artifact: { artifactId: `${taskId}:${step.name}`, name: step.name, description: "", parts: [textPart(step.text)], metadata: undefined, extensions: [] },
          }));
          continue;
        }
        this.publishStatus(bus, taskId, contextId, step);
        if (step.kind === "input-required") waiting = true;
        // A detached task stays working with no run behind it: the SDK closes its bus, and a
        // later CancelTask cancels the stored task, a later message starts a new turn.
        if (step.kind !== "working" || step.detach) return;
      }
      if (abort.signal.aborted) return;
      start();
      this.publishStatus(bus, taskId, contextId, { kind: "completed" });
    } finally {
      if (!waiting) this.live.delete(taskId);
    }
  };

  readonly cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const entry = this.live.get(taskId);
    entry?.abort.abort();
    this.live.delete(taskId);
    bus.publish(AgentEvent.statusUpdate({
      taskId, contextId: entry?.contextId ?? "", metadata: undefined,
      status: { state: TaskState.TASK_STATE_CANCELED, message: this.agentMessage("Canceled at the caller's request.", entry?.contextId ?? "", taskId), timestamp: this.clock().toISOString() },
    }));
  };

  private publishStatus(bus: ExecutionEventBus, taskId: string, contextId: string, step: Exclude<Step, { kind: "artifact" }>): void {
    const text = "text" in step ? step.text : undefined;
    bus.publish(AgentEvent.statusUpdate({
      taskId, contextId, metadata: undefined,
      status: { state: STATES[step.kind], message: text === undefined ? undefined : this.agentMessage(text, contextId, taskId), timestamp: this.clock().toISOString() },
    }));
  }

  private newTask(taskId: string, contextId: string, message: Message, caller: Did): Task {
    return {
      id: taskId, contextId, artifacts: [], history: [message],
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: this.clock().toISOString() },
      metadata: { [CALLER_METADATA]: caller },
    };
  }

  private agentMessage(text: string, contextId: string, taskId = ""): Message {
    return { messageId: this.newId(), contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
  }
}

/** A reply inside a task (after it started) ends it as completed with that text. */
const STATES: Record<Exclude<Step["kind"], "artifact">, TaskState> = {
  reply: TaskState.TASK_STATE_COMPLETED,
  working: TaskState.TASK_STATE_WORKING,
  "input-required": TaskState.TASK_STATE_INPUT_REQUIRED,
  completed: TaskState.TASK_STATE_COMPLETED,
  rejected: TaskState.TASK_STATE_REJECTED,
  failed: TaskState.TASK_STATE_FAILED,
};

function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, mediaType: "text/plain", filename: "", metadata: undefined };
}

/** The message's text parts, joined by newlines. */
export function textOf(message: Message): string {
  return message.parts.flatMap((part) => (part.content?.$case === "text" ? [part.content.value] : [])).join("\n");
}
