/**
 * The LLM brain (issue 12 item 6): a model behind an OpenAI-compatible chat-completions API
 * (core/a2a/chat-client.ts) thinking for an agent, behind the same two seams as the rules
 * brain:
 *
 *   A2A turns    `llmBrain(chat)` is a `Brain` (core/a2a/brain.ts): the caller's text goes to
 *                the model; a streamed answer becomes appended artifact chunks as it arrives.
 *   space events `LlmSpaceBrain.act` is handed a committed envelope the agent's triggers
 *                picked (mention, domain, keyword, handoff — the rules brain's, so the model
 *                is not asked about every envelope) and converses with the model, offering
 *                the space's MCP tools as functions (names and JSON schemas from the tools'
 *                own zod inputs). Every call runs through the same tiered MCP tools with the
 *                agent's own token, so policy applies: a refusal comes back to the model as a
 *                tool error; a tier-3 call answers `pending_approval` and the conversation
 *                waits (stored in `llm_waits`) until the space reports the decision in that
 *                approval's thread, then resumes. The model's last text is the report (a
 *                channel message with the conversation's `toolCalls`).
 *   timers       `due`: an item in its domains left unclaimed, a request left unanswered
 *                (the agent's alarm, durable-objects/agent-spaces-alarm.ts): the model is
 *                told what is due and decides (claim, volunteer, escalate, leave it).
 *   presence     before a call the policy would put to a human, `SpaceHolds.check` reads the
 *                approver's mode (core/a2a/modes.ts): monitoring or away, the call is held
 *                (the model is told, and goes on), kept with the conversation, and sent by
 *                `sendHeld` once the approver is active; its answer resumes the conversation.
 *
 * Every model reply leaves a `trace.recorded` (core/a2a/trace.ts): the cut it saw and the
 * calls or text it chose. At most `MAX_ROUNDS` replies per event: a model that never stops
 * is stopped, and says so in a trace.
 */
import { z } from "zod";
import type { Did } from "../identity/did.js";
import type { EnvelopeId } from "../log/ids.js";
import { TOOLS } from "../mcp/tools.js";
import type { SqlStorage } from "../storage/sql.js";
import type { Brain, SpaceBrain, Step, Turn } from "./brain.js";
import type { ChatClient } from "./chat-client.js";
import type { AssistantTurn, ChatMessage, FunctionSpec, ToolCall } from "./chat-wire.js";
import type { Seen } from "./rules-brain.js";
import { TRACE_KINDS, traceArgs } from "./trace.js";
import type { Considered, DueWatch, ExtraFunction, HeldCall, SpaceEvent, SpaceTools, ToolAnswerLike, ToolLog, Waiting } from "./llm-types.js";

export const MAX_ROUNDS = 8;

/** The space's MCP tools as chat-completions functions. */
export const SPACE_FUNCTIONS: FunctionSpec[] = TOOLS.map((tool) => {
  const { $schema: _drop, ...parameters } = z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { name: tool.name, description: tool.description, parameters };
});

export const LLM_TABLES = [
  `CREATE TABLE IF NOT EXISTS llm_waits (space TEXT NOT NULL, approval TEXT NOT NULL, state TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (space, approval))`,
];


export class LlmSpaceBrain implements SpaceBrain {
  constructor(
    private readonly chat: ChatClient,
    private readonly sql: SqlStorage,
    private readonly self: { did: Did; name: string },
    private readonly extras: readonly ExtraFunction[] = [],
  ) {
    for (const statement of LLM_TABLES) sql.exec(statement);
  }

  private get functions(): FunctionSpec[] {
    return [...SPACE_FUNCTIONS, ...this.extras.map((e) => e.spec)];
  }

  /** Whether this committed envelope resumes a conversation that waits for its approval. */
  resumes(space: string, seen: Seen): boolean {
    const thread = seen.body.threadRef;
    if (seen.type !== "channel.message" || typeof thread !== "string") return false;
    return this.sql.exec(`SELECT 1 FROM llm_waits WHERE space = ? AND approval = ?`, space, thread).length > 0;
  }

