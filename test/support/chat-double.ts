/**
 * A wire-true double of an OpenAI-compatible chat-completions API, for tests of the LLM
 * brain (no model weights are reachable here; ../shared/RECIPES.md): a real node HTTP
 * server on loopback answering `POST /v1/chat/completions` with the real shapes — a
 * `chat.completion` object (choices, `message.tool_calls` with JSON-string arguments,
 * `finish_reason`, usage), or with `stream: true` a `text/event-stream` of
 * `chat.completion.chunk`s (role first, tool calls as `{index, id, type, function:{name,
 * arguments:""}}` then argument fragments, content in pieces, `finish_reason` last) and
 * `data: [DONE]`. The official `openai` client reads both (test/core/a2a/llm-brain.test.ts).
 *
 * Each test scripts it: `reply(request)` sees the request the brain sent (messages, tools)
 * and answers what the "model" says next. Every request is kept for assertions, and
 * `next()` resolves when the next one arrives (tests wait on that, never on a timer).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatRequestSeen {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: "function"; function: { name: string; description: string; parameters: Record<string, unknown> } }>;
  stream?: boolean;
  headers: Record<string, string | string[] | undefined>;
}

/** What the scripted model answers: text, function calls, or an HTTP error. */
export type ScriptedReply =
  | { content: string; toolCalls?: undefined }
  | { content?: string | null; toolCalls: Array<{ name: string; arguments: Record<string, unknown> | string }> }
  | { status: number; error: string };

export interface ChatDouble {
  /** The API base to give the brain (`COMMONS_LLM_URL`), e.g. http://127.0.0.1:1234/v1. */
  url: string;
  requests: ChatRequestSeen[];
  /** Resolves with the next request (counting from those already seen when called). */
  next(): Promise<ChatRequestSeen>;
  close(): Promise<void>;
}

let ids = 0;

export async function startChatDouble(reply: (request: ChatRequestSeen, index: number) => ScriptedReply): Promise<ChatDouble> {
  const requests: ChatRequestSeen[] = [];
  const waiters: Array<{ at: number; resolve: (r: ChatRequestSeen) => void }> = [];
  const server: Server = createServer(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" } }));
      return;
    }
    const request = { ...(JSON.parse(await bodyOf(req)) as Omit<ChatRequestSeen, "headers">), headers: req.headers };
    const index = requests.push(request) - 1;
    for (const w of waiters.splice(0)) (w.at <= index ? w.resolve(request) : waiters.push(w));
    const answer = reply(request, index);
    if ("status" in answer) {
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: answer.error, type: "server_error", code: null } }));
      return;
    }
    const id = `chatcmpl-double-${++ids}`;
    const created = Math.floor(Date.now() / 1000);
    const calls = (answer.toolCalls ?? []).map((c, i) => ({
      id: `call_${ids}_${i}`, type: "function" as const,
      function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) },
    }));
    const finish = calls.length > 0 ? "tool_calls" : "stop";
    if (!request.stream) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
        id, object: "chat.completion", created, model: request.model, system_fingerprint: "fp_double",
        choices: [{ index: 0, message: { role: "assistant", content: answer.content ?? null, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) }, logprobs: null, finish_reason: finish }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, system_fingerprint: "fp_double", choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`);
    chunk({ role: "assistant", content: "" });
    const text = answer.content ?? "";
    for (let at = 0; at < text.length; at += 7) chunk({ content: text.slice(at, at + 7) });
    calls.forEach((call, index) => {
      chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
      const args = call.function.arguments;
      for (let at = 0; at < args.length; at += 5) chunk({ tool_calls: [{ index, function: { arguments: args.slice(at, at + 5) } }] });
    });
    chunk({}, finish);
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    next: () => new Promise((resolve) => waiters.push({ at: requests.length, resolve })),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

/** The last tool message the brain sent (what a tool call answered, as the model reads it). */
export function lastToolResult(request: ChatRequestSeen): Record<string, unknown> | undefined {
  const message = [...request.messages].reverse().find((m) => m.role === "tool");
  return message?.content ? (JSON.parse(message.content) as Record<string, unknown>) : undefined;
}
