/**
 * Delegation (issue 12 item 7): an agent hands a subtask to another agent — on its own edge
 * or another deployment — with A2A `SendMessage` (core/a2a/remote.ts: card verified, token
 * for the card's did, the SDK's client), and links it to the work item in the space, so the
 * provenance survives in the log:
 *
 *   before   `trace.recorded` kind `agent.delegated` (ref the item): to whom (url, verified
 *            did), the subtask, the cut the decision was made at;
 *   after    `trace.recorded` kind `agent.delegation-result` (ref the item): the task id,
 *            its context, its final state and text; and a channel message in the item's
 *            thread with the call in `toolCalls` (`a2a.SendMessage`, the task id, the result).
 *
 * The message carries `commons.space` / `commons.item` metadata, so the delegatee knows the
 * space it concerns and records the subtask there itself (`delegateeBrain`).
 *
 * Who delegates: the LLM brain through the `delegate_to_agent` function it is offered, and
 * any agent whose claim on an item commits while the item's description holds a line
 * `delegate <agent-url>: <subtask>` (`delegationsIn`), so a person can write the hand-off
 * into the work item itself.
 */
import { SendMessageRequest, Task } from "@a2a-js/sdk";
import type { Did } from "../identity/did.js";
import type { Signer } from "../identity/signer.js";
import type { EnvelopeId } from "../log/ids.js";
import type { Brain, Step, Turn } from "./brain.js";
import type { ExtraFunction, SpaceTools, ToolAnswerLike } from "./llm-types.js";
import { connectAgent } from "./remote.js";
import type { Seen, ViewItem } from "./rules-brain.js";
import { TRACE_KINDS, traceArgs, type Cut } from "./trace.js";

export const SPACE_METADATA = "commons.space";
export const ITEM_METADATA = "commons.item";

export interface Delegation {
  /** The other agent's URL (`…/agents/<name>`). */
  agent: string;
  text: string;
}

export interface DelegationResult {
  taskId: string;
  contextId: string;
  state: string;
  text: string;
  did: Did;
}

/** `delegate <agent-url>: <subtask>` lines of a work item's description (at most 4). */
export function delegationsIn(description: string | undefined): Delegation[] {
  return [...(description ?? "").matchAll(/^\s*delegate\s+(https?:\/\/\S+?):\s+(.+?)\s*$/gim)].slice(0, 4).map((m) => ({ agent: m[1]!, text: m[2]!.slice(0, 4000) }));
}

/** Hands `delegation` to the other agent for `item`, recording the decision, the task and its result in the space. */
export async function delegate(input: {
  signer: Signer; space: string; item: EnvelopeId; delegation: Delegation; tools: SpaceTools; cut: Cut; fetchImpl?: typeof fetch;
}): Promise<DelegationResult | { error: string }> {
  const { delegation, tools, item, cut } = input;
  const trace = (kind: string, summary: string, chose: unknown, extra: Record<string, unknown>) => tools.call("record_trace", traceArgs(kind, summary, item, cut, chose, extra));
  let remote;
  try {
    remote = await connectAgent(delegation.agent, input.signer, input.fetchImpl ? { fetchImpl: input.fetchImpl } : {});
  } catch (error) {
    await trace(TRACE_KINDS.delegationResult, `could not reach ${delegation.agent}: ${(error as Error).message}`, null, { to: delegation.agent, error: (error as Error).message });
    return { error: (error as Error).message };
  }
  await trace(TRACE_KINDS.delegated, `delegated to ${remote.card.name}: ${delegation.text.slice(0, 200)}`, { delegate: delegation.text }, { to: remote.base, did: remote.did });
  const request = SendMessageRequest.fromJSON({
    message: {
      messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: delegation.text }],
      metadata: { [SPACE_METADATA]: input.space, [ITEM_METADATA]: item },
    },
  });
  let result: DelegationResult;
  try {
    const answer = await remote.client.sendMessage(request);
    if ("messageId" in answer) {
      result = { taskId: "", contextId: answer.contextId, state: "MESSAGE", text: textParts(answer.parts), did: remote.did };
    } else {
      const task = Task.toJSON(answer) as { id: string; contextId: string; status: { state: string; message?: { parts?: Array<{ text?: string }> } } };
      result = { taskId: task.id, contextId: task.contextId, state: task.status.state, text: (task.status.message?.parts ?? []).map((p) => p.text ?? "").join("\n"), did: remote.did };
    }
  } catch (error) {
    await trace(TRACE_KINDS.delegationResult, `${remote.card.name} refused the subtask: ${(error as Error).message}`, null, { to: remote.base, did: remote.did, error: (error as Error).message });
    return { error: (error as Error).message };
  }
  const ok = result.state === "TASK_STATE_COMPLETED" || result.state === "MESSAGE";
  await trace(TRACE_KINDS.delegationResult, `${remote.card.name} answered ${result.state}${result.taskId ? ` (task ${result.taskId})` : ""}`, null, { to: remote.base, ...result });
  await tools.call("post_message", {
    content: `Delegated to ${remote.card.name} (${remote.did}): "${delegation.text.slice(0, 300)}" → ${result.state}${result.taskId ? `, task ${result.taskId}` : ""}: ${result.text.slice(0, 2000) || "(no text)"}`,
    threadRef: item,
    toolCalls: [{ tool: "a2a.SendMessage", params: { agent: remote.base, did: remote.did, taskId: result.taskId, contextId: result.contextId }, result: ok ? "success" : "rejected" }],
  });
  return result;
}