  /**
   * One committed envelope: a conversation about it if the triggers picked it, or the
   * continuation of one that waited for the approval it reports on. True if it did anything.
   */
  async consider(input: Considered): Promise<boolean> {
    const resumes = this.resumes(input.space, input.seen);
    const { triggered } = input;
    if (triggered.action === "ignore" && !resumes) return false;
    if (!input.once(resumes ? { brain: "llm", resumes: String(input.seen.body.threadRef) } : { brain: "llm", ...triggered })) return false;
    const trigger = resumes ? "approval-decided" : triggered.action === "ignore" ? undefined : triggered.trigger;
    const itemRef = "item" in triggered ? (typeof triggered.item === "string" ? triggered.item : triggered.item?.id) : undefined;
    const item = itemRef === undefined ? undefined : input.work.get(itemRef);
    const event: SpaceEvent = {
      space: input.space, domains: input.domains, seen: input.seen, work: [...input.work.values()], tools: input.tools, ...(input.holds ? { holds: input.holds } : {}),
      cut: { envelope: input.seen.id, type: input.seen.type, actor: input.seen.actor, commit: input.commit, cursor: input.arrival, ...(trigger ? { trigger } : {}) },
      ...(item ? { item } : {}),
    };
    await (resumes ? this.resume(event) : this.act(event));
    return true;
  }

  /** A new conversation about an envelope the triggers picked. */
  async act(event: SpaceEvent): Promise<void> {
    const messages: ChatMessage[] = [
      { role: "system", content: this.systemPrompt(event.space, event.domains) },
      { role: "user", content: describe(event) },
    ];
    await this.converse(event, { messages, log: [], ref: event.seen.id, thread: event.item?.id ?? event.seen.id });
  }

  /** The space reported the decision on an approval the conversation waited for: carry on from there. */
  async resume(event: SpaceEvent): Promise<void> {
    const approval = String(event.seen.body.threadRef);
    const [row] = this.sql.exec<{ state: string }>(`SELECT state FROM llm_waits WHERE space = ? AND approval = ?`, event.space, approval);
    if (row === undefined) return;
    // Taken before anything is done: a resumed conversation is never resumed twice.
    this.sql.exec(`DELETE FROM llm_waits WHERE space = ? AND approval = ?`, event.space, approval);
    const waiting = JSON.parse(row.state) as Waiting;
    const calls = (event.seen.body.toolCalls as Array<{ tool: string; result: ToolLog["result"] }> | undefined) ?? [];
    const outcome = calls[0]?.result ?? "rejected";
    const pending = waiting.log.find((l) => l.result === "pending_approval");
    if (pending) pending.result = outcome;
    waiting.messages.push({ role: "user", content: `The approval ${approval} was decided and the space reported: ${String(event.seen.body.content ?? "").slice(0, 4000)}` });
    await this.trace(event, TRACE_KINDS.llmResumed, `resumed after ${approval}: ${outcome}`, waiting.ref, { resumed: approval, outcome });
    await this.converse(event, waiting);
  }

  /** A timer come due: the model is told what is due and decides. */
  async due(input: DueWatch): Promise<void> {
    const seen: Seen = { id: input.target, type: `timer.${input.kind}`, actor: this.self.did, body: {} };
    const event: SpaceEvent = {
      space: input.space, domains: input.domains, seen, work: input.work, tools: input.tools, ...(input.holds ? { holds: input.holds } : {}),
      cut: { envelope: input.target, type: seen.type, actor: this.self.did, commit: null, cursor: input.cursor, trigger: input.kind },
      ...(input.item ? { item: input.item } : {}),
    };
    const due = input.kind === "unclaimed"
      ? `The work item ${input.target} is in your domains and has been open and unclaimed for ${input.afterSeconds} s. Claim it if it is yours to do, or escalate it to the owners (post_message mentioning them).`
      : `A request in your domains has had no answer for ${input.afterSeconds} s (message ${input.target}: ${JSON.stringify((input.content ?? "").slice(0, 2000))}). Volunteer (create_work_item in your domain, then claim_work_item), or leave it.`;
    const messages: ChatMessage[] = [
      { role: "system", content: this.systemPrompt(input.space, input.domains) },
      { role: "user", content: JSON.stringify({ timer: { kind: input.kind, target: input.target, afterSeconds: input.afterSeconds, due }, ...(input.item ? { item: input.item } : {}), work: input.work.filter((w) => w.status !== "completed").slice(0, 20) }) },
    ];
    await this.converse(event, { messages, log: [], ref: input.target, thread: input.target });
  }

  /** A held call, its approver active again: make it now; its answer (often pending_approval) goes on with the conversation. */
  async sendHeld(input: { space: string; domains: readonly string[]; tools: SpaceTools; held: HeldCall; cursor: number }): Promise<void> {
    const { held } = input;
    const state = held.state;
    const seen: Seen = { id: state.ref, type: "held.sent", actor: this.self.did, body: {} };
    // No holds here: the approver is active, the call is asked now.
    const event: SpaceEvent = {
      space: input.space, domains: input.domains, seen, work: [], tools: input.tools,
      cut: { envelope: state.ref, type: seen.type, actor: this.self.did, commit: null, cursor: input.cursor, trigger: "presence" },
    };
    const { content, logged, approval } = await this.run({ id: held.callId, name: held.tool, arguments: JSON.stringify(held.params) }, event);
    if (logged) state.log.push(logged);
    state.messages.push({ role: "user", content: `${held.held.approver} is active now, so your held call ${held.tool} was sent; it answered: ${content}` });
    await this.trace(event, TRACE_KINDS.llmSent, `sent the held ${held.tool} (${held.held.approver} is active)`, state.ref, { chose: { call: held.tool, arguments: held.params }, held: held.held, ...(approval ? { approval } : {}) });
    if (approval !== undefined) return this.wait(event, state, approval);
    await this.converse(event, state);
  }

