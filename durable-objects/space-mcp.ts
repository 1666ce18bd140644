/**
 * The space's MCP endpoint inside the SpaceDO: `/s/:space/mcp`, Streamable HTTP through the
 * official SDK's `createMcpHandler` (2026-07-28, with stateless answers for 2025 clients).
 * Checks Host and Origin, authenticates the bearer capability token, then serves the
 * tools of core/mcp for that verified caller. Every error it answers is a JSON-RPC error
 * with the request's id (JSON-RPC 2.0 §5: null only when no id could be read). Also the tool
 * host's approval watcher: approved actions run once (recorded in SQLite), rejections and
 * expiries are posted; and the market's clock: at a call for bids' deadline it posts the
 * award (core/mcp/market-alarm.ts). The object's one alarm serves both: it is set for the
 * earlier of the next approval expiry and the next open deadline.
 */
import { createMcpHandler, DEFAULT_MAX_REQUEST_BODY_SIZE, readRequestBody, type RequestId } from "@modelcontextprotocol/server";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { Did } from "../core/identity/did.js";
import type { Signer } from "../core/identity/signer.js";
import type { CommitEntry } from "../core/state/sequencer.js";
import { acceptedEnvelopes, expireDue, onCommitted, type Once } from "../core/mcp/approvals.js";
import { awardDue, MarketDeadlines, tellAwards } from "../core/mcp/market-alarm.js";
import { sqlOnce } from "../core/mcp/once.js";
import { buildSpaceMcpServer } from "../core/mcp/server.js";
import { LockTable, type Caller, type ToolHost } from "../core/mcp/tool-host.js";
import type { SegmentHistory } from "../core/log/segment-history.js";
import type { HostWriter, LogRoom } from "../core/space/log-room.js";
import type { YjsRoom } from "../core/space/yjs-room.js";
import type { SqlStorage } from "../core/storage/sql.js";
import { buildView } from "../core/views/build.js";
import type { SpaceState } from "../core/views/state.js";
import { authenticate, inspectBody } from "./space-auth.js";

export interface SpaceMcpDeps {
  space: string;
  sql: SqlStorage;
  signer: Signer;
  yjs: () => YjsRoom;
  log: () => LogRoom;
  /** The replica's sealed history, so read tools load what they reach (durable-objects/space-history.ts). */
  history?: () => Pick<SegmentHistory, "read">;
  /** Hosts and origins allowed to call the endpoint (DNS-rebinding protection). */
  allowedHosts: readonly string[];
  setAlarm(at: number): void;
  getAlarm(): Promise<number | null>;
  /** Hands `form_coalition`'s new key to the coalition's CoalitionDO (durable-objects/coalition-space.ts). */
  keepCoalitionKey?: ToolHost["keepCoalitionKey"];
}

export class SpaceMcp {
  readonly locks = new LockTable();
  private readonly once: Once;
  private readonly deadlines: MarketDeadlines;

  constructor(private readonly deps: SpaceMcpDeps) {
    this.once = sqlOnce(deps.sql);
    this.deadlines = new MarketDeadlines(deps.sql);
  }

  /**
   * One exchange. The body is read first, once, so that every refusal can carry the
   * request's id and none leaves the body unread (workerd then logs "Can't read from request
   * stream after response has been sent"); the SDK gets a fresh request with the same bytes.
   * Our refusals are answered here as JSON-RPC errors; the SDK answers its own.
   */
  async fetch(request: Request): Promise<Response> {
    let message: unknown;
    try {
      const read = await readMessage(request);
      message = read.message;
      checkHostAndOrigin(request, this.deps.allowedHosts);
      const host = this.host((type, body) => this.deps.log().write(type, body));
      const caller = await authenticate(request, this.deps.space, host.committed());
      inspectBody(message);
      const handler = createMcpHandler(() => buildSpaceMcpServer(host, caller), { legacy: "stateless", responseMode: "json" });
      const authInfo = { token: "", clientId: caller.did, scopes: [...caller.tools], extra: { caller } };
      const response = await handler.fetch(read.request, { authInfo, ...(read.message === undefined ? {} : { parsedBody: read.message }) });
      return await withRequestId(response, requestIdOf(message));
    } catch (error) {
      if (isCommonsError(error)) return rpcError(error, requestIdOf(message));
      console.error(`SpaceMcp ${this.deps.space}:`, error);
      const internal = new CommonsError("internal", "the space failed to handle this MCP request; it is logged, try again", { status: 500, rpcCode: -32603, cause: error });
      return rpcError(internal, requestIdOf(message));
    }
  }

  /** LogRoom's afterCommit hook: react to committed approval decisions, calls for bids and awards. */
  readonly afterCommit = async (entries: readonly CommitEntry[], write: HostWriter): Promise<void> => {
    const accepted = acceptedEnvelopes(this.deps.log(), entries);
    const host = this.host(write);
    await onCommitted(host, accepted, this.once);
    this.deadlines.backfill(host.committed());
    const opened = this.deadlines.note(accepted);
    await tellAwards(host, accepted, this.once);
    // Only a new request can move the next expiry earlier; skipping the rest keeps a commit
    // from folding the whole log (expireDue reads the committed view). A new deadline only
    // brings the alarm forward.
    if (accepted.some((e) => e.envelope.type === "approval.requested")) await this.schedule(write);
    else if (opened.length > 0) await this.wakeBy(Math.min(...opened));
  };

  /** The DO alarm: award the markets past their deadline, record expired approval requests, and wake again for the next of either. */
  alarm(): Promise<void> {
    return this.deps.log().exclusive(async (write) => {
      const host = this.host(write);
      this.deadlines.backfill(host.committed());
      await awardDue(host, this.deadlines);
      await this.schedule(write);
    });
  }

