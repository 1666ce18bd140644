/**
 * 1. fanout: one writer, N readers on one space. Paced (200 updates/s) then burst (all at
 * once) on the same sockets. Every server runs at once; after a warm-up the targets take
 * turns (A B C … A B C …) and each figure is the median over rounds. The floor is an echo
 * server: one WebSocket round trip plus Y.applyUpdate in the client, same updates, same run.
 * `do-floor` is the same runtime as the edge running the least a hibernatable, durable-first,
 * coalescing Yjs relay can do (bench/servers/do-floor): what the runtime itself charges.
 */
import { ClientPool } from "../lib/clients.mjs";
import { edgeDirect, restartable, settle, startAnchor, startDoFloor, startEdge } from "../lib/servers.mjs";
import { cpuSeconds } from "../lib/proc.mjs";
import { startProfile } from "../lib/profile.mjs";
import { median, medianOf } from "../lib/stats.mjs";
import { closeSession, openSession, runPhase } from "../lib/trial.mjs";

export const name = "fanout";
export const title = "Fan-out: one writer, N readers on one space";

export const ANCHORS = ["hocuspocus", "hocuspocus-noflush", "y-websocket", "relay"];

export async function run({ quick, log }) {
  const sizes = quick ? [10] : [10, 50, 200];
  const rounds = quick ? 1 : 2;
  const paced = { rate: 200, count: quick ? 200 : 300 };
  // 2,000 updates at once, except at N = 200 where the edge needs tens of seconds per burst
  // (see the page): 500 keeps the suite inside its time budget.
  const burstFor = (n) => (quick ? 500 : n >= 200 ? 500 : 2000);
  const timeouts = { paced: 12000, burst: 20000 };

  const edge = await restartable(() => startEdge()).start();
  const doFloor = await restartable(() => startDoFloor()).start();
  const anchors = [];
  for (const kind of ANCHORS) anchors.push(await startAnchor(kind));
  const echo = await startAnchor("echo");
  echo.name = "floor";
  // Process 0 writes; processes 1..3 read. The writer is alone so its send times are not
  // delayed by reading.
  const pool = ClientPool.start(4);
  const readerProcs = [1, 2, 3];
  let serial = 0;
  const restarts = [];

  const trial = async (target, n, p = paced, burst = burstFor(n)) => {
    const space = `fanout-${target.name}-${n}-${Date.now().toString(36)}-${serial++}`;
    const isEcho = target === echo;
    const capacity = p.count + burst;
    const session = await openSession({ pool, target, space, readers: isEcho ? 0 : n, readerProcs, writerProcs: [0], capacity, echo: isEcho });
    const pacedResult = await runPhase(session, { from: 0, count: p.count, mode: "paced", rate: p.rate, timeoutMs: timeouts.paced });
    const burstResult = await runPhase(session, { from: p.count, count: burst, mode: "burst", timeoutMs: timeouts.burst });
    await closeSession(session);
    if (!(await settle(target, 3000)) && target.restart) {
      restarts.push(`${target.name} N=${n}: still busy after the trial (backlog); restarted`);
      await target.restart();
    }
    return { connectMs: session.connectMs, paced: pacedResult, burst: burstResult };
  };

  const results = [];
  let direct = null;
  let profile = null;
  try {
    for (const n of sizes) {
      const targets = [edge, doFloor, ...anchors, echo];
      // The edge reached past wrangler's dev proxy: how much of the edge's figures is the
      // local dev proxy's extra hop (it relays every frame; production has no such hop).
      direct = await edgeDirect(edge.current);
      if (direct) targets.splice(1, 0, direct);
      log(`fanout N=${n}: warm-up`);
      for (const t of targets) await trial(t, Math.min(n, 10), { rate: 400, count: 100 }, 200);
      const perTarget = new Map(targets.map((t) => [t.name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const t of targets) {
          const res = await trial(t, n);
          perTarget.get(t.name).push(res);
          log(
            `  N=${n} round ${r + 1} ${t.name.padEnd(18)} paced p50 ${fmt(res.paced.p50)} p99 ${fmt(res.paced.p99)} ms | ` +
              `burst(${res.burst.count}) converge ${fmt(res.burst.convergeMs, 0)} ms | server cpu ${fmt(res.paced.serverCpuS)}+${fmt(res.burst.serverCpuS)} s | ` +
              `delivered ${fmt(res.paced.deliveredRatio * 100, 1)}%/${fmt(res.burst.deliveredRatio * 100, 1)}%${res.burst.converged && res.paced.converged ? "" : " NOT CONVERGED"}`,
          );
        }
      }
      for (const [targetName, list] of perTarget) {
        results.push({
          n,
          target: targetName,
          rounds: list.length,
          connectMs: median(list.map((x) => x.connectMs)),
          paced: medianOf(list.map((x) => x.paced)),
          burst: medianOf(list.map((x) => x.burst)),
          raw: list.map((x) => ({ paced: strip(x.paced), burst: strip(x.burst) })),
        });
      }
      if (direct) direct = null;
    }
    profile = await profiledBurst(edge, pool, readerProcs, quick ? 10 : 50, 1000);
    log(`  profile of the edge (N=${profile.n}, burst ${profile.count}): runtime ${profile.runtimeCpuS} s CPU, dev proxy ${profile.proxyCpuS} s; top: ${profile.summary?.functions.slice(0, 4).map((f) => `${f.name} ${f.share}%`).join(", ")}`);
  } finally {
    await pool.close();
    for (const t of [edge, doFloor, ...anchors, echo]) await t.stop();
  }
  return {
    params: { sizes, rounds, paced, burst: Object.fromEntries(sizes.map((n) => [n, burstFor(n)])), timeouts, readerProcesses: readerProcs.length, writerProcesses: 1 },
    restarts,
    results,
    profile,
  };
}

/** One more (unmeasured) edge burst, under the CPU profiler, to say where the time goes. */
async function profiledBurst(edge, pool, readerProcs, n, count) {
  const session = await openSession({ pool, target: edge, space: `fanout-profile-${Date.now().toString(36)}`, readers: n, readerProcs, writerProcs: [0], capacity: count });
  const runtime0 = cpuSeconds(edge.runtimePids());
  const proxy0 = cpuSeconds(edge.proxyPids());
  const profiler = await startProfile(edge.inspectorPort);
  const r = await runPhase(session, { from: 0, count, mode: "burst", timeoutMs: 30000 });
  const summary = await profiler.stop();
  await closeSession(session);
  return { n, count, convergeMs: r.convergeMs, runtimeCpuS: +(cpuSeconds(edge.runtimePids()) - runtime0).toFixed(2), proxyCpuS: +(cpuSeconds(edge.proxyPids()) - proxy0).toFixed(2), summary };
}

const fmt = (x, d = 2) => (x === null || x === undefined ? "—" : Number(x).toFixed(d));
const strip = ({ p50, p99, max, convergeMs, framesPerClient, serverCpuS, deliveredRatio, converged, complete }) => ({ p50, p99, max, convergeMs, framesPerClient, serverCpuS, deliveredRatio, converged, complete });
