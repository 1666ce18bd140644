/**
 * `commons serve`: this node's spaces on ws://host:port/s/<space>, with the SAME core rooms
 * the edge runs (core/space: YjsRoom over the space's YUpdateStore, LogRoom over its
 * LogReplica, routeFrame between them), so another node's `commons peer` — or any stock Yjs
 * client — syncs with it exactly as with the edge. Only the transport differs: the `ws`
 * package instead of Durable Object sockets.
 *
 * The log room gets a Sequencer only when this node is the space's appointed sequencer;
 * otherwise it relays and stores, and commits wait for the real sequencer.
 * A space is opened on its first connection and held (with its write lock) until stop.
 *
 * The door is the edge's (core/space/door.ts), decided by this node's committed state: a
 * peer authenticates with a capability token (`?token=` or `Authorization: Bearer`), a
 * refused socket gets its HTTP 401/403 before any upgrade, and open sockets' rights follow
 * membership changes.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { CommonsError, isCommonsError } from "../../core/errors.js";
import type { Signer } from "../../core/identity/signer.js";
import { isSpaceId, type SpaceId } from "../../core/ids.js";
import { parseLogPost, parseLogQuery } from "../../core/log/http.js";
import { Sequencer } from "../../core/state/sequencer.js";
import { ACCESS_REVOKED, admit, credentialsOf, requireRead, rightsOf, RightsWatch, withoutCredentials, type Access } from "../../core/space/door.js";
import { LogRoom } from "../../core/space/log-room.js";
import { routeFrame, type SocketPeer } from "../../core/space/space-socket.js";
import { YjsRoom, type OwnedAwareness } from "../../core/space/yjs-room.js";
import { hasSpace, type Home } from "./home.js";
import { LocalSpace } from "./local-space.js";

type ServedPeer = SocketPeer & { access: Access; awareness: OwnedAwareness; setLive(live: boolean): void };

interface Hosted {
  space: SpaceId;
  local: LocalSpace;
  yjs: YjsRoom;
  log: LogRoom;
  /** This node's committed state, kept incrementally (also when another key sequences). */
  committed: Sequencer;
  peers: Map<string, ServedPeer>;
  /** Brings the peers' rights in step with the committed membership; closes those that may no longer read. */
  recheck(): void;
}

export interface Served {
  port: number;
  close(): Promise<void>;
}

