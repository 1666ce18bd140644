/**
 * The space's MCP endpoint inside the SpaceDO: `/s/:space/mcp`, Streamable HTTP through the
 * official SDK's `createMcpHandler` (2026-07-28, with stateless answers for 2025 clients).
 * Checks Host and Origin, authenticates the bearer capability token, then serves the
 * tools of core/mcp for that verified caller. Also the tool host's approval watcher:
 * approved actions run once (recorded in SQLite), rejections and expiries are posted.
 */
import { createMcpHandler } from "@modelcontextprotocol/server";
import { CommonsError } from "../core/errors.js";
import type { Did } from "../core/identity/did.js";
import type { Signer } from "../core/identity/signer.js";
import type { CommitEntry } from "../core/log/sequencer.js";
import { acceptedEnvelopes, expireDue, onCommitted, type Once } from "../core/mcp/approvals.js";
import { sqlOnce } from "../core/mcp/once.js";
import { buildSpaceMcpServer } from "../core/mcp/server.js";
import { LockTable, type Caller, type ToolHost } from "../core/mcp/tool-host.js";
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
  /** Hosts and origins allowed to call the endpoint (DNS-rebinding protection). */
  allowedHosts: readonly string[];
  setAlarm(at: number): void;
}

export class SpaceMcp {
  private readonly locks = new LockTable();
  private readonly once: Once;

  constructor(private readonly deps: SpaceMcpDeps) {
    this.once = sqlOnce(deps.sql);
  }

  async fetch(request: Request): Promise<Response> {
    checkHostAndOrigin(request, this.deps.allowedHosts);
    const host = this.host((type, body) => this.deps.log().write(type, body));
    const caller = await authenticate(request, this.deps.space, host.committed());
    await inspectBody(request);
    const handler = createMcpHandler(() => buildSpaceMcpServer(host, caller), { legacy: "stateless", responseMode: "json" });
    return handler.fetch(request, { authInfo: { token: "", clientId: caller.did, scopes: [...caller.tools], extra: { caller } } });
  }

  /** LogRoom's afterCommit hook: react to committed approval decisions. */
  readonly afterCommit = async (entries: readonly CommitEntry[], write: HostWriter): Promise<void> => {
    const accepted = acceptedEnvelopes(this.deps.log(), entries);
    await onCommitted(this.host(write), accepted, this.once);
    // Only a new request can move the next expiry earlier; skipping the rest keeps a commit
    // from folding the whole log (expireDue reads the committed view).
    if (accepted.some((e) => e.envelope.type === "approval.requested")) await this.scheduleExpiry(write);
  };

  /** The DO alarm: record expired approval requests, and wake again for the next one. */
  alarm(): Promise<void> {
    return this.deps.log().exclusive((write) => this.scheduleExpiry(write));
  }

  private async scheduleExpiry(write: HostWriter): Promise<void> {
    const next = await expireDue(this.host(write), this.once);
    if (next !== null) this.deps.setAlarm(next);
  }

  /**
   * A tool host for one request or one commit hook. The committed view is folded at most
   * once until the host writes (authentication, the tier decision and reads share it).
   */
  private host(write: HostWriter): ToolHost {
    const deps = this.deps;
    let committed: SpaceState | undefined;
    return {
      space: deps.space,
      replica: deps.log().replica,
      hostDid: deps.signer.did as Did,
      committed: () => (committed ??= buildView(deps.log().replica.since(0)).committed),
      write: (type, body) => {
        committed = undefined;
        return write(type, body);
      },
      presence: () => deps.yjs().presence(),
      now: () => Date.now(),
      locks: this.locks,
    };
  }
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
