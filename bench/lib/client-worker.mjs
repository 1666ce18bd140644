/**
 * A benchmark client process (forked by bench/lib/clients.mjs; commands arrive over IPC).
 * It holds many sockets to one server, in four roles:
 *
 *   reader    parses the frame header only and finds sequence numbers with Buffer.indexOf
 *             (no Yjs decoding), so hundreds of readers cost the machine little;
 *   verifier  a full Yjs client: applies every update to its Y.Doc before timestamping,
 *             and reports its final state so a run can check that everyone converged;
 *   writer    a full Yjs client that makes the numbered updates and records send times;
 *   echo      a writer that also reads its own frames back from an echo server and applies
 *             them to a mirror Y.Doc (the floor: one round trip plus one Y.applyUpdate).
 *
 * Times are performance.timeOrigin + performance.now(): the same monotonic clock in every
 * process on the machine, so a writer's send time and a reader's arrival time compare.
 */
import WebSocket from "ws";
import * as Y from "yjs";
import { EMPTY_STATE_VECTOR, EMPTY_UPDATE, Framer, marker, scanMarkers } from "./protocol.mjs";

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const REMOTE = Symbol("remote");

let sockets = [];
let capacity = 0;
let range = { from: 0, to: 0 };

function open(spec) {
  const s = {
    ...spec,
    framer: new Framer(spec.flavor, spec.docName),
    arrivals: spec.role === "writer" ? null : new Float64Array(capacity),
    inRange: 0,
    frames: 0,
    bytes: 0,
    synced: false,
    closed: null,
    errors: [],
    sendFailures: 0,
    maxBuffered: 0,
  };
  if (spec.role !== "reader") {
    s.doc = new Y.Doc();
    s.map = s.doc.getMap("bench");
    s.doc.on("update", (update, origin) => {
      if (origin === REMOTE || !s.ws) return;
      if (s.ws.readyState !== WebSocket.OPEN) return void s.sendFailures++;
      s.ws.send(s.framer.update(update));
      if (s.ws.bufferedAmount > s.maxBuffered) s.maxBuffered = s.ws.bufferedAmount;
    });
  }
  if (spec.role === "echo") s.mirror = new Y.Doc();
  const t0 = now();
  sockets.push(s);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(spec.url, { perMessageDeflate: false });
    s.ws = ws;
    ws.binaryType = "nodebuffer";
    ws.on("open", () => {
      for (const f of s.framer.hello(s.doc ? Y.encodeStateVector(s.doc) : EMPTY_STATE_VECTOR)) ws.send(f);
    });
    ws.on("message", (data) => onFrame(s, data));
    ws.on("close", (code, reason) => {
      s.closed = { code, reason: String(reason) };
      if (!s.synced) reject(new Error(`socket closed before sync: ${code} ${reason}`));
    });
    ws.on("error", (e) => {
      s.errors.push(String(e.message));
      if (!s.synced) reject(e);
    });
    s.onSynced = () => resolve(now() - t0);
  });
}

function onFrame(s, buf) {
  let t = now();
  s.frames++;
  s.bytes += buf.length;
  let h;
  try {
    h = s.framer.parse(buf);
  } catch {
    s.errors.push("unparsable frame");
    return;
  }
  if (h.kind === "step1") {
    const reply = s.doc ? Y.encodeStateAsUpdate(s.doc, buf.subarray(h.payloadStart, h.payloadEnd)) : EMPTY_UPDATE;
    s.ws.send(s.framer.step2(reply));
    return;
  }
  if (h.kind !== "step2" && h.kind !== "update") return;
  const payload = buf.subarray(h.payloadStart, h.payloadEnd);
  if (s.role === "verifier" || (s.role === "writer" && !s.synced)) {
    Y.applyUpdate(s.doc, payload, REMOTE);
    t = now();
  } else if (s.role === "echo") {
    Y.applyUpdate(s.mirror, payload, REMOTE);
    t = now();
  }
  if (s.arrivals) {
    const { from, to } = range;
    scanMarkers(payload, (g) => {
      if (g < capacity && s.arrivals[g] === 0) {
        s.arrivals[g] = t;
        if (g >= from && g < to) s.inRange++;
      }
    });
  }
  if (h.kind === "step2" && !s.synced) {
    s.synced = true;
    s.onSynced();
  }
}

const readers = () => sockets.filter((s) => s.arrivals);

