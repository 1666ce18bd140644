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
import { Sequencer } from "../core/state/sequencer.js";
import { ACCESS_REVOKED, admit, credentialsOf, requireRead, rightsOf, RightsWatch, withoutCredentials, type Access } from "../core/space/door.js";
import { LogRoom } from "../core/space/log-room.js";
import { parseViewQuery, readModel, viewEtag } from "../core/space/read-model.js";
import { routeFrame, type SocketPeer } from "../core/space/space-socket.js";
import { YjsRoom, type OwnedAwareness } from "../core/space/yjs-room.js";
import { YUpdateStore } from "../core/yjs/update-store.js";
import { Ed25519Signer } from "../core/identity/signer.js";
import { Limiter, quotasFrom, rateLimitedMessage, SocketCounter } from "../core/space/quota.js";
import { beforeGenesis, hasGenesis } from "./space-genesis.js";
import { loadOrCreateSigner, storeSigner } from "./space-identity.js";
import { SpaceAgents } from "./space-agents.js";
import { SpaceCoalitions, type CoalitionAnswer, type CoalitionCall } from "./coalition-space.js";
import { spaceHistory } from "./space-history.js";
import { SpaceMcp } from "./space-mcp.js";
import type { SegmentHistory } from "../core/log/segment-history.js";
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
  private agents!: SpaceAgents;
  private coalitions!: SpaceCoalitions;
  /** Sealed history in R2 (durable-objects/space-history.ts): the replica reads through it. */
  history!: SegmentHistory;
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
  /** Known to hold a genesis (checked once per instance: a space never stops existing). */
  private exists = false;
  /** The key `/log/state` shows before the genesis; stored when a genesis arrives. */
  private pending: Promise<Ed25519Signer> | undefined;
  /** Why the last start failed; the next request tries again (see ready). */
  private failure: unknown;
  /** The storage as core sees it; `storage.rowsRead` is how tests show what a wake reads. */
  storage!: DurableObjectSql;
  private readonly quotas = quotasFrom(this.env.COMMONS_QUOTAS);
  private readonly sockets_per = new SocketCounter({ perIdentity: this.quotas.socketsPerIdentity, anonymous: this.quotas.anonymousSockets });
  private readonly frames = new Limiter(this.quotas.socketFrames);
  private readonly bytes = new Limiter(this.quotas.socketBytes);
  private readonly authors = new Limiter(this.quotas.authorEnvelopes);

  /**
   * partyserver's start hook. A failure here must not leave the object broken for good: it
   * is remembered, the request that woke the object answers 503 `space-unavailable`, and the
   * next request starts again (see ready).
   */
  override async onStart(): Promise<void> {
    try {
      await this.start();
      this.failure = undefined;
    } catch (error) {
      this.failure = error;
      console.error(`SpaceDO ${this.name} could not start:`, error);
    }
  }

  /** Tries a failed start again; throws the 503 the caller answers with if it fails again. */
  private async ready(): Promise<void> {
    if (this.failure !== undefined) await this.onStart();
    if (this.failure === undefined) return;
    const reason = this.failure instanceof Error ? this.failure.message : String(this.failure);
    throw new CommonsError("space-unavailable", `This space could not start (${reason.slice(0, 200)}): try again; if it persists, rebuild it from a node with \`commons host\`.`, { status: 503 });
  }

  private async start(): Promise<void> {
    this.started = false;
    const sql = (this.storage = new DurableObjectSql(this.ctx.storage));
    for (const conn of this.getConnections<ConnectionMemo>()) {
      const memo = (conn.state as ConnectionMemo | null) ?? null;
      this.track(conn, memo);
      // Sockets that outlived a wake count against their identity's quota again.
      this.sockets_per.admit(memo?.did ?? null);
    }
    const peers = () => {
      // Every fan-out first brings rights up to date: a removed member is sent nothing more.
      if (this.started) this.recheck();
      return [...this.sockets.values()].map((entry) => entry.peer);
    };
    this.yjs = new YjsRoom(
      new YUpdateStore(sql),
      {
        peers,
        rememberAwareness: (peer, awareness) => {
          this.remember(peer.id, { awareness });
          // Held asks wait on presence: agents hear of a member turning active (durable-objects/space-agents.ts).
          this.agents.presenceChanged(() => this.yjs.presence());
        },
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
    // The log reads through its sealed history: rows sealed into R2 get their text back on demand.
    this.history = spaceHistory(sql, this.env, this.name);
    const replica = LogReplica.open(this.history.sql, this.name as SpaceId);
    const signer = await loadOrCreateSigner(sql);
    const sequencer = (this.sequencer = new Sequencer(replica, signer));
    this.mcp = new SpaceMcp({
      space: this.name,
      sql,
      signer,
      yjs: () => this.yjs,
      log: () => this.log,
      history: () => this.history,
      allowedHosts: (this.env.COMMONS_ALLOWED_HOSTS ?? "127.0.0.1,localhost,[::1]").split(",").map((h) => h.trim()),
      setAlarm: (at) => void this.ctx.storage.setAlarm(at),
      getAlarm: () => this.ctx.storage.getAlarm(),
      keepCoalitionKey: (coalition, key) => this.coalitions.keep(coalition, key),
    });
    this.agents = new SpaceAgents({ space: this.name, sql, env: this.env, waitUntil: (p) => this.ctx.waitUntil(p), envelope: (id) => replica.get(id)?.envelope });
    this.coalitions = new SpaceCoalitions({
      space: this.name, sql, env: this.env, waitUntil: (p) => this.ctx.waitUntil(p), envelope: (id) => replica.get(id)?.envelope,
      state: () => this.sequencer.committed(), write: (type, body) => this.log.write(type, body),
    });
    this.log = new LogRoom(
      replica,
      sequencer,
      { peers, setLive: (peer, logLive) => this.remember(peer.id, { logLive }) },
      {
        signer,
        afterCommit: async (entries, write) => {
          await this.mcp.afterCommit(entries, write);
          // Agents hear of it outside this write queue (durable-objects/space-agents.ts).
          this.agents.notify(entries, this.sequencer.committed());
          this.coalitions.notify(entries);
          // Off the per-event path: a point read or two unless a segment is due, then R2 first.
          this.ctx.waitUntil(this.history.sealDue().catch((error: unknown) => console.error(`SpaceDO ${this.name} could not seal history:`, error)));
        },
        authorRate: (author) => this.authors.take(author),
        // A zero-delay timer is a macrotask: other sockets' frames run between two pages.
        yieldBetweenPages: () => new Promise((resolve) => setTimeout(resolve, 0)),
        history: this.history,
      },
    );
    this.started = true;
    // Envelopes may have arrived while this replica could not commit (a hand-over, a crash).
    // If it still cannot, the space keeps serving reads and says why in the log.
    await this.log.commitPending().catch((error: unknown) => console.error(`SpaceDO ${this.name} could not commit what is pending:`, error));
  }

  /**
   * partyserver accepts a socket before onConnect runs, so the door answers here, first: a
   * refused connection gets its HTTP error (401/403 with the stable code) and never a socket.
   */
  override async fetch(request: Request): Promise<Response> {
    try {
      if (!this.exists && !(this.exists = hasGenesis(this.ctx.storage))) {
        const answer = await beforeGenesis(request, this.name, await (this.pending ??= Ed25519Signer.generate()));
        if (answer instanceof Response) return answer;
        // A genesis: from here on the space exists, with the key /log/state showed.
        storeSigner(new DurableObjectSql(this.ctx.storage), await this.pending);
        this.exists = true;
        request = answer;
      }
      // partyserver runs onStart only inside its own entry points; setName is its public way
      // to run it first (a no-op once started). The door needs the committed state.
      if (!this.started) await this.setName(this.name);
      await this.ready();
      if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return await super.fetch(request);
      const access = await this.admit(request);
      requireRead(access, this.name);
      if (!this.sockets_per.admit(access.did)) {
        const limit = access.did === null ? `${this.quotas.anonymousSockets} anonymous sockets` : `${this.quotas.socketsPerIdentity} sockets per identity`;
        throw new CommonsError("rate-limited", `rate-limited: this space allows ${limit}; close one, then retry after 1 s`, { status: 429 });
      }
      this.admitted.set(request, access);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      return Response.json(error.toJSON(), { status: error.status, ...(error.status === 429 ? { headers: { "Retry-After": "1" } } : {}) });
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
      if (!this.withinQuota(entry, message)) return;
      this.recheck();
      await routeFrame(entry.peer, toBytes(message), this.yjs, this.log);
    } catch (error) {
      console.error(`SpaceDO ${this.name} webSocketMessage:`, error);
    }
  }

  override async onMessage(conn: Connection<ConnectionMemo>, message: WSMessage): Promise<void> {
    if (this.failure !== undefined) return conn.close(1013, "space-unavailable");
    const peer = this.peer(conn);
    if (!this.withinQuota(this.sockets.get(conn.id)!, message)) return;
    this.recheck();
    await routeFrame(peer, toBytes(message), this.yjs, this.log);
  }

  override onClose(conn: Connection<ConnectionMemo>): void {
    this.forget(conn);
  }

  override onError(conn: Connection<ConnectionMemo>): void {
    this.forget(conn);
  }

  /** RPC from this space's CoalitionDOs (durable-objects/coalition-space.ts): never routed by the Worker. */
  async coalitionCall(call: CoalitionCall): Promise<CoalitionAnswer> {
    if (!hasGenesis(this.ctx.storage)) return { view: null };
    if (!this.started) await this.setName(this.name);
    await this.ready();
    return this.coalitions.call(call);
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
      const text = await request.text();
      // Bytes per client address: verifying signatures is the costly part of a stranger's post.
      const take = this.bytes.take(`http:${request.headers.get("CF-Connecting-IP") ?? "local"}`, text.length);
      if (!take.ok) {
        const error = new CommonsError("rate-limited", rateLimitedMessage("bytes posted from your address", take.retryAfterSeconds), { status: 429 });
        return Response.json(error.toJSON(), { status: 429, headers: { "Retry-After": String(take.retryAfterSeconds) } });
      }
      return Response.json({ results: await this.log.submit(parseLogPost(text)) });
    }
    // Not routed by the Worker: only an AgentDO on this edge reaches it (its own token, its own did).
    if (path === "agents" && (request.method === "POST" || request.method === "DELETE")) {
      const access = await this.admit(request);
      return this.agents.route(request, access.did, this.sequencer.committed());
    }
    // A key kept here for a coalition the caller will form on its copy (durable-objects/coalition-space.ts).
    if (path === "coalition-keys" && request.method === "POST") {
      const access = await this.admit(request);
      requireRead(access, this.name);
      if (!access.write || access.did === null) throw new CommonsError("read-only", `${access.did} may not write in ${this.name}, so it forms no coalitions: ask an owner for a writing role`, { status: 403 });
      return Response.json({ key: await this.coalitions.reserve(access.did) }, { status: 201 });
    }
    if (request.method !== "GET" || !["presence", "log", "log/state", "view"].includes(path)) {
      throw new CommonsError("not-found", `no route ${request.method} ${url.pathname} on a space: see docs/PROTOCOL.md`, { status: 404 });
    }
    const access = await this.admit(request);
    // A newcomer needs the sequencer key and the epoch to make its first token and genesis.
    if (path === "log/state") return Response.json(await this.logState(access));
    requireRead(access, this.name);
    if (path === "presence") return Response.json({ space: this.name, ...this.yjs.presence() });
    if (path === "view") return this.view(request, url);
    // A page that reaches sealed history loads its segments first (and may come back shorter, hasMore set).
    const query = parseLogQuery(withoutCredentials(url.searchParams));
    return Response.json(await this.history.read((limit) => this.log.replica.query(limit === undefined ? query : { ...query, limit }), { limit: query.limit ?? DEFAULT_QUERY_LIMIT }));
  }

  /** `GET /view`: the read model (core/space/read-model.ts), 304 when the reader's ETag still holds. */
  private view(request: Request, url: URL): Response {
    const filter = parseViewQuery(withoutCredentials(url.searchParams));
    const frontier = this.log.replica.commits.frontier;
    const locks = this.mcp.locks.current(Date.now());
    const etag = viewEtag(frontier, this.mcp.locks.version);
    const headers = { ETag: etag, "Cache-Control": "private, no-cache" };
    if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers });
    return Response.json({ space: this.name, ...readModel(this.sequencer.committed(), frontier, locks, filter) }, { headers });
  }

  /** `GET /log/state`: for readers the replica's whole state, for others only what a newcomer needs. */
  private async logState(access: Access) {
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
      // How much of the log is sealed into R2 (core/log/segment-history.ts), after any sealing in flight.
      sealed: await this.history.status(),
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
    const entry = this.sockets.get(conn.id);
    if (this.yjs !== undefined) this.yjs.onClose(this.peer(conn));
    if (entry !== undefined) this.sockets_per.release(entry.memo.did);
    this.sockets.delete(conn.id);
  }

  /**
   * Frames and bytes per socket (core/space/quota.ts). Past either, the socket is closed
   * with 4429 `rate-limited`: a stock client reconnects and resyncs, so nothing it sent is
   * lost for good, and the rest of the space never waits for it.
   */
  private withinQuota(entry: TrackedSocket, message: WSMessage): boolean {
    const size = typeof message === "string" ? message.length : message.byteLength;
    const frames = this.frames.take(entry.conn.id);
    const bytes = frames.ok ? this.bytes.take(entry.conn.id, size) : frames;
    if (frames.ok && bytes.ok) return true;
    entry.conn.close(RATE_LIMITED_CLOSE, `rate-limited; retry after ${bytes.ok ? 1 : bytes.retryAfterSeconds} s`);
    return false;
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

/** A log query's page when it names no limit (core/log/query.ts): where a sealed read starts halving. */
const DEFAULT_QUERY_LIMIT = 100;

/** Close code of a socket past its frame or byte quota (docs/PROTOCOL.md). */
const RATE_LIMITED_CLOSE = 4429;

const ANONYMOUS: ConnectionMemo = { did: null, observing: true, read: false, write: false, awareness: {}, logLive: false };

const toBytes = (message: WSMessage): Uint8Array | string =>
  typeof message === "string"
    ? message
    : message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
