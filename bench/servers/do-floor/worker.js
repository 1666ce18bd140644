/**
 * The fan-out floor for a hibernatable Durable Object (bench only, not the product): the
 * least a durable-first, coalescing Yjs relay pays in this runtime. Sockets are accepted
 * with the Hibernation API; every update frame is queued with no validation and no
 * document; a lone frame after a pause is flushed at the end of its event (with at most 64
 * sockets, as the edge does), a burst on a zero-delay timer: one `Y.mergeUpdates`, one SQLite row, one frame to every socket.
 * Like the `relay` anchor it keeps no document, so a sync step 1 gets an empty step 2.
 * The gap between this and the edge is what the edge's own code costs.
 */
import { DurableObject } from "cloudflare:workers";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

const EMPTY_STEP2 = new Uint8Array([0, 1, 2, 0, 0]);

export class FloorRoom extends DurableObject {
  pending = [];
  scheduled = false;
  last = -Infinity;

  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS updates (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  }

  async fetch() {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    const data = new Uint8Array(message);
    if (data[0] === 0 && data[1] === 0) return ws.send(EMPTY_STEP2);
    if (data[0] !== 0 || data[1] !== 2) return; // only updates are relayed
    this.pending.push(decoding.readVarUint8Array(decoding.createDecoder(data.subarray(2))));
    const now = performance.now();
    const quiet = now - this.last >= 4;
    this.last = now;
    if (this.scheduled) return;
    this.scheduled = true;
    // The edge's rule (durable-objects/space.ts): immediate only with few sockets.
    if (quiet && this.ctx.getWebSockets().length <= 64) queueMicrotask(() => this.flush());
    else setTimeout(() => this.flush(), 0);
  }

  flush() {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const merged = batch.length === 1 ? batch[0] : Y.mergeUpdates(batch);
    this.ctx.storage.sql.exec("INSERT INTO updates (data) VALUES (?)", merged);
    const frame = encoding.createEncoder();
    encoding.writeVarUint(frame, 0); // sync
    encoding.writeVarUint(frame, 2); // update
    encoding.writeVarUint8Array(frame, merged);
    const out = encoding.toUint8Array(frame);
    for (const ws of this.ctx.getWebSockets()) ws.send(out);
  }

  webSocketClose(ws, code) {
    ws.close(code === 1005 || code === 1006 ? 1000 : code);
  }
}

export default {
  fetch(request, env) {
    const room = new URL(request.url).pathname;
    if (request.headers.get("Upgrade") !== "websocket") return new Response("do-floor", { status: 200 });
    return env.ROOMS.get(env.ROOMS.idFromName(room)).fetch(request);
  },
};
