/**
 * 11. far-behind: a node 100k envelopes behind (1M with --million) catches up on the space
 * socket while another member's socket keeps making round trips; that socket's p99 against
 * the same round trips with no catch-up running (idle, before and after).
 *
 * The node is a process of its own (bench/lib/behind-node.mjs): `log.hello` with an empty
 * version vector, every page parsed and counted, done at `log.synced`. The edge sends it one
 * page (256 envelopes) per turn of the space's write queue and yields a macrotask between
 * pages (core/space/log-room.ts). The other socket, in this process, alternates two round
 * trips, one at a time, 2 ms apart:
 * - a writer's: `log.push` of one envelope signed now by the space's `writer` key → its
 *   `log.ack` (verify, append, commit, inside the same write queue as the catch-up's pages);
 * - an editor's: Yjs sync step 1 → step 2 (the object's event loop, not the write queue).
 * Only round trips that start after the node's socket opened and before it synced count as
 * "during". Several catch-ups in a row at 100k (each a fresh node), one at 1M.
 *
 * Target: p99 during ≤ 2 × p99 idle, for each kind of round trip.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";
import { ensureSpaces, label, signLive, startBigEdge, tokenFor } from "../lib/big-space.mjs";
import { cpuSeconds } from "../lib/proc.mjs";
import { startProfile } from "../lib/profile.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { percentile, sleep } from "../lib/stats.mjs";

export const name = "far-behind";
export const title = "A node far behind catches up: another socket's round trips";

const nodeScript = fileURLToPath(new URL("../lib/behind-node.mjs", import.meta.url));
const LOG = 100;
const SYNC = 0;
const GAP_MS = 2;

const frame = (write) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const step1 = frame((e) => {
  encoding.writeVarUint(e, SYNC);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint8Array(e, Y.encodeStateVector(new Y.Doc()));
});
const pushFrame = (envelope) =>
  frame((e) => {
    encoding.writeVarUint(e, LOG);
    encoding.writeVarString(e, JSON.stringify({ t: "log.push", batch: [envelope] }));
  });

/** A member's socket making one round trip at a time: `push(envelope)` or `yjs()`, each resolving with its ms. */
async function openProbe(url, token) {
  const target = new URL(url);
  target.searchParams.set("token", token);
  const ws = new WebSocket(target);
  let waiting = null;
  ws.on("message", (data) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(d);
    if (type === LOG && waiting?.kind === "push") {
      const message = JSON.parse(decoding.readVarString(d));
      if (message.t !== "log.ack") return;
      const w = waiting;
      waiting = null;
      if (message.results[0]?.status !== "accepted") w.reject(new Error(`probe push not accepted: ${JSON.stringify(message.results[0])}`));
      else w.resolve(performance.now() - w.t0);
    } else if (type === SYNC && decoding.readVarUint(d) === 1 && waiting?.kind === "yjs") {
      const w = waiting;
      waiting = null;
      w.resolve(performance.now() - w.t0);
    }
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const trip = (kind, bytes) =>
    new Promise((resolve, reject) => {
      waiting = { kind, resolve, reject, t0: performance.now() };
      ws.send(bytes);
    });
  return { push: (envelope) => trip("push", pushFrame(envelope)), yjs: () => trip("yjs", step1), close: () => ws.close() };
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null, samples: sorted.length };
};