const handlers = {
  /** Opens sockets (at most `concurrency` handshakes at once); resolves with connect→synced times. */
  async connect({ specs, capacity: cap, concurrency = 25 }) {
    capacity = cap ?? capacity;
    const times = new Array(specs.length);
    let next = 0;
    const lane = async () => {
      while (next < specs.length) {
        const i = next++;
        times[i] = await open(specs[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, lane));
    return { times };
  },
  /** Starts a phase: arrivals of sequence numbers in [from, to) are counted from now on. */
  expect({ from, to }) {
    range = { from, to };
    for (const s of readers()) {
      s.frames = 0;
      s.bytes = 0;
      s.inRange = 0;
      for (let g = from; g < to; g++) if (s.arrivals[g] !== 0) s.inRange++;
    }
    return {};
  },
  /** Writers send sequence numbers [from, from+count): paced at `rate`/s or all at once. */
  async run({ from, count, mode, rate, start, writers }) {
    const mine = new Map(sockets.filter((s) => s.role === "writer" || s.role === "echo").map((s) => [s.writerIndex, s]));
    const sends = [];
    const send = (k) => {
      const s = mine.get(k % writers);
      if (!s) return;
      const g = from + k;
      sends.push(g, now());
      s.map.set(s.key, marker(g));
    };
    while (now() < start) await sleep(Math.min(5, start - now()));
    if (mode === "burst") {
      for (let k = 0; k < count; k++) send(k);
    } else {
      const interval = 1000 / rate;
      let k = 0;
      while (k < count) {
        const t = now();
        while (k < count && start + k * interval <= t) send(k++);
        if (k < count) await sleep(Math.max(0, start + k * interval - now() - 0.5));
      }
    }
    const failures = [...mine.values()].reduce((n, s) => n + s.sendFailures, 0);
    const maxBuffered = Math.max(0, ...[...mine.values()].map((s) => s.maxBuffered));
    return { sends: Float64Array.from(sends), failures, maxBuffered };
  },
  /** Every writer socket makes one update: its key, and a short paragraph of text. */
  touch() {
    for (const s of sockets) {
      if (s.role !== "writer") continue;
      s.doc.transact(() => {
        s.map.set(s.key, marker(0));
        s.doc.getText("notes").insert(0, "a typical short note of a couple of hundred bytes ".repeat(4));
      });
    }
    return {};
  },
  /** Resolves once every reading socket has all of the phase's sequence numbers, or at the deadline. */
  async wait({ timeoutMs }) {
    const want = range.to - range.from;
    const deadline = now() + timeoutMs;
    for (;;) {
      const open = readers().filter((s) => !s.closed);
      if (open.every((s) => s.inRange >= want)) return { complete: open.length === readers().length };
      if (now() > deadline) return { complete: false };
      await sleep(5);
    }
  },
  /** Arrival times for [from, to) per reading socket, with frame counts since `expect`. */
  collect({ from, to }) {
    return {
      sockets: readers().map((s) => ({
        role: s.role,
        arrivals: s.arrivals.slice(from, to),
        frames: s.frames,
        bytes: s.bytes,
        closed: s.closed,
        errors: s.errors.slice(0, 5),
        final: s.role === "verifier" ? finalState(s) : undefined,
      })),
      writers: sockets.filter((s) => s.role === "writer").map((s) => ({ closed: s.closed, errors: s.errors.slice(0, 5) })),
    };
  },
  /** Closes every socket: a close frame, then (after 500 ms without the server's answer) a reset. */
  async closeAll() {
    for (const s of sockets) if (!s.closed) s.ws.close();
    await Promise.race([Promise.all(sockets.map((s) => (s.closed ? null : new Promise((r) => s.ws.once("close", r))))), sleep(500)]);
    const unanswered = sockets.filter((s) => !s.closed).length;
    for (const s of sockets) if (!s.closed) s.ws.terminate();
    sockets = [];
    return { unanswered };
  },
  /** Sends a query-awareness frame on the first socket and times the first frame back. */
  async probe() {
    const s = sockets[0];
    const t0 = now();
    const frames = s.frames;
    s.ws.send(s.flavor === "hp" ? s.framer.hello(EMPTY_STATE_VECTOR)[1] : Uint8Array.of(3));
    while (s.frames === frames) await sleep(0.2);
    return { ms: now() - t0 };
  },
  exit() {
    setTimeout(() => process.exit(0), 10);
    return {};
  },
};

function finalState(s) {
  const out = {};
  for (const [key, value] of s.map) out[key] = value instanceof Uint8Array ? Buffer.from(value).readUInt32LE(8) : null;
  return out;
}

process.on("message", async (msg) => {
  try {
    const result = await handlers[msg.cmd](msg.args ?? {});
    process.send({ id: msg.id, ok: true, result });
  } catch (error) {
    process.send({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
  }
});