  private systemPrompt(space: string, domains: readonly string[]): string {
    return [
      `You are ${this.self.name} (${this.self.did}), an agent in the Commons space "${space}". Your domains: ${domains.join(", ") || "none"}.`,
      "You act only through the functions, which are the space's tools; a human reviews everything in the shared channel.",
      "Protocol: assess fit; if the work item is unclaimed and yours, announce with claim_work_item before working; if someone else holds it, stand down.",
      "A call answered pending_approval waits for a human: do not ask again, you will be told the decision. A refused call is final: do not retry it, say so in your report.",
      "When you are done, answer with a short plain-text report (it is posted to the channel with the calls you made).",
    ].join("\n");
  }

  private async converse(event: SpaceEvent, state: Waiting): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let reply: AssistantTurn;
      try {
        reply = await this.chat.complete(state.messages, this.functions);
      } catch (error) {
        await this.trace(event, TRACE_KINDS.llmFailed, `the model did not answer: ${(error as Error).message}`, state.ref, { error: (error as Error).message, round });
        return;
      }
      state.messages.push({
        role: "assistant", content: reply.content,
        ...(reply.toolCalls.length > 0 ? { tool_calls: reply.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
      });
      const chose = reply.toolCalls.length > 0 ? { calls: reply.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })) } : { text: reply.content ?? "" };
      const summary = reply.toolCalls.length > 0 ? `chose ${reply.toolCalls.map((c) => c.name).join(", ")}` : `reported: ${(reply.content ?? "").slice(0, 200)}`;
      await this.trace(event, TRACE_KINDS.llmChose, summary, state.ref, { chose, model: this.chat.model, round, finish: reply.finishReason });
      if (reply.toolCalls.length === 0) {
        if (reply.content && reply.content.trim().length > 0) {
          await event.tools.call("post_message", { content: reply.content.slice(0, 32_000), threadRef: state.thread, ...(state.log.length > 0 ? { toolCalls: state.log.slice(-32) } : {}) });
        }
        return;
      }
      let waitingFor: string | undefined;
      const heldNow: Array<Omit<HeldCall, "state">> = [];
      for (const call of reply.toolCalls) {
        const { content, logged, approval, held } = await this.run(call, event, state.thread);
        state.messages.push({ role: "tool", tool_call_id: call.id, content });
        if (logged) state.log.push(logged);
        if (held) heldNow.push(held);
        waitingFor ??= approval;
      }
      // A held call goes on from the conversation as it stands after this round.
      for (const held of heldNow) {
        event.holds!.keep({ ...held, state: JSON.parse(JSON.stringify(state)) as Waiting });
        await this.trace(event, TRACE_KINDS.llmHeld, `held back ${held.tool}: ${held.held.approver} is ${held.held.mode}`, state.ref, { chose: { call: held.tool, arguments: held.params }, held: held.held });
      }
      if (waitingFor !== undefined) return this.wait(event, state, waitingFor);
    }
    await this.trace(event, TRACE_KINDS.llmFailed, `stopped after ${MAX_ROUNDS} model replies without a report`, state.ref, { error: "too-many-rounds" });
  }

  private async wait(event: SpaceEvent, state: Waiting, approval: string): Promise<void> {
    this.sql.exec(`INSERT OR REPLACE INTO llm_waits (space, approval, state, at_ms) VALUES (?, ?, ?, ?)`, event.space, approval, JSON.stringify(state), Date.now());
    await this.trace(event, TRACE_KINDS.llmWaiting, `waits for approval ${approval}`, state.ref, { waiting: approval });
  }

  /** One function call → the tool message the model reads next (a refusal is a tool error, not an exception; a held call says so). */
  private async run(call: ToolCall, event: SpaceEvent, thread?: string): Promise<{ content: string; logged?: ToolLog; approval?: string; held?: Omit<HeldCall, "state"> }> {
    const extra = this.extras.find((e) => e.spec.name === call.name);
    if (extra === undefined && !SPACE_FUNCTIONS.some((f) => f.name === call.name)) {
      return { content: JSON.stringify({ error: "unknown-function", message: `no function ${call.name}: use one of the functions offered` }) };
    }
    let args: unknown;
    try {
      args = JSON.parse(call.arguments || "{}");
    } catch {
      return { content: JSON.stringify({ error: "invalid-arguments", message: `the arguments of ${call.name} are not JSON: send a JSON object` }) };
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      return { content: JSON.stringify({ error: "invalid-arguments", message: `the arguments of ${call.name} must be a JSON object` }) };
    }
    const params = args as Record<string, unknown>;
    const held = extra === undefined && event.holds !== undefined ? await event.holds.check(call.name, params, thread ?? event.seen.id) : null;
    if (held !== null) {
      return {
        content: JSON.stringify({ status: "held", approver: held.approver, mode: held.mode, message: `${held.reason}. ${held.approver} is ${held.mode}: the call is held back and made when they are active; you will be told its answer. Go on with other work.` }),
        held: { callId: call.id, tool: call.name, params: jsonOnly(params), held },
      };
    }
    let answer: ToolAnswerLike;
    try {
      answer = extra ? await extra.run(params, event) : await event.tools.call(call.name, params);
    } catch (error) {
      return { content: JSON.stringify({ error: "tool-failed", message: (error as Error).message }), logged: { tool: call.name, params: jsonOnly(params), result: "rejected" } };
    }
    const status = String(answer.structured.status ?? (answer.ok ? "success" : "rejected"));
    const result: ToolLog["result"] = status === "pending_approval" ? "pending_approval" : answer.ok && status === "success" ? "success" : "rejected";
    const logged = { tool: call.name, params: jsonOnly(params), result };
    if (result === "pending_approval") {
      return {
        content: JSON.stringify({ status, approval: answer.structured.approval, message: `${answer.text}. The space runs it once, when the approver decides; you will be told. Do not ask again.` }),
        logged, approval: String(answer.structured.approval),
      };
    }
    return { content: JSON.stringify(result === "success" ? { status, result: answer.text.slice(0, 8000) } : { status: "rejected", error: answer.text.slice(0, 8000) }), logged };
  }

  private async trace(event: SpaceEvent, kind: string, summary: string, ref: EnvelopeId, data: Record<string, unknown>): Promise<void> {
    const { chose = null, ...extra } = data;
    await event.tools.call("record_trace", traceArgs(kind, summary, ref, event.cut, chose, { brain: "llm", ...extra }));
  }
}

