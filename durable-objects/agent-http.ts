/**
 * The AgentDO's own Hono app: the thin adapter between HTTP and the SDK's request handler.
 * The Worker forwards `/agents/:name…` unchanged and this router answers it:
 *
 *   GET  /agents/:name/.well-known/agent-card.json   the signed card (public)
 *   POST /agents/:name                                 JSON-RPC binding (agent-jsonrpc.ts)
 *   *    /agents/:name/spaces[/…]                      membership (agent-spaces-http.ts)
 *   *    /agents/:name/…                               HTTP+JSON binding (agent-rest.ts)
 *
 * Every call is opened the same way on both bindings (`openCall`): the caller is
 * authenticated (core/a2a/caller.ts), then the A2A version checked (core/a2a/version.ts),
 * then a DefaultRequestHandler made for this request's card over the object's one task
 * store, executor and event buses (shared, so a stream and a cancel of the same task meet).
 */
import { AgentCard, Extensions, TaskState, type CancelTaskRequest, type Task } from "@a2a-js/sdk";
import { TaskNotCancelableError } from "@a2a-js/sdk/errors";
import { DefaultRequestHandler, ServerCallContext, type AgentExecutor, type ExecutionEventBusManager, type TaskStore } from "@a2a-js/sdk/server";
import { Hono } from "hono";
import type { Brain } from "../core/a2a/brain.js";
import { authenticateCaller, requireMethod, type CallerUser } from "../core/a2a/caller.js";
import { buildAgentCard, signAgentCard, type AgentCardJson, type AgentProfile } from "../core/a2a/card.js";
import type { AgentName } from "../core/a2a/name.js";
import { checkVersion } from "../core/a2a/version.js";
import { agentAudienceFor } from "../core/auth/claims.js";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { Ed25519Signer } from "../core/identity/signer.js";
import { jsonRpc } from "./agent-jsonrpc.js";
import { rest } from "./agent-rest.js";

export interface AgentDeps {
  name: AgentName;
  signer: Ed25519Signer;
  profile(): AgentProfile;
  brain: Brain;
  store: TaskStore;
  executor: AgentExecutor;
  buses: ExecutionEventBusManager;
  /** More routes beneath the name, matched before the HTTP+JSON binding (agent-spaces-http.ts). */
  routes?(app: Hono): void;
  /** The path the name sits under: "/agents" (default), or "/coalitions" for a CoalitionDO. */
  prefix?: string;
  /** The unsigned card at `base`, when it is not built from `profile()` alone (a coalition's lists its members' skills). */
  card?(base: string): AgentCardJson;
  /** Refuses a verified caller's `method` before any handler runs (a dissolved coalition takes no messages). */
  admit?(caller: CallerUser, method: string): void | Promise<void>;
}

/** Largest request body either binding reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface A2ACall {
  caller: CallerUser;
  context: ServerCallContext;
  handler: DefaultRequestHandler;
}

export function agentApp(deps: AgentDeps): Hono {
  const app = new Hono();
  const signed = new Map<string, Promise<AgentCardJson>>();
  const prefix = deps.prefix ?? "/agents";
  app.get(`${prefix}/:name/.well-known/agent-card.json`, async (c) => {
    const card = cardAt(deps, baseOf(c.req.raw, deps.name, prefix));
    // Signing is deterministic, so a cache keyed by the card's own content is always right.
    const key = JSON.stringify(card);
    if (!signed.has(key)) {
      if (signed.size >= 16) signed.clear();
      signed.set(key, signAgentCard(card, deps.signer));
    }
    return c.json(await signed.get(key)!);
  });
  app.post(`${prefix}/:name`, (c) => jsonRpc(deps, c.req.raw));
  deps.routes?.(app);
  app.all(`${prefix}/:name/*`, (c) => rest(deps, c.req.raw));
  app.notFound((c) => {
    const error = new CommonsError("not-found", `no route ${c.req.method} ${new URL(c.req.url).pathname}: the card at ${prefix}/${deps.name}/.well-known/agent-card.json lists this agent's bindings`, { status: 404 });
    return c.json(error.toJSON(), 404);
  });
  app.onError((error, c) => {
    console.error(`AgentDO ${deps.name}:`, error);
    const internal = new CommonsError("internal", "the agent failed to handle this request; it is logged, try again", { status: 500, cause: error });
    return c.json(internal.toJSON(), 500);
  });
  return app;
}

/** The agent's interface URL as this request reached it: `<origin>/agents/<name>`. */
export function baseOf(request: Request, name: AgentName, prefix = "/agents"): string {
  return `${new URL(request.url).origin}${prefix}/${name}`;
}

