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

interface TrackedSocket {
  conn: Connection<ConnectionMemo>;
  memo: ConnectionMemo;
  peer: SocketPeer;
}

/** Above this many open sockets a lone update also waits for the zero-delay timer (see onStart). */
const QUIET_FLUSH_MAX_PEERS = 64;

/** `?role=observer` on the socket URL opens a read-only connection. */
export const OBSERVER_ROLE = "observer";

export class SpaceDO extends Server<Env> {
  static override options = { hibernate: true };

  private yjs!: YjsRoom;
  private log!: LogRoom;
  private mcp!: SpaceMcp;
  /**
   * Open sockets and what they remember, in memory: a broadcast walks this map instead of
   * asking the runtime for every socket and deserializing every attachment per message.
   * Rebuilt from the attachments when the object wakes; attachments are written only when
   * a memo changes.
   */
  private readonly sockets = new Map<string, TrackedSocket>();
  private started = false;

  override async onStart(): Promise<void> {
    const sql = new DurableObjectSql(this.ctx.storage);
    for (const conn of this.getConnections<ConnectionMemo>()) this.track(conn, (conn.state as ConnectionMemo | null) ?? null);
    const peers = () => [...this.sockets.values()].map((entry) => entry.peer);
    this.yjs = new YjsRoom(
      new YUpdateStore(sql),
      { peers, rememberAwareness: (peer, awareness) => this.remember(peer.id, { awareness }) },
      // A lone update is stored and sent before this event ends; a burst of frames becomes one
      // stored row and one frame per peer (see RoomOptions.schedule and YjsRoom.flush). With
      // many readers an immediate flush is one send per reader per update: at 200 updates/s to
      // 200 readers that outran the runtime (p99 0.1–0.8 s) where the timer's merging kept up
      // (p99 ~40 ms); at 50 readers it still halved p50. Past QUIET_FLUSH_MAX_PEERS every flush
      // waits for the timer.
      {
        schedule: (flush, { quiet }) =>
          quiet && this.sockets.size <= QUIET_FLUSH_MAX_PEERS ? queueMicrotask(flush) : void setTimeout(flush, 0),
      },
    );
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
    this.started = true;
  }

  override onConnect(conn: Connection<ConnectionMemo>, ctx: ConnectionContext): void {
    const role = new URL(ctx.request.url).searchParams.get("role");
    const memo: ConnectionMemo = { readOnly: role === OBSERVER_ROLE, awareness: {}, logLive: false };
    conn.setState(memo);
    this.yjs.onOpen(this.track(conn, memo));
  }

  /**
   * The per-message hot path. partyserver reads (structured-clone deserializes) the socket's
   * attachment and awaits its initialization on every message; a socket this instance
   * already tracks goes straight to its room. Anything else (the first message after a wake)
   * takes partyserver's path, which starts the object and adopts the socket.
   */
  override async webSocketMessage(ws: WebSocket, message: WSMessage): Promise<void> {
    // A tracked socket is a partyserver Connection: the WebSocket itself, given a cached `id`.
    const id = this.started ? (ws as Partial<Connection>).id : undefined;
    const entry = id === undefined ? undefined : this.sockets.get(id);
    if (entry === undefined) return super.webSocketMessage(ws, message);
    try {
      await routeFrame(entry.peer, toBytes(message), this.yjs, this.log);
    } catch (error) {
      console.error(`SpaceDO ${this.name} webSocketMessage:`, error);
    }
  }

  override async onMessage(conn: Connection<ConnectionMemo>, message: WSMessage): Promise<void> {
    await routeFrame(this.peer(conn), toBytes(message), this.yjs, this.log);
  }

  override onClose(conn: Connection<ConnectionMemo>): void {
    this.forget(conn);
  }

  override onError(conn: Connection<ConnectionMemo>): void {
    this.forget(conn);
  }

  override async onAlarm(): Promise<void> {
    await this.mcp.alarm();
  }

  override async onRequest(request: Request): Promise<Response> {
    try {
      return await this.route(request);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
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
    const entry = this.sockets.get(connectionId);
    if (!entry) return;
    entry.memo = { ...entry.memo, ...change };
    entry.conn.setState(entry.memo);
  }

  /** The peer for a socket that spoke; a socket not yet tracked (it outlived a wake) is adopted. */
  private peer(conn: Connection<ConnectionMemo>): SocketPeer {
    return this.sockets.get(conn.id)?.peer ?? this.track(conn, (conn.state as ConnectionMemo | null) ?? null);
  }

  private forget(conn: Connection<ConnectionMemo>): void {
    this.yjs.onClose(this.peer(conn));
    this.sockets.delete(conn.id);
  }

  private track(conn: Connection<ConnectionMemo>, memo: ConnectionMemo | null): SocketPeer {
    // A socket without a memo is treated as an observer with nothing owned: fail closed.
    const entry: TrackedSocket = { conn, memo: memo ?? { readOnly: true, awareness: {}, logLive: false }, peer: undefined as unknown as SocketPeer };
    entry.peer = {
      id: conn.id,
      get readOnly() {
        return entry.memo.readOnly;
      },
      get live() {
        return entry.memo.logLive;
      },
      send: (frame) => {
        try {
          conn.send(frame);
        } catch {
          // The socket closed between the broadcast's start and this send; its onClose cleans up.
        }
      },
      close: (code, reason) => conn.close(code, reason),
      ownedAwareness: () => entry.memo.awareness,
    };
    this.sockets.set(conn.id, entry);
    return entry.peer;
  }
}

const toBytes = (message: WSMessage): Uint8Array | string =>
  typeof message === "string"
    ? message
    : message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
