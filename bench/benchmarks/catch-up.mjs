/**
 * 4. catch-up: a local node made N edits while offline (each its own Yjs transaction, so its
 * own update: short inserts at seeded random positions in a Y.Text), then reconnects to the
 * edge's space socket (ws://127.0.0.1:<port>/s/<space>) and syncs the y-protocols way
 * (as y-websocket does): it sends step 1 (its state vector), answers the edge's step 1 with
 * step 2 (the diff the edge lacks), and applies the edge's step 2.
 *
 * Time to equal state = socket open → a reader client, already connected to the same space
 * before the node reconnected, has applied everything (its Y.Text equals the node's). Also
 * timed: connect (new socket → open), and afterwards a fresh client's connect → synced with
 * the full document, as a check that the edge stored it. Bytes each way are counted on the
 * node's socket (WebSocket payload bytes, frames as sent; TCP/WebSocket headers not counted).
 *
 * Floor, same run, same documents: Y.encodeStateAsUpdate(node, Y.encodeStateVector(empty))
 * then Y.applyUpdate into the empty doc, in this process.
 *
 * Target: catch-up of 10k edits ≤ 1 s.
 */
import WebSocket from "ws";
import * as Y from "yjs";
import { openSpaces } from "../lib/edge-door.mjs";
import { EMPTY_STATE_VECTOR, Framer } from "../lib/protocol.mjs";
import { startEdge } from "../lib/servers.mjs";
import { median, sleep } from "../lib/stats.mjs";
import { mulberry32 } from "../../scripts/prng.mjs";

export const name = "catch-up";
export const title = "Catch-up: missed edits after reconnecting";

/** The node's offline session: N separate transactions on a Y.Text. */
function offlineDoc(n, seed) {
  const doc = new Y.Doc();
  const text = doc.getText("t");
  const rand = mulberry32(seed);
  let updates = 0;
  let updateBytes = 0;
  doc.on("update", (u) => {
    updates++;
    updateBytes += u.length;
  });
  const letters = "abcdefghijklmnopqrstuvwxyz ";
  for (let i = 0; i < n; i++) {
    // Mostly typing at a cursor that sometimes jumps; 1–4 characters per edit.
    const len = text.length;
    const pos = rand() < 0.2 ? Math.floor(rand() * (len + 1)) : len;
    let s = "";
    const k = 1 + Math.floor(rand() * 4);
    for (let j = 0; j < k; j++) s += letters[Math.floor(rand() * letters.length)];
    text.insert(pos, s);
  }
  return { doc, text, updates, updateBytes };
}

function open(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.binaryType = "nodebuffer";
  return ws;
}

function opened(ws) {
  return new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
}