function cardAt(deps: AgentDeps, base: string): AgentCardJson {
  return deps.card?.(base) ?? buildAgentCard(deps.profile(), base, deps.brain.skill);
}

/** The typed card the request handler reads (capabilities, input modes, versions). */
export function handlerCard(deps: AgentDeps, request: Request): AgentCard {
  return AgentCard.fromJSON(cardAt(deps, baseOf(request, deps.name, deps.prefix)));
}

/**
 * Authenticates the caller for `method`, checks the version for `binding`, and makes the
 * handler. Throws a 401/403 CommonsError for the caller, VersionNotSupportedError for the version.
 */
export async function openCall(deps: AgentDeps, request: Request, binding: "JSONRPC" | "HTTP+JSON", method: string): Promise<A2ACall> {
  const caller = await authenticateCaller(request, deps.signer.did);
  requireMethod(caller, method);
  await deps.admit?.(caller, method);
  const card = handlerCard(deps, request);
  checkVersion(request.headers.get("A2A-Version"), card, binding);
  const context = new ServerCallContext({
    user: caller,
    requestedVersion: "1.0",
    requestedExtensions: Extensions.parseServiceParameter(request.headers.get("A2A-Extensions") ?? undefined),
  });
  const handler = new AgentRequestHandler(card, deps.store, deps.executor, deps.buses);
  return { caller, context, handler };
}

/**
 * The SDK's handler with one correction: CancelTask of a task already canceled is
 * TaskNotCancelableError (-32002), as the spec lists "already completed, failed, or canceled"
 * among the states that are not cancelable; the SDK would answer the canceled task again.
 */
class AgentRequestHandler extends DefaultRequestHandler {
  private readonly tasks: TaskStore;

  constructor(card: AgentCard, tasks: TaskStore, executor: AgentExecutor, buses: ExecutionEventBusManager) {
    super(card, tasks, executor, buses, undefined, undefined, undefined, undefined, { validateInputModes: true });
    this.tasks = tasks;
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    const task = await this.tasks.load(params.id, context);
    if (task?.status?.state === TaskState.TASK_STATE_CANCELED) throw new TaskNotCancelableError(`Task not cancelable: ${params.id} is canceled already.`);
    return super.cancelTask(params, context);
  }
}

/** Headers for a refused caller: the RFC 6750 challenge on 401. */
export function refusalHeaders(error: unknown, deps: AgentDeps): Record<string, string> {
  if (!isCommonsError(error) || error.status !== 401) return {};
  const realm = `realm="${agentAudienceFor(deps.signer.did)}"`;
  return { "WWW-Authenticate": error.code === "token-missing" ? `Bearer ${realm}` : `Bearer ${realm}, error="invalid_token"` };
}

/** True for the caller refusals `openCall` throws (answered 401/403 on both bindings). */
export function isCallerRefusal(error: unknown): error is CommonsError {
  return isCommonsError(error) && (error.status === 401 || error.status === 403);
}

/** The body as text, or null when it is larger than MAX_BODY_BYTES. */
export async function readBody(request: Request): Promise<string | null> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_BODY_BYTES) return null;
  const bytes = await request.arrayBuffer();
  return bytes.byteLength > MAX_BODY_BYTES ? null : new TextDecoder().decode(bytes);
}

/** The A2A-Extensions response header when the call activated any. */
export function extensionHeaders(context: ServerCallContext): Record<string, string> {
  const activated = context.activatedExtensions;
  return activated && activated.length > 0 ? { "A2A-Extensions": Extensions.toServiceParameter(activated) } : {};
}
