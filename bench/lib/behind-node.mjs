/**
 * A node far behind, in its own process (for bench/benchmarks/far-behind.mjs): on a
 * `{ url, token }` message it opens the space's socket with the token, sends `log.hello`
 * with an empty version vector (`live: true`, as `commons sync` does), parses every
 * `log.batch` it is sent and counts the envelopes, and on `log.synced` reports
 * `{ openMs, syncedMs, envelopes, batches, bytes, count }` (ms from the start message) and
 * closes. Light: it does not verify or store what it receives, so the time is the edge's
 * sending, not this node's ingest.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";

const LOG = 100;

const logFrame = (message) => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, LOG);
  encoding.writeVarString(e, JSON.stringify(message));
  return encoding.toUint8Array(e);
};

process.on("message", ({ url, token }) => {
  const t0 = performance.now();
  const target = new URL(url);
  target.searchParams.set("token", token);
  const ws = new WebSocket(target);
  const out = { openMs: null, syncedMs: null, envelopes: 0, batches: 0, bytes: 0, count: null };
  ws.on("open", () => {
    out.openMs = performance.now() - t0;
    ws.send(logFrame({ t: "log.hello", vv: {}, live: true }));
  });
  ws.on("message", (data) => {
    const bytes = new Uint8Array(data);
    out.bytes += bytes.byteLength;
    const d = decoding.createDecoder(bytes);
    if (decoding.readVarUint(d) !== LOG) return;
    const message = JSON.parse(decoding.readVarString(d));
    if (message.t === "log.hello") out.count = message.count;
    else if (message.t === "log.batch") {
      out.batches++;
      out.envelopes += message.envelopes.length;
    } else if (message.t === "log.synced") {
      out.syncedMs = performance.now() - t0;
      ws.close();
      process.send(out);
    } else if (message.t === "log.error") {
      process.send({ ...out, error: `${message.code}: ${message.message}` });
    }
  });
  ws.on("error", (error) => process.send({ ...out, error: String(error?.message ?? error) }));
});