function textParts(parts: ReadonlyArray<{ content?: { $case: string; value?: unknown } }>): string {
  return parts.flatMap((p) => (p.content?.$case === "text" ? [String(p.content.value)] : [])).join("\n");
}

/** Delegations written into an item, carried out once the agent's own claim on it commits. True if it did anything. */
export async function delegateOnClaim(input: {
  signer: Signer; space: string; seen: Seen; work: ReadonlyMap<string, ViewItem>; tools: SpaceTools; cut: Cut;
  once(decision: Record<string, unknown>): boolean; fetchImpl?: typeof fetch;
}): Promise<boolean> {
  if (input.seen.type !== "work.claimed" || input.seen.actor !== input.signer.did) return false;
  const item = input.work.get(String(input.seen.body.item));
  const delegations = delegationsIn(item?.description);
  if (item === undefined || delegations.length === 0) return false;
  if (!input.once({ action: "delegate", item: item.id, to: delegations.map((d) => d.agent) })) return false;
  for (const delegation of delegations) {
    await delegate({ signer: input.signer, space: input.space, item: item.id, delegation, tools: input.tools, cut: { ...input.cut, trigger: "delegation" }, ...(input.fetchImpl ? { fetchImpl: input.fetchImpl } : {}) });
  }
  return true;
}

/** The LLM brain's `delegate_to_agent` function (the item is the one the conversation is about). */
export function delegateFunction(signer: Signer, fetchImpl?: typeof fetch): ExtraFunction {
  return {
    spec: {
      name: "delegate_to_agent",
      description: "Hand a subtask of the current work item to another agent (its URL, e.g. https://edge/agents/comms-bot) over A2A; waits for its answer, which is linked to the item in the channel.",
      parameters: { type: "object", properties: { agent: { type: "string", description: "the agent's URL" }, text: { type: "string", description: "the subtask" } }, required: ["agent", "text"], additionalProperties: false },
    },
    async run(args, event): Promise<ToolAnswerLike> {
      const agent = typeof args.agent === "string" ? args.agent : "";
      const text = typeof args.text === "string" ? args.text.slice(0, 4000) : "";
      if (!/^https?:\/\//.test(agent) || text.length === 0) return { ok: false, text: "invalid-arguments: give {agent: <agent URL>, text: <subtask>}", structured: { status: "rejected" } };
      const item = event.item?.id ?? event.seen.id;
      const result = await delegate({ signer, space: event.space, item, delegation: { agent, text }, tools: event.tools, cut: event.cut, ...(fetchImpl ? { fetchImpl } : {}) });
      if ("error" in result) return { ok: false, text: `delegation-failed: ${result.error}`, structured: { status: "rejected" } };
      return { ok: true, text: `${result.state}: ${result.text}`, structured: { status: "success", taskId: result.taskId } };
    },
  };
}

/**
 * The delegatee's side: a subtask whose metadata names a space this agent is in is done
 * there — its result written as an artifact (kind "final": the space's policy may make it
 * wait for a human's approval) and recorded in the item's thread (from this agent, naming
 * the verified caller and the task) — and answered with what happened; anything else goes
 * to the agent's usual brain.
 */
export function delegateeBrain(fallback: Brain, spaceTools: (space: string) => SpaceTools | undefined, name: () => string): Brain {
  return {
    skill: fallback.skill,
    async *think(turn: Turn, signal: AbortSignal): AsyncIterable<Step> {
      const space = typeof turn.metadata?.[SPACE_METADATA] === "string" ? (turn.metadata[SPACE_METADATA] as string) : undefined;
      const item = typeof turn.metadata?.[ITEM_METADATA] === "string" ? (turn.metadata[ITEM_METADATA] as string) : undefined;
      const tools = space === undefined ? undefined : spaceTools(space);
      if (tools === undefined || item === undefined) {
        yield* fallback.think(turn, signal);
        return;
      }
      yield { kind: "working", text: `recording the subtask in ${space}` };
      // Its work product, an artifact: the space's policy decides whether it is written now or waits for a human.
      const artifact = await tools.call("write_artifact", {
        title: `${name()}: ${turn.text.slice(0, 150)}`, kind: "final",
        content: `Subtask from ${turn.caller} on ${item} (A2A task ${turn.taskId}):\n\n${turn.text.slice(0, 8000)}`,
      });
      const status = String(artifact.structured.status ?? (artifact.ok ? "success" : "rejected"));
      const outcome = status === "pending_approval" ? `waits for approval ${String(artifact.structured.approval)}` : status === "success" ? `written as ${String(artifact.structured.id)}` : `refused (${artifact.text.slice(0, 300)})`;
      const posted = await tools.call("post_message", {
        content: `${name()} took a subtask from ${turn.caller} (A2A task ${turn.taskId}): ${turn.text.slice(0, 4000)} — the result ${outcome}.`,
        threadRef: item,
        toolCalls: [
          { tool: "a2a.SendMessage", params: { from: turn.caller, taskId: turn.taskId }, result: "success" },
          { tool: "write_artifact", params: { kind: "final" }, result: status === "pending_approval" ? "pending_approval" : status === "success" ? "success" : "rejected" },
        ],
      });
      if (!posted.ok) {
        yield { kind: "rejected", text: `the space ${space} refused the record of this subtask: ${posted.text.slice(0, 500)}` };
        return;
      }
      yield { kind: "completed", text: `${name()} has it: recorded in ${space} as ${String(posted.structured.id)} (thread ${item}); the result ${outcome}.` };
    },
  };
}
