/**
 * The HTTP+JSON binding's routes and error bodies (spec §11), as pure functions: the SDK
 * ships this binding only as Express middleware, so the agent's Hono adapter reads paths
 * with `matchRestRoute` and answers errors with `restError`. Paths are relative to the
 * agent's interface URL (`/agents/:name`), the way the SDK's REST client builds them.
 *
 *   POST /message:send            POST /message:stream (SSE)
 *   GET  /tasks                   GET  /tasks/{id}
 *   POST /tasks/{id}:cancel       GET|POST /tasks/{id}:subscribe (SSE)
 *   /tasks/{id}/pushNotificationConfigs[/{configId}]   (not declared: always refused)
 *   GET  /extendedAgentCard       (not declared: always refused)
 */
import { ListTasksRequest, taskStateFromJSON } from "@a2a-js/sdk";
import { isRestError, RequestMalformedError, restStatusFor, toRestErrorBody } from "@a2a-js/sdk/errors";
import { isCommonsError } from "../errors.js";
import { errorInfo } from "./jsonrpc.js";
import { isTimestamp } from "./params.js";

export type RestRoute =
  | { op: "send" | "stream" | "list" | "extendedCard" }
  | { op: "get" | "cancel" | "subscribe" | "push"; id: string };

/** The route for `method` and `path` (after `/agents/:name`, percent-encoded), or null. */
export function matchRestRoute(method: string, path: string): RestRoute | null {
  if (path === "/message:send") return method === "POST" ? { op: "send" } : null;
  if (path === "/message:stream") return method === "POST" ? { op: "stream" } : null;
  if (path === "/tasks") return method === "GET" ? { op: "list" } : null;
  if (path === "/extendedAgentCard") return method === "GET" ? { op: "extendedCard" } : null;
  const task = /^\/tasks\/([^/:]+)(:cancel|:subscribe|\/pushNotificationConfigs(?:\/[^/]+)?)?$/.exec(path);
  if (task === null) return null;
  const id = safeDecode(task[1]!);
  if (id === null) return null;
  const suffix = task[2];
  if (suffix === undefined) return method === "GET" ? { op: "get", id } : null;
  if (suffix === ":cancel") return method === "POST" ? { op: "cancel", id } : null;
  if (suffix === ":subscribe") return method === "GET" || method === "POST" ? { op: "subscribe", id } : null;
  return { op: "push", id };
}

/** The ListTasks query (spec §11.5: camelCase query parameters), strictly: bad numbers are refused. */
export function listTasksQuery(query: URLSearchParams): ListTasksRequest {
  const status = query.get("status");
  return {
    tenant: query.get("tenant") ?? "",
    contextId: query.get("contextId") ?? "",
    status: status ? taskStateFromJSON(/^\d+$/.test(status) ? Number(status) : status) : 0,
    pageSize: integer(query, "pageSize", 1, 100),
    pageToken: query.get("pageToken") ?? "",
    historyLength: integer(query, "historyLength", 0, Number.MAX_SAFE_INTEGER),
    statusTimestampAfter: timestampQuery(query, "statusTimestampAfter"),
    includeArtifacts: query.get("includeArtifacts") === "true",
  } satisfies ListTasksRequest;
}

/** An optional RFC 3339 time query parameter; RequestMalformedError otherwise. */
function timestampQuery(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  if (!isTimestamp(text)) throw new RequestMalformedError(`${name} must be an RFC 3339 time such as "2026-01-01T00:00:00Z", not "${text}".`);
  return text;
}

/** An optional integer query parameter within [min, max]; RequestMalformedError otherwise. */
export function integer(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new RequestMalformedError(`${name} must be a whole number from ${min} to ${max}, not "${text}".`);
  return value;
}

/** The status and `google.rpc.Status` body for an error on the HTTP+JSON binding. */
export function restError(error: unknown): { status: number; body: unknown } {
  if (isCommonsError(error) && (error.status === 401 || error.status === 403)) {
    const name = error.status === 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED";
    return { status: error.status, body: { error: { code: error.status, status: name, message: error.message, details: [errorInfo(error)] } } };
  }
  const status = isRestError(error) ? error.statusCode : restStatusFor(error);
  return { status, body: toRestErrorBody(error, status) };
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