export async function run({ quick, million = false, log }) {
  const load = othersLoad();
  const n = quick ? 10_000 : million ? 1_000_000 : 100_000;
  const catchUps = quick ? 2 : million ? 1 : 3;
  const idleTrips = quick ? 100 : 300;
  const edge = await startBigEdge();
  try {
    const [info] = await ensureSpaces([n], { edge, log });
    const probe = await openProbe(`ws://127.0.0.1:${edge.port}/s/${info.space}`, await tokenFor(info, info.writer));
    const nodeToken = await tokenFor(info, info.signers[1]);
    let k = 0;
    /** One round trip of the next kind; returns [kind, ms, start]. */
    const trip = async () => {
      const kind = k++ % 2 ? "yjs" : "push";
      const envelope = kind === "push" ? await signLive(info, "channel.message", { content: `probe ${k}` }) : null;
      const start = performance.now();
      const ms = kind === "push" ? await probe.push(envelope) : await probe.yjs();
      await sleep(GAP_MS);
      return { kind, ms, start };
    };
    const idle = async (count) => {
      const out = { push: [], yjs: [] };
      for (let i = 0; i < count; i++) {
        const t = await trip();
        out[t.kind].push(t.ms);
      }
      return out;
    };
    await idle(40); // warm-up
    const before = await idle(idleTrips);
    const during = { push: [], yjs: [] };
    const runs = [];
    for (let c = 0; c < catchUps; c++) {
      const node = fork(nodeScript, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      await sleep(300); // the node's process starts
      const cpu0 = cpuSeconds(edge.serverPids());
      let report = null;
      const reported = new Promise((resolve) => node.once("message", (m) => resolve((report = m))));
      const t0 = performance.now();
      node.send({ url: `ws://127.0.0.1:${edge.port}/s/${info.space}`, token: nodeToken });
      const trips = [];
      while (report === null) trips.push(await trip());
      await reported;
      node.kill();
      if (report.error) throw new Error(`the node behind failed: ${report.error}`);
      const cpu = cpuSeconds(edge.serverPids()) - cpu0;
      const inside = trips.filter((t) => t.start - t0 >= report.openMs && t.start - t0 + t.ms <= report.syncedMs);
      for (const t of inside) during[t.kind].push(t.ms);
      const seconds = (report.syncedMs - report.openMs) / 1000;
      runs.push({ envelopes: report.envelopes, count: report.count, batches: report.batches, megabytes: report.bytes / 2 ** 20, seconds, perS: report.envelopes / seconds, edgeCpuS: cpu, trips: inside.length });
      if (report.envelopes < n) throw new Error(`the node behind got ${report.envelopes} envelopes, fewer than the ${n} items`);
      log(`far-behind: catch-up ${c + 1}: ${report.envelopes} envelopes (${(report.bytes / 2 ** 20).toFixed(0)} MiB, ${report.batches} frames) in ${seconds.toFixed(1)} s, ${inside.length} round trips during it`);
    }
    const after = await idle(idleTrips);
    probe.close();
    // Where a page's time goes: one more catch-up, nothing else running, under the V8 CPU profiler of the edge's isolate.
    let profile = null;
    try {
      const node = fork(nodeScript, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      await sleep(300);
      const profiler = await startProfile(edge.inspectorPort);
      const cpu0 = cpuSeconds(edge.runtimePids());
      const report = await new Promise((resolve) => {
        node.once("message", resolve);
        node.send({ url: `ws://127.0.0.1:${edge.port}/s/${info.space}`, token: nodeToken });
      });
      node.kill();
      const runtimeCpuS = cpuSeconds(edge.runtimePids()) - cpu0;
      const summary = await profiler.stop();
      profile = { seconds: (report.syncedMs - report.openMs) / 1000, batches: report.batches, runtimeCpuS, summary };
    } catch (error) {
      log(`far-behind: no profile (${error?.message ?? error})`);
    }
    const result = {};
    for (const kind of ["push", "yjs"]) {
      result[kind] = { idle: stats([...before[kind], ...after[kind]]), before: stats(before[kind]), after: stats(after[kind]), during: stats(during[kind]) };
      log(`far-behind: ${kind} round trip p99 idle ${result[kind].idle.p99.toFixed(1)} ms, during catch-up ${result[kind].during.p99?.toFixed(1)} ms (p50 ${result[kind].idle.p50.toFixed(1)} → ${result[kind].during.p50?.toFixed(1)} ms)`);
    }
    return {
      machine: load.stop(),
      params: { n, catchUps, idleTrips, gapMs: GAP_MS, oneMillion: million ? "run (--million)" : "not run in this pass: `npm run bench -- far-behind --million`" },
      space: { n: info.n, envelopes: info.count, frontier: info.frontier },
      runs,
      result,
      profile,
    };
  } finally {
    await edge.stop();
  }
}
