/**
 * The chat-completions wire and client (core/a2a/chat-wire.ts, chat-client.ts) against the
 * wire-true double (test/support/chat-double.ts), a real HTTP server on loopback: whole
 * replies and SSE streams (tool-call deltas assembled from fragments, text streamed as it
 * comes), the A2A `Brain` over it, and what a hostile or broken model server gets refused.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Did } from "../../../core/identity/did.js";
import { ChatClient, completionsUrl, llmConfigFrom } from "../../../core/a2a/chat-client.js";
import { ChunkAssembler, decodeChatCompletion, encodeChatRequest, sseData } from "../../../core/a2a/chat-wire.js";
import { llmBrain, SPACE_FUNCTIONS } from "../../../core/a2a/llm-brain.js";
import type { Step } from "../../../core/a2a/brain.js";
import { MCP_TOOLS } from "../../../core/policy/catalogue.js";
import { startChatDouble, type ChatDouble } from "../../support/chat-double.js";

let double: ChatDouble | undefined;
afterEach(async () => {
  await double?.close();
  double = undefined;
});

const claim = { name: "claim_work_item", arguments: { item: "sha256:abc", note: "mine: a \"quoted\" note, long enough to be cut in fragments" } };

describe("the chat-completions wire", () => {
  it("sends model, messages and the space's tools as functions, with the key as a bearer", async () => {
    double = await startChatDouble(() => ({ content: "ok" }));
    const chat = new ChatClient({ url: double.url, model: "test-model", key: "sk-test", stream: false });
    await chat.complete([{ role: "user", content: "hi" }], SPACE_FUNCTIONS);
    const [seen] = double.requests;
    expect(seen!.model).toBe("test-model");
    expect(seen!.headers.authorization).toBe("Bearer sk-test");
    expect(seen!.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(seen!.tools!.map((t) => t.function.name).sort()).toEqual([...MCP_TOOLS].sort());
    const post = seen!.tools!.find((t) => t.function.name === "post_message")!;
    expect(post.type).toBe("function");
    expect(post.function.parameters).toMatchObject({ type: "object", required: ["content"], properties: { content: { type: "string" } } });
  });

  it("reads a whole reply's tool calls and a streamed reply's fragments into the same turn", async () => {
    double = await startChatDouble(() => ({ content: "thinking aloud", toolCalls: [claim, { name: "post_message", arguments: { content: "on it" } }] }));
    const whole = await new ChatClient({ url: double.url, model: "m", stream: false }).complete([{ role: "user", content: "go" }], []);
    const pieces: string[] = [];
    const streamed = await new ChatClient({ url: double.url, model: "m", stream: true }).complete([{ role: "user", content: "go" }], [], { onText: (t) => pieces.push(t) });
    expect(double.requests.map((r) => r.stream ?? false)).toEqual([false, true]);
    expect(whole.finishReason).toBe("tool_calls");
    expect(whole.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([[claim.name, claim.arguments], ["post_message", { content: "on it" }]]);
    // The stream came in pieces (text in 7-character deltas, arguments in 5-character fragments) and assembles to the same turn.
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("thinking aloud");
    expect({ ...streamed, toolCalls: streamed.toolCalls.map((c) => ({ ...c, id: "" })) }).toEqual({ ...whole, toolCalls: whole.toolCalls.map((c) => ({ ...c, id: "" })) });
  });

  it("encodes no tools field when none are offered, and tool_choice auto when some are", () => {
    expect(JSON.parse(encodeChatRequest({ model: "m", messages: [] }))).toEqual({ model: "m", messages: [] });
    expect(JSON.parse(encodeChatRequest({ model: "m", messages: [], tools: [SPACE_FUNCTIONS[0]!], stream: true }))).toMatchObject({ tool_choice: "auto", stream: true, tools: [{ type: "function" }] });
  });

  it("refuses replies that do not fit the shape, with a code and what to check", async () => {
    expect(() => decodeChatCompletion("<html>")).toThrow(expect.objectContaining({ code: "llm-bad-reply", message: expect.stringContaining("COMMONS_LLM_URL") }));
    expect(() => decodeChatCompletion(JSON.stringify({ choices: [] }))).toThrow(expect.objectContaining({ code: "llm-bad-reply" }));
    expect(() => decodeChatCompletion(JSON.stringify({ choices: [{ message: { role: "assistant", tool_calls: [{ id: "x", function: { name: "a".repeat(65), arguments: "{}" } }] } }] }))).toThrow(expect.objectContaining({ code: "llm-bad-reply" }));
    // A streamed tool call that never named its function is refused rather than guessed.
    const assembler = new ChunkAssembler();
    assembler.push(JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, finish_reason: "tool_calls" }] }));
    expect(() => assembler.turn()).toThrow(expect.objectContaining({ code: "llm-bad-reply" }));
    // An oversized streamed reply is cut off.
    const big = new ChunkAssembler();
    const piece = JSON.stringify({ choices: [{ index: 0, delta: { content: "x".repeat(150_000) } }] });
    big.push(piece);
    expect(() => big.push(piece)).toThrow(expect.objectContaining({ code: "llm-bad-reply" }));
  });

  it("says what to check when the server refuses or is unreachable", async () => {
    double = await startChatDouble(() => ({ status: 401, error: "invalid api key" }));
    await expect(new ChatClient({ url: double.url, model: "m" }).complete([{ role: "user", content: "x" }], [])).rejects.toMatchObject({ code: "llm-refused", message: expect.stringContaining("COMMONS_LLM_KEY") });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new ChatClient({ url: `http://127.0.0.1:${port}/v1`, model: "m" }).complete([{ role: "user", content: "x" }], [])).rejects.toMatchObject({ code: "llm-unreachable" });
  });

  it("takes its config from the environment's COMMONS_LLM_* variables", () => {
    expect(llmConfigFrom({})).toBeUndefined();
    expect(llmConfigFrom({ COMMONS_LLM_URL: "http://x/v1", COMMONS_LLM_KEY: "k", COMMONS_LLM_MODEL: "mm" })).toEqual({ url: "http://x/v1", model: "mm", key: "k", stream: true });
    expect(llmConfigFrom({ COMMONS_LLM_URL: "http://x/v1", COMMONS_LLM_STREAM: "0" })).toMatchObject({ stream: false, model: "gpt-4o-mini" });
    expect(completionsUrl("http://x/v1/")).toBe("http://x/v1/chat/completions");
    expect(completionsUrl("http://x/v1/chat/completions")).toBe("http://x/v1/chat/completions");
  });
});

describe("golden vectors of the wire", () => {
  it("encodes a request to exactly these bytes", () => {
    const fn = { name: "post_message", description: "Post.", parameters: { type: "object", properties: { content: { type: "string" } }, required: ["content"] } };
    expect(encodeChatRequest({ model: "m-1", messages: [{ role: "system", content: "s" }, { role: "user", content: "u" }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "post_message", arguments: "{\"content\":\"x\"}" } }] }, { role: "tool", tool_call_id: "c1", content: "ok" }], tools: [fn], stream: true })).toBe(
      '{"model":"m-1","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"post_message","arguments":"{\\"content\\":\\"x\\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],"tools":[{"type":"function","function":{"name":"post_message","description":"Post.","parameters":{"type":"object","properties":{"content":{"type":"string"}},"required":["content"]}}}],"tool_choice":"auto","stream":true}',
    );
  });

  it("decodes a fixed reply and a fixed SSE transcript to the same turn", () => {
    const reply = '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"claim_work_item","arguments":"{\\"item\\":\\"sha256:ab\\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
    const expected = { content: null, toolCalls: [{ id: "call_a", name: "claim_work_item", arguments: '{"item":"sha256:ab"}' }], finishReason: "tool_calls" };
    expect(decodeChatCompletion(reply)).toEqual(expected);
    const chunks = [
      '{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}',
      '{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"claim_work_item","arguments":""}}]},"finish_reason":null}]}',
      '{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"item\\":"}}]},"finish_reason":null}]}',
      '{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"sha256:ab\\"}"}}]},"finish_reason":null}]}',
      '{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
    ];
    const assembler = new ChunkAssembler();
    for (const chunk of chunks) assembler.push(chunk);
    expect(assembler.turn()).toEqual(expected);
  });
});

describe("reading an SSE body", () => {
  it("yields data payloads in order, skipping comments and other fields, joining multi-line data, CRLF or LF, stopping at [DONE]", async () => {
    const text = ': keep-alive\r\nevent: chunk\r\ndata: {"a":1}\r\n\r\ndata: {"b":\ndata: 2}\n\nid: 7\n\ndata: [DONE]\n\ndata: {"after":"done"}\n\n';
    const bytes = new TextEncoder().encode(text);
    // Split mid-line, so a line arrives across two reads.
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes.slice(0, 23)); c.enqueue(bytes.slice(23)); c.close(); } });
    const seen: string[] = [];
    for await (const data of sseData(body)) seen.push(data);
    expect(seen).toEqual(['{"a":1}', '{"b":\n2}']);
  });
});

describe("the LLM brain for A2A turns", () => {
  const turn = { caller: "did:key:z6Mkcaller" as Did, messageId: "m1", text: "what is the status?", taskId: "t1", contextId: "c1", continuing: false };

  it("streams the model's answer as appended artifact chunks, then completes with it", async () => {
    double = await startChatDouble(() => ({ content: "All systems nominal, cert rotated at 09:14." }));
    const steps: Step[] = [];
    const brain = llmBrain(new ChatClient({ url: double.url, model: "m", stream: true }), () => ({ name: "ops-bot", domains: ["ops"] }));
    for await (const step of brain.think(turn, new AbortController().signal)) steps.push(step);
    expect(double.requests[0]!.messages.at(-1)).toEqual({ role: "user", content: "what is the status?" });
    expect(steps[0]).toEqual({ kind: "working" });
    const chunks = steps.filter((s): s is Extract<Step, { kind: "artifact" }> => s.kind === "artifact");
    expect(chunks.map((c) => c.text).join("")).toBe("All systems nominal, cert rotated at 09:14.");
    expect(chunks.slice(1).every((c) => c.append === true)).toBe(true);
    expect(steps.at(-1)).toEqual({ kind: "completed", text: "All systems nominal, cert rotated at 09:14." });
  });

  it("fails the task, with the reason, when the model server refuses", async () => {
    double = await startChatDouble(() => ({ status: 500, error: "overloaded" }));
    const steps: Step[] = [];
    for await (const step of llmBrain(new ChatClient({ url: double.url, model: "m" }), () => ({ name: "a", domains: [] })).think(turn, new AbortController().signal)) steps.push(step);
    expect(steps.at(-1)).toMatchObject({ kind: "failed", text: expect.stringContaining("500") });
  });
});
