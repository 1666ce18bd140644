/**
 * SpaceDO: one interchangeable replica of a space — its signed log and sequencer, its Yjs
 * document — and its presence relay.
 *
 * A thin actor: partyserver gives hibernatable WebSockets and the `on*` hooks; the space's
 * behaviour lives in core/ (YjsRoom for the document and presence, LogRoom for the log,
 * routeFrame to tell their frames apart). Per-connection state (identity and rights, owned
 * awareness, live log subscription) is kept in the socket attachment, so it survives
 * hibernation and eviction.
 *
 * The door (core/space/door.ts) decides every connection from the committed state: a socket
 * is admitted or refused over HTTP before partyserver accepts it (see fetch); HTTP reads are
 * checked per request; open sockets' rights follow membership changes (see recheck).
 */
import { Server, type Connection, type ConnectionContext, type WSMessage } from "partyserver";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { SpaceId } from "../core/ids.js";
import { parseLogPost, parseLogQuery } from "../core/log/http.js";
import { LogReplica } from "../core/log/replica.js";
import { Sequencer } from "../core/log/sequencer.js";
import { ACCESS_REVOKED, admit, credentialsOf, requireRead, rightsOf, RightsWatch, withoutCredentials, type Access } from "../core/space/door.js";
import { LogRoom } from "../core/space/log-room.js";
import { routeFrame, type SocketPeer } from "../core/space/space-socket.js";
import { YjsRoom, type OwnedAwareness } from "../core/space/yjs-room.js";
import { YUpdateStore } from "../core/yjs/update-store.js";
import { loadOrCreateSigner } from "./space-identity.js";
import { SpaceMcp } from "./space-mcp.js";
import { DurableObjectSql } from "./sql-storage.js";

/** What a socket remembers across hibernation: who it is and may do (the door's Access), and its state. */
interface ConnectionMemo extends Access {
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

export class SpaceDO extends Server<Env> {
  static override options = { hibernate: true };

  private yjs!: YjsRoom;
  private log!: LogRoom;
  private sequencer!: Sequencer;
  private mcp!: SpaceMcp;
  /**
   * Open sockets and what they remember, in memory: a broadcast walks this map instead of
   * asking the runtime for every socket and deserializing every attachment per message.
   * Rebuilt from the attachments when the object wakes; attachments are written only when
   * a memo changes.
   */
  private readonly sockets = new Map<string, TrackedSocket>();
  private started = false;
  /** What the door decided for each upgrade request, from fetch to onConnect. */
  private readonly admitted = new WeakMap<Request, Access>();
  private readonly rights = new RightsWatch();

