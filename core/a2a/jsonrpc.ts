/**
 * The JSON-RPC 2.0 envelope of an agent's A2A binding, read before the SDK's transport
 * handler runs, because the handler reports every malformed envelope as invalid params: the
 * JSON-RPC spec (and the A2A TCK) want -32700 for unparseable JSON, -32600 for an invalid
 * request object (a batch included: A2A sends one call per request), -32601 for an unknown
 * method. Pure functions: text in, a request or the error response out.
 */
import { A2A_ERROR_CODE, toJsonRpcError } from "@a2a-js/sdk/errors";
import type { CommonsError } from "../errors.js";

export type RpcId = string | number | null;

export interface RpcRequest {
  jsonrpc: "2.0";
  id?: RpcId;
  method: string;
  params?: unknown;
}

export interface RpcErrorResponse {
  jsonrpc: "2.0";
  id: RpcId;
  error: { code: number; message: string; data?: unknown };
}

/** The methods of the v1.0 JSON-RPC binding (spec §9.4), push configuration included. */
export const RPC_METHODS = new Set([
  "SendMessage", "SendStreamingMessage", "GetTask", "ListTasks", "CancelTask", "SubscribeToTask",
  "CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig", "ListTaskPushNotificationConfigs",
  "DeleteTaskPushNotificationConfig", "GetExtendedAgentCard",
]);

/** Methods answered with an SSE stream. */
export const STREAMING_METHODS = new Set(["SendStreamingMessage", "SubscribeToTask"]);

/** The Commons domain of ErrorInfo details for errors A2A does not define (authentication). */
export const COMMONS_ERROR_DOMAIN = "commons";
/**
 * JSON-RPC code for a refused caller: A2A defines none and reserves -32001…-32099 for its
 * own errors (-32001 is TaskNotFound), so the caller refusals use -32000, the one server
 * code left; the ErrorInfo reason and the HTTP status (401/403) say which refusal it is.
 */
export const CALLER_REFUSED = -32000;

export function rpcError(id: RpcId, code: number, message: string, data?: unknown): RpcErrorResponse {
  return { jsonrpc: "2.0", id, error: { code, message, ...(data === undefined ? {} : { data }) } };
}

/** An SDK or A2A error (TaskNotFound, VersionNotSupported, …) as a response with its ErrorInfo. */
export function a2aRpcError(id: RpcId, error: unknown): RpcErrorResponse {
  return { jsonrpc: "2.0", id, error: toJsonRpcError(error) };
}

/** A refused caller (401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED) with the stable Commons code. */
export function callerRpcError(id: RpcId, error: CommonsError): RpcErrorResponse {
  return rpcError(id, CALLER_REFUSED, error.message, [errorInfo(error)]);
}

/** `google.rpc.ErrorInfo` for a Commons refusal. */
export function errorInfo(error: CommonsError): Record<string, unknown> {
  return {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    reason: error.status === 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED",
    domain: COMMONS_ERROR_DOMAIN,
    metadata: { code: error.code },
  };
}

/** Reads one JSON-RPC request from `text`, or the error response that answers it. */
export function readRpcRequest(text: string): { request: RpcRequest } | { error: RpcErrorResponse } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: rpcError(null, A2A_ERROR_CODE.PARSE_ERROR, "Invalid JSON payload: send one JSON-RPC 2.0 request object.") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? "a batch (A2A sends one call per request)" : "not an object";
    return { error: rpcError(null, A2A_ERROR_CODE.INVALID_REQUEST, `Invalid Request: the body is ${what}.`) };
  }
  const body = value as Record<string, unknown>;
  const id = body.id;
  const idValid = id === undefined || id === null || typeof id === "string" || (typeof id === "number" && Number.isInteger(id));
  const echo: RpcId = idValid ? ((id as RpcId | undefined) ?? null) : null;
  if (!idValid) return { error: rpcError(null, A2A_ERROR_CODE.INVALID_REQUEST, "Invalid Request: id must be a string, an integer or null.") };
  if (body.jsonrpc !== "2.0") return { error: rpcError(echo, A2A_ERROR_CODE.INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be exactly "2.0".') };
  if (typeof body.method !== "string" || body.method === "") {
    return { error: rpcError(echo, A2A_ERROR_CODE.INVALID_REQUEST, 'Invalid Request: "method" must be a method name, e.g. "SendMessage".') };
  }
  if (!RPC_METHODS.has(body.method)) {
    return { error: rpcError(echo, A2A_ERROR_CODE.METHOD_NOT_FOUND, `Method not found: ${body.method}. This agent speaks A2A v1.0: ${[...RPC_METHODS].slice(0, 6).join(", ")}, ….`) };
  }
  return { request: body as unknown as RpcRequest };
}

/** The id to echo in any later error for `request`. */
export function idOf(request: RpcRequest): RpcId {
  return request.id ?? null;
}