/** The event as the model reads it: JSON, bodies cut short. */
function describe(event: SpaceEvent): string {
  const body = Object.fromEntries(Object.entries(event.seen.body).map(([k, v]) => [k, typeof v === "string" ? v.slice(0, 4000) : v]));
  return JSON.stringify({
    event: { id: event.seen.id, type: event.seen.type, from: event.seen.actor, body, commit: event.cut.commit, trigger: event.cut.trigger },
    ...(event.item ? { item: event.item } : {}),
    work: event.work.filter((w) => w.status !== "completed").slice(0, 20),
  });
}

/** Params as the channel's toolCalls log takes them (JSON values only). */
function jsonOnly(params: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
}

/** The LLM brain behind the A2A `Brain` interface: the caller's text to the model, the answer streamed back. */
export function llmBrain(chat: ChatClient, who: () => { name: string; domains: readonly string[] }): Brain {
  return {
    skill: { id: "llm", name: "Language model", description: "Answers through a chat-completions model" },
    async *think(turn: Turn, signal: AbortSignal): AsyncIterable<Step> {
      const me = who();
      const chunks: string[] = [];
      let wake: () => void = () => {};
      let finished = false;
      const answer = chat.complete(
        [{ role: "system", content: `You are ${me.name}, a Commons agent (domains: ${me.domains.join(", ") || "none"}). Answer the caller briefly.` }, { role: "user", content: turn.text }],
        [], { signal, onText: (text) => { chunks.push(text); wake(); } },
      ).finally(() => { finished = true; wake(); });
      answer.catch(() => {}); // awaited below; this only keeps an early rejection from being unhandled
      yield { kind: "working" };
      let first = true;
      while (!finished || chunks.length > 0) {
        if (chunks.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        yield { kind: "artifact", name: "answer", text: chunks.splice(0).join(""), append: !first };
        first = false;
      }
      let reply: AssistantTurn;
      try {
        reply = await answer;
      } catch (error) {
        yield { kind: "failed", text: (error as Error).message };
        return;
      }
      if (first) yield { kind: "artifact", name: "answer", text: reply.content ?? "", lastChunk: true };
      yield { kind: "completed", text: reply.content ?? "" };
    },
  };
}