  override async onStart(): Promise<void> {
    const sql = new DurableObjectSql(this.ctx.storage);
    for (const conn of this.getConnections<ConnectionMemo>()) this.track(conn, (conn.state as ConnectionMemo | null) ?? null);
    const peers = () => {
      // Every fan-out first brings rights up to date: a removed member is sent nothing more.
      if (this.started) this.recheck();
      return [...this.sockets.values()].map((entry) => entry.peer);
    };
    this.yjs = new YjsRoom(
      new YUpdateStore(sql),
      {
        peers,
        rememberAwareness: (peer, awareness) => this.remember(peer.id, { awareness }),
        member: (did) => this.sequencer.committed().members.get(did),
      },
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
    const sequencer = (this.sequencer = new Sequencer(replica, signer));
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

  /**
   * partyserver accepts a socket before onConnect runs, so the door answers here, first: a
   * refused connection gets its HTTP error (401/403 with the stable code) and never a socket.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return super.fetch(request);
    try {
      // partyserver runs onStart only inside its own entry points; setName is its public way
      // to run it first (a no-op once started). The door needs the committed state.
      if (!this.started) await this.setName(this.name);
      const access = await this.admit(request);
      requireRead(access, this.name);
      this.admitted.set(request, access);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      return Response.json(error.toJSON(), { status: error.status });
    }
    return super.fetch(request);
  }

  override onConnect(conn: Connection<ConnectionMemo>, ctx: ConnectionContext): void {
    const admitted = this.admitted.get(ctx.request);
    // Rights again from the state now: a commit may have landed while the token was verified.
    const rights = admitted === undefined ? { read: false, write: false } : rightsOf(this.sequencer.committed(), admitted.did, admitted.observing);
    // Only fetch opens sockets, and it admits first; a socket it did not admit is closed.
    if (admitted === undefined || !rights.read) return conn.close(ACCESS_REVOKED.closeCode, ACCESS_REVOKED.code);
    const memo: ConnectionMemo = { ...admitted, ...rights, awareness: {}, logLive: false };
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
      this.recheck();
      await routeFrame(entry.peer, toBytes(message), this.yjs, this.log);
    } catch (error) {
      console.error(`SpaceDO ${this.name} webSocketMessage:`, error);
    }
  }

  override async onMessage(conn: Connection<ConnectionMemo>, message: WSMessage): Promise<void> {
    const peer = this.peer(conn);
    this.recheck();
    await routeFrame(peer, toBytes(message), this.yjs, this.log);
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
    // Open to anyone: envelopes authenticate themselves, and the ingest door refuses strangers'
    // (a genesis and an invite join come from keys that are not members yet).
    if (path === "log" && request.method === "POST") {
      return Response.json({ results: await this.log.submit(parseLogPost(await request.text())) });
    }
    if (request.method !== "GET" || !["presence", "log", "log/state"].includes(path)) {
      throw new CommonsError("not-found", `no route ${request.method} ${url.pathname} on a space: see docs/PROTOCOL.md`, { status: 404 });
    }
    const access = await this.admit(request);
    // A newcomer needs the sequencer key and the epoch to make its first token and genesis.
    if (path === "log/state") return Response.json(this.logState(access));
    requireRead(access, this.name);
    if (path === "presence") return Response.json({ space: this.name, ...this.yjs.presence() });
    return Response.json(this.log.replica.query(parseLogQuery(withoutCredentials(url.searchParams))));
  }

  /** `GET /log/state`: for readers the replica's whole state, for others only what a newcomer needs. */
  private logState(access: Access) {
    const replica = this.log.replica;
    const door = { space: this.name, exists: replica.commits.nextSequencer !== undefined, sequencer: this.sequencer.did, epoch: this.sequencer.committed().epoch };
    if (!access.read) return door;
    return {
      ...door,
      activeSequencer: replica.commits.nextSequencer ?? null,
      vv: replica.versionVector(),
      heads: replica.heads(),
      count: replica.count(),
      frontier: replica.commits.frontier,
    };
  }

  private admit(request: Request): Promise<Access> {
    const credentials = credentialsOf(new URL(request.url), request.headers.get("Authorization"));
    return admit(credentials, { space: this.name, state: this.sequencer.committed(), now: Date.now() });
  }

  /**
   * Brings every socket's rights in step with the committed membership: one comparison of
   * the commit frontier unless something committed (core/space/door.ts RightsWatch). A socket that may no longer read is
   * closed; one that may no longer write keeps reading, and its updates are refused.
   */
  private recheck(): void {
    const changed = this.rights.changes(this.log.replica.commits.frontier, () => this.sequencer.committed(), this.sockets.values(), (entry) => entry.memo);
    for (const [entry, rights] of changed) {
      this.remember(entry.conn.id, rights);
      if (!rights.read) entry.conn.close(ACCESS_REVOKED.closeCode, ACCESS_REVOKED.code);
    }
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
    // A socket without a memo (or with one from before the door) is anonymous, read-only and
    // owns nothing until recheck derives its rights: fail closed.
    const entry: TrackedSocket = { conn, memo: { ...ANONYMOUS, ...memo, did: memo?.did ?? null }, peer: undefined as unknown as SocketPeer };
    entry.peer = {
      id: conn.id,
      get did() {
        return entry.memo.did;
      },
      get readable() {
        return entry.memo.read;
      },
      get writable() {
        return entry.memo.write;
      },
      get observing() {
        return entry.memo.observing;
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

const ANONYMOUS: ConnectionMemo = { did: null, observing: true, read: false, write: false, awareness: {}, logLive: false };

const toBytes = (message: WSMessage): Uint8Array | string =>
  typeof message === "string"
    ? message
    : message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
