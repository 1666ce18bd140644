/**
 * SpaceDO: one interchangeable replica of a space — its signed log and sequencer, its Yjs
 * document — and its presence relay.
 *
 * A thin actor: partyserver gives hibernatable WebSockets and the `on*` hooks; the space's
 * behaviour lives in core/ (YjsRoom for the document and presence, LogRoom for the log,
 * routeFrame to tell their frames apart). Per-connection state (read-only flag, owned
 * awareness, live log subscription) is kept in the socket attachment, so it survives
 * hibernation and eviction.
 */
import { Server, type Connection, type ConnectionContext, type WSMessage } from "partyserver";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { SpaceId } from "../core/ids.js";
import { parseLogPost, parseLogQuery } from "../core/log/http.js";
import { LogReplica } from "../core/log/replica.js";
import { Sequencer } from "../core/log/sequencer.js";
import { LogRoom } from "../core/space/log-room.js";
import { routeFrame, type SocketPeer } from "../core/space/space-socket.js";
import { YjsRoom, type OwnedAwareness } from "../core/space/yjs-room.js";
import { YUpdateStore } from "../core/yjs/update-store.js";
import { loadOrCreateSigner } from "./space-identity.js";
import { SpaceMcp } from "./space-mcp.js";
import { DurableObjectSql } from "./sql-storage.js";

/** What a socket remembers across hibernation. */
interface ConnectionMemo {
  readOnly: boolean;
  awareness: OwnedAwareness;
  logLive: boolean;
}

/** `?role=observer` on the socket URL opens a read-only connection. */
export const OBSERVER_ROLE = "observer";

export class SpaceDO extends Server<Env> {
  static override options = { hibernate: true };

  private yjs!: YjsRoom;
  private log!: LogRoom;
  private mcp!: SpaceMcp;

  override async onStart(): Promise<void> {
    const sql = new DurableObjectSql(this.ctx.storage);
    const peers = () => [...this.getConnections<ConnectionMemo>()].map((c) => this.peer(c));
    this.yjs = new YjsRoom(new YUpdateStore(sql), {
      peers,
      rememberAwareness: (peer, awareness) => this.remember(peer.id, { awareness }),
    });
    this.yjs.load();
    const replica = LogReplica.open(sql, this.name as SpaceId);
    const signer = await loadOrCreateSigner(sql);
    const sequencer = new Sequencer(replica, signer);
    this.mcp = new SpaceMcp({
      space: this.name,
      sql,
      signer,
      yjs: () => this.yjs,
      log: () => this.log,
      allowedHosts: (this.env.COMMONS_ALLOWED_HOSTS ?? "127.0.0.1,localhost,[::1]").split(",").map((h) => h.trim()),
      setAlarm: (at) => void this.ctx.storage.setAlarm(at),
    });
    this.log = new LogRoom(
      replica,
      sequencer,
      { peers, setLive: (peer, logLive) => this.remember(peer.id, { logLive }) },
      { signer, afterCommit: this.mcp.afterCommit },
    );
    // Envelopes may have arrived while this replica could not commit (a hand-over, a crash).
    await this.log.commitPending();
  }

  override onConnect(conn: Connection<ConnectionMemo>, ctx: ConnectionContext): void {
    const role = new URL(ctx.request.url).searchParams.get("role");
    conn.setState({ readOnly: role === OBSERVER_ROLE, awareness: {}, logLive: false });
    this.yjs.onOpen(this.peer(conn));
  }

  override async onMessage(conn: Connection<ConnectionMemo>, message: WSMessage): Promise<void> {
    const data =
      typeof message === "string"
        ? message
        : message instanceof ArrayBuffer
          ? new Uint8Array(message)
          : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    await routeFrame(this.peer(conn), data, this.yjs, this.log);
  }

  override onClose(conn: Connection<ConnectionMemo>): void {
    this.yjs.onClose(this.peer(conn));
  }

  override onError(conn: Connection<ConnectionMemo>): void {
    this.yjs.onClose(this.peer(conn));
  }

  override async onAlarm(): Promise<void> {
    await this.mcp.alarm();
  }

  override async onRequest(request: Request): Promise<Response> {
    try {
      return await this.route(request);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      if (new URL(request.url).pathname.endsWith("/mcp")) {
        // MCP clients read JSON-RPC errors; the stable code rides in error.data.
        const body = { jsonrpc: "2.0", id: null, error: { code: error.rpcCode, message: error.message, data: { code: error.code } } };
        const headers = error.status === 401 ? { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${error.code}"` } : undefined;
        return Response.json(body, { status: error.status, ...(headers ? { headers } : {}) });
      }
      return Response.json(error.toJSON(), { status: error.status });
    }
  }

  private async route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.split("/").slice(3).join("/"); // after /s/:space/
    if (path === "mcp") return this.mcp.fetch(request);
    if (path === "presence" && request.method === "GET") return Response.json({ space: this.name, ...this.yjs.presence() });
    if (path === "log" && request.method === "GET") return Response.json(this.log.replica.query(parseLogQuery(url.searchParams)));
    if (path === "log" && request.method === "POST") {
      return Response.json({ results: await this.log.submit(parseLogPost(await request.text())) });
    }
    if (path === "log/state" && request.method === "GET") {
      const replica = this.log.replica;
      return Response.json({
        space: this.name,
        sequencer: this.log.sequencer?.did ?? null,
        activeSequencer: replica.commits.nextSequencer ?? null,
        vv: replica.versionVector(),
        heads: replica.heads(),
        count: replica.count(),
        frontier: replica.commits.frontier,
      });
    }
    throw new CommonsError("not-found", `no route ${request.method} ${url.pathname} on a space: see docs/PROTOCOL.md`, { status: 404 });
  }

  private remember(connectionId: string, change: Partial<ConnectionMemo>): void {
    this.getConnection<ConnectionMemo>(connectionId)?.setState((prev) => ({
      readOnly: prev?.readOnly ?? true,
      awareness: prev?.awareness ?? {},
      logLive: prev?.logLive ?? false,
      ...change,
    }) as ConnectionMemo);
  }

  private peer(conn: Connection<ConnectionMemo>): SocketPeer {
    return {
      id: conn.id,
      readOnly: conn.state?.readOnly ?? true,
      live: conn.state?.logLive ?? false,
      send: (frame) => {
        try {
          conn.send(frame);
        } catch {
          // The socket closed between the broadcast's start and this send; its onClose cleans up.
        }
      },
      close: (code, reason) => conn.close(code, reason),
      ownedAwareness: () => (conn.state?.awareness ?? {}) as OwnedAwareness,
    };
  }
}
