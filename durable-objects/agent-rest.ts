/**
 * The HTTP+JSON binding (spec §11) beneath `/agents/:name`, written thin on the SDK's
 * request handler (the SDK ships this binding only for Express). Routes are read by
 * core/a2a/rest.ts; bodies and answers are ProtoJSON through the SDK's own codecs
 * (`SendMessageRequest.fromJSON`, `Task.toJSON`, …); errors are `google.rpc.Status`
 * bodies with ErrorInfo details (`toRestErrorBody`) and the SDK's v1.0 statuses (404 task
 * not found; 400 with FAILED_PRECONDITION for not cancelable, unsupported, version; 400
 * INVALID_ARGUMENT for params; 401/403 for a refused caller).
 */
import { A2A_CONTENT_TYPE, AgentCard, ListTasksResponse, SendMessageRequest, SendMessageResponse, StreamResponse, Task, type ListTasksResponse as ListTasks } from "@a2a-js/sdk";
import { ContentTypeNotSupportedError, PushNotificationNotSupportedError, RequestMalformedError } from "@a2a-js/sdk/errors";
import { checkParams } from "../core/a2a/params.js";
import { integer, listTasksQuery, matchRestRoute, restError, type RestRoute } from "../core/a2a/rest.js";
import { openStream, sseBody, SSE_RESPONSE_HEADERS } from "../core/a2a/sse.js";
import { CommonsError } from "../core/errors.js";
import { extensionHeaders, openCall, readBody, refusalHeaders, type A2ACall, type AgentDeps } from "./agent-http.js";

/** The A2A method each route performs: what a token's `tools` must name. */
const METHOD: Record<RestRoute["op"], string> = {
  send: "SendMessage", stream: "SendStreamingMessage", get: "GetTask", cancel: "CancelTask", subscribe: "SubscribeToTask",
  list: "ListTasks", push: "CreateTaskPushNotificationConfig", extendedCard: "GetExtendedAgentCard",
};

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": A2A_CONTENT_TYPE, ...headers } });

export async function rest(deps: AgentDeps, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const base = `${deps.prefix ?? "/agents"}/${deps.name}`;
  const route = matchRestRoute(request.method, url.pathname.slice(base.length));
  if (route === null) {
    const error = new CommonsError("not-found", `no route ${request.method} ${url.pathname}: the card at ${base}/.well-known/agent-card.json lists this agent's bindings`, { status: 404 });
    return Response.json(error.toJSON(), { status: 404 });
  }
  // Read first, whatever the answer: workerd logs a body left unread when the response goes out.
  const text = request.method === "POST" ? await readBody(request) : "";
  try {
    const call = await openCall(deps, request, "HTTP+JSON", METHOD[route.op]);
    return await perform(route, call, { text, type: request.headers.get("Content-Type") }, url.searchParams);
  } catch (error) {
    const { status, body } = restError(error);
    return json(body, status, refusalHeaders(error, deps));
  }
}

type Body = { text: string | null; type: string | null };

async function perform(route: RestRoute, { handler, context }: A2ACall, body: Body, query: URLSearchParams): Promise<Response> {
  const headers = extensionHeaders(context);
  switch (route.op) {
    case "send": {
      const result = await handler.sendMessage(SendMessageRequest.fromJSON(sendBody(body)), context);
      const payload = "messageId" in result ? { $case: "message" as const, value: result } : { $case: "task" as const, value: result };
      return json(SendMessageResponse.toJSON({ payload }), 200, headers);
    }
    case "stream":
      return stream(handler.sendMessageStream(SendMessageRequest.fromJSON(sendBody(body)), context), headers);
    case "get": {
      const historyLength = integer(query, "historyLength", 0, Number.MAX_SAFE_INTEGER);
      return json(Task.toJSON(await handler.getTask({ id: route.id, tenant: "", ...(historyLength === undefined ? {} : { historyLength }) }, context)), 200, headers);
    }
    case "cancel":
      return json(Task.toJSON(await handler.cancelTask({ id: route.id, tenant: "", metadata: {} }, context)), 200, headers);
    case "subscribe":
      return stream(handler.resubscribe({ id: route.id, tenant: "" }, context), headers);
    case "list": {
      const params = listTasksQuery(query);
      return json(listJson(await handler.listTasks(params, context), params.includeArtifacts === true), 200, headers);
    }
    case "push":
      throw new PushNotificationNotSupportedError("This agent declares no push notifications (capabilities.pushNotifications is false): poll GetTask or use SubscribeToTask.");
    case "extendedCard":
      return json(AgentCard.toJSON(await handler.getAuthenticatedExtendedAgentCard({ tenant: "" }, context)), 200, headers);
  }
}

/** A SendMessageRequest body: JSON of a supported type, checked like the JSON-RPC params. */
function sendBody({ text, type: header }: Body): unknown {
  const type = header?.split(";")[0]!.trim().toLowerCase();
  if (type !== undefined && type !== "application/json" && type !== A2A_CONTENT_TYPE) {
    throw new ContentTypeNotSupportedError(`The HTTP+JSON binding reads application/json or ${A2A_CONTENT_TYPE}, not "${type}".`);
  }
  if (text === null) throw new RequestMalformedError("The body is larger than 1 MiB.");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestMalformedError("Invalid JSON payload: send a SendMessageRequest as JSON.");
  }
  checkParams("SendMessage", body);
  return body;
}

/** ListTasksResponse as the JSON-RPC binding's serializer writes it (nextPageToken always present). */
function listJson(response: ListTasks, includeArtifacts: boolean): unknown {
  const wire = ListTasksResponse.toJSON(response) as { tasks?: Array<Record<string, unknown>>; nextPageToken?: string; pageSize?: number; totalSize?: number };
  const tasks = (wire.tasks ?? []).map((task) => (includeArtifacts && task.artifacts === undefined ? { ...task, artifacts: [] } : task));
  return { tasks, nextPageToken: wire.nextPageToken ?? "", pageSize: wire.pageSize ?? 0, totalSize: wire.totalSize ?? 0 };
}

async function stream(events: AsyncGenerator<StreamResponse, void, undefined>, headers: Record<string, string>): Promise<Response> {
  const opened = await openStream(events);
  if ("error" in opened) throw opened.error;
  const body = sseBody(opened, (event) => StreamResponse.toJSON(event), (error) => restError(error).body);
  return new Response(body, { headers: { ...SSE_RESPONSE_HEADERS, ...headers } });
}