/** A client that applies every sync step 2 / update it receives into its own Y.Doc. */
async function reader(url, framer) {
  const doc = new Y.Doc();
  const ws = open(url);
  let synced;
  const syncedP = new Promise((r) => (synced = r));
  const waiters = [];
  ws.on("message", (data) => {
    const h = framer.parse(data);
    if (h.kind === "step1") {
      ws.send(framer.step2(Y.encodeStateAsUpdate(doc, data.subarray(h.payloadStart, h.payloadEnd))));
    } else if (h.kind === "step2" || h.kind === "update") {
      Y.applyUpdate(doc, data.subarray(h.payloadStart, h.payloadEnd));
      if (h.kind === "step2") synced();
      for (const w of [...waiters]) w();
    }
  });
  await opened(ws);
  for (const f of framer.hello(EMPTY_STATE_VECTOR)) ws.send(f);
  await syncedP;
  return {
    doc,
    ws,
    until(test, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reader did not catch up within ${timeoutMs} ms`)), timeoutMs);
        const w = () => {
          if (test(doc)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(w), 1);
            resolve(performance.now());
          }
        };
        waiters.push(w);
        w();
      });
    },
    close: () => ws.close(),
  };
}

/** The reconnecting node: y-websocket's sync on one socket, counting payload bytes each way. */
async function reconnect(url, framer, doc) {
  const bytes = { sent: 0, received: 0, framesSent: 0, framesReceived: 0 };
  const t0 = performance.now();
  const ws = open(url);
  const send = (frame) => {
    bytes.sent += frame.length;
    bytes.framesSent++;
    ws.send(frame);
  };
  let gotStep2;
  const step2 = new Promise((r) => (gotStep2 = r));
  ws.on("message", (data) => {
    bytes.received += data.length;
    bytes.framesReceived++;
    const h = framer.parse(data);
    if (h.kind === "step1") send(framer.step2(Y.encodeStateAsUpdate(doc, data.subarray(h.payloadStart, h.payloadEnd))));
    else if (h.kind === "step2" || h.kind === "update") {
      Y.applyUpdate(doc, data.subarray(h.payloadStart, h.payloadEnd), "edge");
      if (h.kind === "step2") gotStep2(performance.now());
    }
  });
  await opened(ws);
  const openAt = performance.now();
  for (const f of framer.hello(Y.encodeStateVector(doc))) send(f);
  return { ws, bytes, t0, openAt, step2 };
}

export async function run({ quick, log }) {
  const sizes = quick ? [1000, 10000] : [1000, 10000, 100000];
  const rounds = 3;
  const timeoutMs = 60000;
  const edge = await startEdge();
  const framer = new Framer("y");
  const results = [];
  try {
    // Warm-up: one small catch-up so the first measured space does not pay the first-request JIT.
    {
      const space = `catchup-warm-${Date.now().toString(36)}`;
      await openSpaces(edge, [space]);
      const r = await reader(edge.url(space), framer);
      const { doc, text } = offlineDoc(100, 1);
      const node = await reconnect(edge.url(space), framer, doc);
      await r.until((d) => d.getText("t").toString() === text.toString(), timeoutMs);
      node.ws.close();
      r.close();
    }
    for (const n of sizes) {
      const rows = [];
      for (let round = 0; round < rounds; round++) {
        const space = `catchup-${n}-${round}-${Date.now().toString(36)}`;
        await openSpaces(edge, [space]);
        const tg = performance.now();
        const { doc, text, updates, updateBytes } = offlineDoc(n, 1000 + round);
        const generateMs = performance.now() - tg;
        const expected = text.toString();
        const docBytes = Y.encodeStateAsUpdate(doc).length;

        // Floor: the same catch-up in process (diff against an empty doc, apply).
        const tf = performance.now();
        const empty = new Y.Doc();
        const diff = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(empty));
        Y.applyUpdate(empty, diff);
        const floorMs = performance.now() - tf;
        if (empty.getText("t").length !== text.length) throw new Error("floor did not converge");

        const r = await reader(edge.url(space), framer);
        const node = await reconnect(edge.url(space), framer, doc);
        const doneAt = await r.until((d) => d.getText("t").length === text.length && d.getText("t").toString() === expected, timeoutMs);
        const step2At = await node.step2;
        // Let trailing frames (the edge's own broadcasts, if any) arrive before reading the byte counts.
        await sleep(200);
        const bytes = { ...node.bytes };
        node.ws.close();
        r.close();

        // A fresh client: does the edge now serve the whole document?
        const tfresh = performance.now();
        const fresh = await reader(edge.url(space), framer);
        const freshMs = performance.now() - tfresh;
        const freshOk = fresh.doc.getText("t").toString() === expected;
        fresh.close();
        if (!freshOk) throw new Error(`fresh client after catch-up of ${n} did not get the whole document`);

        const row = {
          n,
          round,
          updates,
          offlineUpdateBytes: updateBytes,
          docBytes,
          generateMs,
          connectMs: node.openAt - node.t0,
          catchUpMs: doneAt - node.openAt,
          totalMs: doneAt - node.t0,
          nodeSyncedMs: step2At - node.openAt,
          freshSyncMs: freshMs,
          floorMs,
          bytesSent: bytes.sent,
          bytesReceived: bytes.received,
          framesSent: bytes.framesSent,
          framesReceived: bytes.framesReceived,
        };
        rows.push(row);
        log(`catch-up N=${n} round ${round}: ${row.catchUpMs.toFixed(1)} ms (open → reader equal), floor ${floorMs.toFixed(1)} ms, sent ${bytes.sent} B, received ${bytes.received} B`);
      }
      const med = (k) => median(rows.map((x) => x[k]));
      results.push({
        n,
        rounds: rows,
        catchUpMs: med("catchUpMs"),
        connectMs: med("connectMs"),
        totalMs: med("totalMs"),
        nodeSyncedMs: med("nodeSyncedMs"),
        freshSyncMs: med("freshSyncMs"),
        floorMs: med("floorMs"),
        bytesSent: med("bytesSent"),
        bytesReceived: med("bytesReceived"),
        docBytes: med("docBytes"),
        offlineUpdateBytes: med("offlineUpdateBytes"),
      });
    }
  } finally {
    await edge.stop();
  }
  const ten = results.find((x) => x.n === 10000);
  return {
    params: { sizes, rounds, edits: "Y.Text inserts of 1–4 characters, 80 % at the end, 20 % at a random position; one transaction each", path: "y-protocols sync step 1/2 over /s/<space>, as y-websocket does" },
    results,
    summary: { edits: 10000, catchUpMs: ten?.catchUpMs ?? null, floorMs: ten?.floorMs ?? null },
  };
}