  /** Sets the alarm for the earlier of the next approval expiry and the next open deadline. */
  private async schedule(write: HostWriter): Promise<void> {
    const expiry = await expireDue(this.host(write), this.once);
    const deadline = this.deadlines.next();
    const next = expiry === null ? deadline : deadline === null ? expiry : Math.min(expiry, deadline);
    if (next !== null) this.deps.setAlarm(next);
  }

  /** Brings the alarm forward to `at` (never later: an earlier expiry or deadline keeps it). */
  private async wakeBy(at: number): Promise<void> {
    const current = await this.deps.getAlarm();
    if (current === null || at < current) this.deps.setAlarm(at);
  }

  /**
   * A tool host for one request or one commit hook. The committed state is the sequencer's,
   * kept incrementally (core/log/sequencer.ts `committed()`): no request folds the log.
   */
  private host(write: HostWriter): ToolHost {
    const deps = this.deps;
    return {
      space: deps.space,
      replica: deps.log().replica,
      hostDid: deps.signer.did as Did,
      committed: () => committedState(deps.log()),
      write,
      presence: () => deps.yjs().presence(),
      ydoc: () => deps.yjs().doc,
      now: () => Date.now(),
      locks: this.locks,
      ...(deps.history === undefined ? {} : { readSealed: (work, options) => deps.history!().read(work, options) }),
      ...(deps.keepCoalitionKey === undefined ? {} : { keepCoalitionKey: deps.keepCoalitionKey }),
    };
  }
}

/**
 * A POST's body, read once within the SDK's bound, and its JSON (`undefined` when it is not
 * JSON: the SDK answers that with the protocol's parse error, from the fresh request).
 */
async function readMessage(request: Request): Promise<{ request: Request; message: unknown }> {
  if (request.method !== "POST" || request.body === null) return { request, message: undefined };
  let read: Awaited<ReturnType<typeof readRequestBody>>;
  try {
    read = await readRequestBody(request, DEFAULT_MAX_REQUEST_BODY_SIZE);
  } catch (error) {
    throw new CommonsError("body-unreadable", "The request body could not be read: send it again", { status: 400, rpcCode: -32700, cause: error });
  }
  if (read.tooLarge) {
    // Drained, not cancelled: workerd logs "Can't read from request stream…" for a body left
    // unread or cancelled when the answer goes out. (The runtime bounds a request's size.)
    await drain(request.body);
    throw new CommonsError("body-too-large", `The body is over ${DEFAULT_MAX_REQUEST_BODY_SIZE} bytes: send one smaller message`, { status: 413, rpcCode: -32600 });
  }
  let message: unknown;
  try {
    message = JSON.parse(read.text);
  } catch {
    message = undefined;
  }
  return { request: new Request(request.url, { method: request.method, headers: request.headers, body: read.text }), message };
}

async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  try {
    const reader = body.getReader();
    while (!(await reader.read()).done);
  } catch {
    // The client went away mid-body: nothing is left to drain, and the refusal stands.
  }
}

/**
 * The SDK answers a few refusals (415 Content-Type, the 2025 path's 406 Accept) before it
 * reads the body, so with `"id": null`; this fills in the id we did read.
 */
async function withRequestId(response: Response, id: RequestId | null): Promise<Response> {
  if (id === null || response.ok || !response.headers.get("Content-Type")?.startsWith("application/json")) return response;
  const body = (await response.clone().json().catch(() => null)) as { id?: unknown; error?: unknown } | null;
  if (body === null || typeof body !== "object" || body.error === undefined || body.id !== null) return response;
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return new Response(JSON.stringify({ ...body, id }), { status: response.status, headers });
}

/**
 * The id to answer with: a single request's, null for anything else (not JSON, a batch, a
 * notification, a response) — the same rule the SDK applies to its own error answers.
 */
function requestIdOf(message: unknown): RequestId | null {
  if (message === null || typeof message !== "object" || Array.isArray(message)) return null;
  const { method, id } = message as { method?: unknown; id?: unknown };
  return typeof method === "string" && (typeof id === "string" || typeof id === "number") ? id : null;
}

/** A refusal as a JSON-RPC error: the request's id, and the stable code in `error.data.code`. */
function rpcError(error: CommonsError, id: RequestId | null): Response {
  const body = { jsonrpc: "2.0", id, error: { code: error.rpcCode, message: error.message, data: { code: error.code } } };
  const headers = error.status === 401 ? { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${error.code}"` } : undefined;
  return Response.json(body, { status: error.status, ...(headers ? { headers } : {}) });
}

/** The committed state: the sequencer's incremental one, or (a relay without one) a fold. */
function committedState(log: LogRoom): SpaceState {
  return log.sequencer?.committed() ?? buildView(log.replica.since(0)).committed;
}

/** Refuses requests whose Host or Origin is not one this space answers to. */
function checkHostAndOrigin(request: Request, allowed: readonly string[]): void {
  const host = new URL(request.url).host;
  const hostname = host.replace(/:\d+$/, "");
  if (!allowed.includes(hostname) && !allowed.includes(host)) {
    throw new CommonsError("host-not-allowed", `Host ${host} is not served here: add it to COMMONS_ALLOWED_HOSTS`, { status: 403, rpcCode: -32600 });
  }
  const origin = request.headers.get("Origin");
  if (origin !== null) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new CommonsError("origin-not-allowed", `Origin ${origin} is not a URL`, { status: 403, rpcCode: -32600 });
    }
    if (originHost !== host && !allowed.includes(originHost)) {
      throw new CommonsError("origin-not-allowed", `Origin ${origin} may not call this space's tools: call from the same origin, or add it to COMMONS_ALLOWED_HOSTS`, { status: 403, rpcCode: -32600 });
    }
  }
}

export type { Caller };
