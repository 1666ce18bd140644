/**
 * The OpenAI-compatible chat-completions wire (what the LLM brain speaks), as pure pieces:
 * the request it sends, the reply it parses (zod, at the system edge: a model server is
 * outside our trust), and the streamed form — `text/event-stream` lines of
 * `chat.completion.chunk` objects ending in `data: [DONE]`, whose tool calls arrive as
 * `delta.tool_calls[{index, id, function:{name, arguments:""}}]` followed by argument
 * fragments for the same index. `ChunkAssembler` folds chunks back into the same
 * `AssistantTurn` a non-streamed reply decodes to, so the brain has one shape to read.
 *
 * Shapes: https://platform.openai.com/docs/api-reference/chat (and ../shared/RECIPES.md).
 */
import { z } from "zod";
import { CommonsError } from "../errors.js";

export interface ToolCall {
  id: string;
  name: string;
  /** The model's arguments, as the JSON text it wrote (parsed by the brain, which may refuse it). */
  arguments: string;
}

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> }
  | { role: "tool"; tool_call_id: string; content: string };

export interface FunctionSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: FunctionSpec[];
  stream?: boolean;
}

/** One assistant reply, however it arrived. */
export interface AssistantTurn {
  content: string | null;
  toolCalls: ToolCall[];
  /** "stop", "tool_calls", "length", "content_filter" or a server's own word. */
  finishReason: string;
}

export function encodeChatRequest(request: ChatRequest): string {
  return JSON.stringify({
    model: request.model,
    messages: request.messages,
    ...(request.tools && request.tools.length > 0 ? { tools: request.tools.map((f) => ({ type: "function", function: f })), tool_choice: "auto" } : {}),
    ...(request.stream ? { stream: true } : {}),
  });
}

const toolCallSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1).max(64), arguments: z.string().max(64_000) }),
});

const completionSchema = z.object({
  object: z.literal("chat.completion").optional(),
  choices: z.array(z.object({
    index: z.number().int().optional(),
    message: z.object({
      role: z.literal("assistant"),
      content: z.string().max(200_000).nullable().optional(),
      tool_calls: z.array(toolCallSchema).max(32).nullable().optional(),
    }),
    finish_reason: z.string().nullable().optional(),
  })).min(1),
});

const chunkSchema = z.object({
  object: z.literal("chat.completion.chunk").optional(),
  choices: z.array(z.object({
    index: z.number().int().optional(),
    delta: z.object({
      role: z.string().optional(),
      content: z.string().max(200_000).nullable().optional(),
      tool_calls: z.array(z.object({
        index: z.number().int().min(0).max(31),
        id: z.string().min(1).max(200).optional(),
        type: z.literal("function").optional(),
        function: z.object({ name: z.string().max(64).optional(), arguments: z.string().max(64_000).optional() }).optional(),
      })).max(32).nullable().optional(),
    }),
    finish_reason: z.string().nullable().optional(),
  })),
});

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CommonsError("llm-bad-reply", `the model server's ${what} is not JSON (${text.slice(0, 120)}): is COMMONS_LLM_URL an OpenAI-compatible chat-completions endpoint?`, { status: 502 });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CommonsError("llm-bad-reply", `the model server's ${what} does not fit the chat-completions shape (${issue?.path.join(".")}: ${issue?.message})`, { status: 502 });
  }
  return parsed.data;
}

/** A non-streamed `chat.completion` body → the first choice's turn. */
export function decodeChatCompletion(text: string): AssistantTurn {
  const choice = parse(completionSchema, text, "reply").choices[0]!;
  const calls = choice.message.tool_calls ?? [];
  return {
    content: choice.message.content ?? null,
    toolCalls: calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
    finishReason: choice.finish_reason ?? (calls.length > 0 ? "tool_calls" : "stop"),
  };
}

/** Folds `chat.completion.chunk`s (choice 0) into one turn; `push` answers the text delta, if any. */
export class ChunkAssembler {
  private content = "";
  private sawContent = false;
  private readonly calls = new Map<number, ToolCall>();
  private finish: string | undefined;

  push(data: string): string {
    const chunk = parse(chunkSchema, data, "stream chunk");
    const choice = chunk.choices.find((c) => (c.index ?? 0) === 0);
    if (choice === undefined) return "";
    const delta = choice.delta;
    for (const part of delta.tool_calls ?? []) {
      const call = this.calls.get(part.index) ?? { id: "", name: "", arguments: "" };
      if (part.id !== undefined) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      this.calls.set(part.index, call);
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    const text = delta.content ?? "";
    if (text.length > 0) {
      this.sawContent = true;
      this.content += text;
      if (this.content.length > 200_000) throw new CommonsError("llm-bad-reply", "the model's streamed reply passed 200,000 characters: refused", { status: 502 });
    }
    return text;
  }

  turn(): AssistantTurn {
    const toolCalls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    const broken = toolCalls.find((c) => c.id === "" || c.name === "");
    if (broken !== undefined) throw new CommonsError("llm-bad-reply", "a streamed tool call came without its id or function name", { status: 502 });
    return { content: this.sawContent ? this.content : null, toolCalls, finishReason: this.finish ?? (toolCalls.length > 0 ? "tool_calls" : "stop") };
  }
}

/**
 * The `data:` payloads of an SSE body, in order, up to `[DONE]` (comments, `event:` and
 * `id:` lines are skipped; multi-line data is joined by newlines, as the SSE spec says).
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer[newline] === "\r" ? 2 : 1));
        if (line === "") {
          if (data.length > 0) {
            const payload = data.join("\n");
            data = [];
            if (payload.trim() === "[DONE]") return;
            yield payload;
          }
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
        if (buffer.length > 1_000_000) throw new CommonsError("llm-bad-reply", "an SSE event from the model server passed 1 MB: refused", { status: 502 });
      }
    }
    if (data.length > 0 && data.join("\n").trim() !== "[DONE]") yield data.join("\n");
  } finally {
    reader.releaseLock();
  }
}
