/**
 * One anchor server in its own process, for comparison with the edge on loopback:
 *
 *   node bench/servers/anchor.mjs <kind> <port> [--db file]
 *
 * kinds: hocuspocus (defaults: broadcasts merged per event-loop turn, flushDelay 0),
 *        hocuspocus-noflush (flushDelay: false: every update broadcast on its own, at once),
 *        y-websocket (@y/websocket-server's setupWSConnection, no persistence),
 *        relay (a plain `ws` relay: forwards update and awareness frames, keeps no document),
 *        echo (sends every frame straight back: the floor's network part).
 * With --db, Hocuspocus loads each document in onLoadDocument from a node:sqlite file
 * holding rows (doc, seq, data), applied in order in one transaction (what the edge does).
 * Prints "READY <port>" when listening.
 */
import { createServer } from "node:http";
import { DatabaseSync } from "node:sqlite";
import { WebSocketServer } from "ws";
import * as Y from "yjs";

const [kind, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const dbPath = rest[0] === "--db" ? rest[1] : undefined;
const ready = () => console.log(`READY ${port}`);

if (kind === "hocuspocus" || kind === "hocuspocus-noflush") {
  const { Server } = await import("@hocuspocus/server");
  const db = dbPath ? new DatabaseSync(dbPath, { readOnly: true }) : null;
  const select = db?.prepare("SELECT data FROM y_updates WHERE doc = ? ORDER BY seq");
  const server = new Server({
    port,
    address: "127.0.0.1",
    quiet: true,
    stopOnSignals: false,
    ...(kind === "hocuspocus-noflush" ? { flushDelay: false } : {}),
    async onLoadDocument({ document, documentName }) {
      if (!select) return;
      const rows = select.all(documentName);
      Y.transact(document, () => {
        for (const row of rows) Y.applyUpdate(document, row.data);
      });
    },
  });
  await server.listen();
  ready();
} else if (kind === "y-websocket") {
  const { setupWSConnection } = await import("@y/websocket-server/utils");
  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((_req, res) => res.end("ok"));
  http.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => setupWSConnection(ws, req)));
  http.listen(port, "127.0.0.1", ready);
} else if (kind === "relay") {
  const rooms = new Map();
  const EMPTY_STEP2 = Buffer.from([0, 1, 2, 0, 0]);
  const wss = new WebSocketServer({ host: "127.0.0.1", port }, ready);
  wss.on("connection", (ws, req) => {
    const room = rooms.get(req.url) ?? new Set();
    rooms.set(req.url, room);
    room.add(ws);
    ws.on("close", () => room.delete(ws));
    ws.on("message", (data) => {
      // The relay keeps no document: a step 1 gets an empty step 2, everything else is forwarded.
      if (data[0] === 0 && data[1] === 0) return ws.send(EMPTY_STEP2);
      if (data[0] === 0 && data[1] === 1 && data.length <= 5) return;
      for (const peer of room) if (peer !== ws) peer.send(data);
    });
  });
} else if (kind === "echo") {
  const wss = new WebSocketServer({ host: "127.0.0.1", port }, ready);
  wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data)));
} else {
  console.error(`unknown anchor kind ${kind}`);
  process.exit(2);
}
