/**
 * The JSON-RPC binding (spec §9) at `POST /agents/:name`. In order, each step answering
 * its own refusal with the request's id whenever one could be read:
 *
 *   body ≤ 1 MiB and JSON (-32700), one valid request object (-32600), a known method
 *   (-32601) → the caller (HTTP 401/403, -32000 with ErrorInfo UNAUTHENTICATED /
 *   PERMISSION_DENIED) → A2A-Version (-32009) → params (-32602) → the SDK's
 *   JsonRpcTransportHandler, whose A2A errors (-32001 TaskNotFound, -32002 …) carry
 *   `google.rpc.ErrorInfo` in `data`.
 *
 * JSON-RPC errors are answered with HTTP 200 (JSON-RPC over HTTP; the TCK expects it),
 * caller refusals with 401/403 and a `WWW-Authenticate` challenge, as spec §7.4 asks.
 */
import { A2A_ERROR_CODE, ContentTypeNotSupportedError } from "@a2a-js/sdk/errors";
import { JsonRpcTransportHandler } from "@a2a-js/sdk/server";
import { a2aRpcError, callerRpcError, idOf, readRpcRequest, rpcError, STREAMING_METHODS, type RpcId } from "../core/a2a/jsonrpc.js";
import { checkParams } from "../core/a2a/params.js";
import { openStream, sseBody, SSE_RESPONSE_HEADERS } from "../core/a2a/sse.js";
import { extensionHeaders, isCallerRefusal, openCall, readBody, refusalHeaders, type AgentDeps } from "./agent-http.js";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => Response.json(body, { status, headers });

export async function jsonRpc(deps: AgentDeps, request: Request): Promise<Response> {
  // Read first, whatever the answer: workerd logs a body left unread when the response goes out.
  const text = await readBody(request);
  if (text === null) return json(rpcError(null, A2A_ERROR_CODE.INVALID_REQUEST, "Invalid Request: the body is larger than 1 MiB."), 413);
  const contentType = request.headers.get("Content-Type");
  if (contentType !== null && contentType.split(";")[0]!.trim().toLowerCase() !== "application/json") {
    return json(a2aRpcError(null, new ContentTypeNotSupportedError(`The JSON-RPC binding reads application/json, not "${contentType}".`)));
  }
  const read = readRpcRequest(text);
  if ("error" in read) return json(read.error);
  const call = read.request;
  const id = idOf(call);
  let opened;
  try {
    opened = await openCall(deps, request, "JSONRPC", call.method);
    checkParams(call.method, call.params);
  } catch (error) {
    if (isCallerRefusal(error)) return json(callerRpcError(id, error), error.status, refusalHeaders(error, deps));
    return json(a2aRpcError(id, error));
  }
  const result = await new JsonRpcTransportHandler(opened.handler).handle(call as never, opened.context);
  const headers = extensionHeaders(opened.context);
  if (!STREAMING_METHODS.has(call.method) || !isStream(result)) return json(result, 200, headers);
  return stream(result, id, headers);
}

type Stream = AsyncGenerator<unknown, void, undefined>;

function isStream(value: unknown): value is Stream {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] === "function";
}

/** Awaits the first event, so an up-front error (unknown task, terminal task) is plain JSON. */
async function stream(events: Stream, id: RpcId, headers: Record<string, string>): Promise<Response> {
  const opened = await openStream(events);
  if ("error" in opened) return json(a2aRpcError(id, opened.error), 200, headers);
  const body = sseBody(opened, (event) => event, (error) => a2aRpcError(id, error));
  return new Response(body, { headers: { ...SSE_RESPONSE_HEADERS, ...headers } });
}
