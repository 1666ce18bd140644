/**
 * A raw A2A client for the agent tests inside workerd: the card, a caller's token, JSON-RPC
 * and HTTP+JSON calls through the Worker's real routes (`exports.default.fetch`), and SSE
 * read to its end. Raw on purpose: these tests check the wire, byte for byte where it matters.
 */
import { exports } from "cloudflare:workers";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";

export const ORIGIN = "http://edge.test";
export const agentUrl = (name: string) => `${ORIGIN}/agents/${name}`;

let unique = 0;
/** A fresh agent name per test, so tests never share tasks. */
export const freshAgent = (label: string) => `${label}-${Date.now().toString(36)}-${(unique++).toString(36)}`;

export const edgeFetch = (url: string, init?: RequestInit) => exports.default.fetch(url, init);

export async function cardOf(name: string): Promise<Record<string, any>> {
  const res = await edgeFetch(`${agentUrl(name)}/.well-known/agent-card.json`);
  if (res.status !== 200) throw new Error(`card of ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const didOf = (card: Record<string, any>) => card.capabilities.extensions[0].params.did as Did;

/** A caller with its own key and a token for `name`'s did. */
export async function caller(name: string, options: { methods?: string[]; ttlSeconds?: number; now?: number } = {}) {
  const signer = await Ed25519Signer.generate();
  const token = await issueAgentCapability(signer, { agent: didOf(await cardOf(name)), ...options });
  return { signer, token };
}

export interface CallOptions {
  token?: string;
  /** The A2A-Version header; null sends none. Default "1.0". */
  version?: string | null;
  id?: string | number | null;
  headers?: Record<string, string>;
}

function headersFor(options: CallOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
    ...(options.version === null ? {} : { "A2A-Version": options.version ?? "1.0" }),
    ...options.headers,
  };
}

/** POST a raw body to the JSON-RPC binding. */
export function rpcRaw(name: string, body: string, options: CallOptions = {}): Promise<Response> {
  return edgeFetch(agentUrl(name), { method: "POST", body, headers: headersFor(options, { "Content-Type": "application/json" }) });
}

/** One JSON-RPC call; the parsed body for a JSON answer. */
export async function rpc(name: string, method: string, params: unknown, options: CallOptions = {}) {
  const res = await rpcRaw(name, JSON.stringify({ jsonrpc: "2.0", id: options.id === undefined ? 1 : options.id, method, params }), options);
  const body = res.headers.get("Content-Type")?.startsWith("text/event-stream") ? await sseEvents(res) : await res.json();
  return { status: res.status, headers: res.headers, body: body as any };
}

/** A call on the HTTP+JSON binding at `path` beneath the agent. */
export async function restCall(name: string, method: string, path: string, body: unknown, options: CallOptions = {}) {
  const res = await edgeFetch(`${agentUrl(name)}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: headersFor(options, body === undefined ? {} : { "Content-Type": "application/json" }),
  });
  const parsed = res.headers.get("Content-Type")?.startsWith("text/event-stream") ? await sseEvents(res) : await res.json();
  return { status: res.status, headers: res.headers, body: parsed as any };
}

/** Every `data:` frame of an SSE response, parsed, until the stream ends. */
export async function sseEvents(res: Response): Promise<any[]> {
  const text = await res.text();
  return text.split("\n\n").filter((frame) => frame.trim() !== "").map((frame) => {
    const data = frame.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
    return { ...(frame.startsWith("event: error") ? { event: "error" } : {}), ...JSON.parse(data) };
  });
}

/** A v1.0 user message. */
export const userMessage = (messageId: string, text = "hello", extra: Record<string, unknown> = {}) => ({
  message: { messageId, role: "ROLE_USER", parts: [{ text }], ...extra },
});