export async function serveSpaces(home: Home, signer: Signer, options: { port: number; host: string }): Promise<Served> {
  const hosted = new Map<SpaceId, Promise<Hosted>>();
  const room = (space: SpaceId) => {
    let entry = hosted.get(space);
    if (entry === undefined) hosted.set(space, (entry = openRoom(home, signer, space)));
    return entry;
  };

  const http = createServer((req, res) => void handleHttp(req, res, room).catch((error: unknown) => {
    const e = isCommonsError(error) ? error : new CommonsError("internal", (error as Error).message, { status: 500 });
    res.writeHead(e.status, { "content-type": "application/json" }).end(JSON.stringify(e.toJSON()));
  }));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * 1024 * 1024 });
  http.on("upgrade", (req, socket, head) => {
    const space = spaceOf(req.url ?? "");
    if (space === null || !hasSpace(home, space)) {
      socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
      return;
    }
    // Open the room and ask the door first: frames sent right after the handshake must find
    // their handler, and a refused peer gets its HTTP error, never a socket.
    room(space).then(
      async (h) => {
        try {
          const access = await admitRequest(h, req);
          requireRead(access, space);
          wss.handleUpgrade(req, socket, head, (ws) => attach(h, ws, access));
        } catch (error) {
          if (!isCommonsError(error)) throw error;
          const body = JSON.stringify(error.toJSON());
          socket.end(`HTTP/1.1 ${error.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        }
      },
    ).catch(() => socket.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n"));
  });
  await new Promise<void>((resolve) => http.listen(options.port, options.host, resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const entry of hosted.values()) (await entry.catch(() => null))?.local.close();
    },
  };
}

function spaceOf(url: string): SpaceId | null {
  const match = /^\/s\/([^/?]+)/.exec(url);
  const name = match ? decodeURIComponent(match[1]!) : "";
  return isSpaceId(name) ? name : null;
}

async function openRoom(home: Home, signer: Signer, space: SpaceId): Promise<Hosted> {
  const local = await LocalSpace.open(home, space, { lock: true });
  const peers: Hosted["peers"] = new Map();
  // The committed state's keeper; it signs receipts only when this node is the sequencer.
  const committed = new Sequencer(local.replica, signer);
  const watch = new RightsWatch();
  const recheck = () => {
    for (const [peer, rights] of watch.changes(local.replica.commits.frontier, () => committed.committed(), peers.values(), (p) => p.access)) {
      peer.access = { ...peer.access, ...rights };
      if (!rights.read) peer.close(ACCESS_REVOKED.closeCode, ACCESS_REVOKED.code);
    }
  };
  // Every fan-out first brings rights up to date, as at the edge.
  const readers = () => (recheck(), peers.values());
  const yjs = new YjsRoom(local.ystore, {
    peers: readers,
    rememberAwareness: (peer, owned) => void (peers.get(peer.id)!.awareness = owned),
    member: (did) => committed.committed().members.get(did),
  });
  yjs.load();
  const sequencer = local.replica.commits.nextSequencer === signer.did ? committed : null;
  const log = new LogRoom(local.replica, sequencer, { peers: readers, setLive: (peer, live) => peers.get(peer.id)?.setLive(live) }, {
    // A catch-up yields to the event loop between pages, so other peers go on meanwhile.
    yieldBetweenPages: () => new Promise((resolve) => setImmediate(resolve)),
  });
  if (sequencer !== null) await log.commitPending();
  return { space, local, yjs, log, committed, peers, recheck };
}

function admitRequest(h: Hosted, req: IncomingMessage): Promise<Access> {
  const credentials = credentialsOf(new URL(req.url ?? "/", "http://node"), req.headers.authorization);
  return admit(credentials, { space: h.space, state: h.committed.committed(), now: Date.now() });
}

function attach(h: Hosted, ws: WebSocket, admitted: Access): void {
  let live = false;
  const peer: ServedPeer = {
    id: randomUUID(),
    // Rights again from the state now: a commit may have landed while the token was verified.
    access: { ...admitted, ...rightsOf(h.committed.committed(), admitted.did, admitted.observing) },
    get did() {
      return peer.access.did;
    },
    get readable() {
      return peer.access.read;
    },
    get writable() {
      return peer.access.write;
    },
    get observing() {
      return peer.access.observing;
    },
    get live() {
      return live;
    },
    setLive: (value: boolean) => void (live = value),
    awareness: {} as OwnedAwareness,
    send: (frame: Uint8Array) => {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    },
    close: (code: number, reason: string) => ws.close(code, reason),
    ownedAwareness: () => peer.awareness,
  };
  h.peers.set(peer.id, peer);
  // Frames of one socket are handled one after another, as the edge does.
  let queue: Promise<void> = Promise.resolve();
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString("utf8");
    queue = queue.then(() => (h.recheck(), routeFrame(peer, frame, h.yjs, h.log))).catch(() => ws.close(1011, "internal"));
  });
  ws.on("close", () => {
    h.peers.delete(peer.id);
    h.yjs.onClose(peer);
  });
  h.yjs.onOpen(peer);
}

/** The edge's HTTP twin of the log, for peers and curl: /s/:space/log/state, GET|POST /s/:space/log. */
async function handleHttp(req: IncomingMessage, res: ServerResponse, room: (space: SpaceId) => Promise<Hosted>): Promise<void> {
  const url = new URL(req.url ?? "/", "http://node");
  const json = (status: number, body: unknown): void => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (url.pathname === "/") return json(200, { service: "commons-node", status: "ok" });
  const match = /^\/s\/([^/]+)\/(log|log\/state)$/.exec(url.pathname);
  const space = match ? spaceOf(`/s/${match[1]}`) : null;
  if (match === null || space === null) throw new CommonsError("not-found", `no route ${req.method} ${url.pathname} on this node`, { status: 404 });
  const h = await room(space);
  const { log } = h;
  if (req.method === "GET") {
    const access = await admitRequest(h, req);
    if (match[2] === "log/state") {
      const r = log.replica;
      const door = { space, exists: r.commits.nextSequencer !== undefined, sequencer: log.sequencer?.did ?? null, epoch: h.committed.committed().epoch };
      if (!access.read) return json(200, door);
      return json(200, { ...door, activeSequencer: r.commits.nextSequencer ?? null, vv: r.versionVector(), heads: r.heads(), count: r.count(), frontier: r.commits.frontier });
    }
    requireRead(access, space);
    return json(200, log.replica.query(parseLogQuery(withoutCredentials(url.searchParams))));
  }
  // POST is open to anyone, as at the edge: envelopes authenticate themselves.
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return json(200, { results: await log.submit(parseLogPost(Buffer.concat(chunks).toString("utf8"))) });
}
