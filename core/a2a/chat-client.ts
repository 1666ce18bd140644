/**
 * The LLM brain's client of an OpenAI-compatible chat-completions API: one `complete` call,
 * streamed (`stream: true`, SSE) or not, answering the same `AssistantTurn`. Configured
 * from the edge's variables or secrets (`COMMONS_LLM_URL`, `COMMONS_LLM_MODEL`,
 * `COMMONS_LLM_KEY`); `fetch` is passed in so it runs in workerd, Node or a browser alike.
 *
 * `COMMONS_LLM_URL` is the API's base (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`)
 * or the full `…/chat/completions` URL.
 */
import { CommonsError } from "../errors.js";
import { ChunkAssembler, decodeChatCompletion, encodeChatRequest, sseData, type AssistantTurn, type ChatMessage, type FunctionSpec } from "./chat-wire.js";

export interface LlmConfig {
  url: string;
  model: string;
  key?: string;
  /** Ask for SSE (default true: a long answer shows as it comes). */
  stream?: boolean;
}

export interface LlmEnv {
  COMMONS_LLM_URL?: string;
  COMMONS_LLM_MODEL?: string;
  COMMONS_LLM_KEY?: string;
  /** "0" asks for whole replies instead of SSE. */
  COMMONS_LLM_STREAM?: string;
}

/** The config from the edge's environment, or undefined when no model is configured. */
export function llmConfigFrom(env: LlmEnv): LlmConfig | undefined {
  const url = env.COMMONS_LLM_URL?.trim();
  if (!url) return undefined;
  return { url, model: env.COMMONS_LLM_MODEL?.trim() || "gpt-4o-mini", ...(env.COMMONS_LLM_KEY ? { key: env.COMMONS_LLM_KEY } : {}), stream: env.COMMONS_LLM_STREAM !== "0" };
}

export function completionsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith("/chat/completions") ? trimmed : `${trimmed}/chat/completions`;
}

export class ChatClient {
  /** The default calls the global `fetch` unbound from this object (workerd refuses a `fetch` called as a method: "Illegal invocation"). */
  constructor(private readonly config: LlmConfig, private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {}

  get model(): string {
    return this.config.model;
  }

  /** One model turn. `onText` sees streamed text as it arrives (never called when not streaming). */
  async complete(messages: ChatMessage[], tools: FunctionSpec[], options: { signal?: AbortSignal; onText?: (text: string) => void } = {}): Promise<AssistantTurn> {
    const stream = this.config.stream ?? true;
    const url = completionsUrl(this.config.url);
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: stream ? "text/event-stream" : "application/json",
          ...(this.config.key ? { Authorization: `Bearer ${this.config.key}` } : {}),
        },
        body: encodeChatRequest({ model: this.config.model, messages, tools, stream }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new CommonsError("llm-unreachable", `could not reach the model at ${url} (${(error as Error).message}): check COMMONS_LLM_URL`, { status: 502, cause: error });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw new CommonsError("llm-refused", `the model server answered ${res.status} (${text.slice(0, 200)}): check COMMONS_LLM_MODEL and COMMONS_LLM_KEY`, { status: 502 });
    }
    const type = res.headers.get("content-type") ?? "";
    // A server may answer a whole reply even when asked to stream: read what it sent.
    if (!type.includes("text/event-stream")) return decodeChatCompletion(await res.text());
    if (res.body === null) throw new CommonsError("llm-bad-reply", "the model server's stream has no body", { status: 502 });
    const assembler = new ChunkAssembler();
    for await (const data of sseData(res.body)) {
      const text = assembler.push(data);
      if (text.length > 0) options.onText?.(text);
    }
    return assembler.turn();
  }
}
