/**
 * 2. throughput: offered load from 100 to 5,000 updates/s, spread over 1 / 10 / 50 writers
 * (every writer is also a peer that receives the others' updates), with two readers. For
 * each cell: accepted rate (updates delivered per second to a reader), p99 delivery
 * latency, overload errors (closed sockets, failed sends, updates never delivered). The
 * knee is the highest offered load still delivered at ≥ 95 % of its rate and in full.
 */
import { ClientPool } from "../lib/clients.mjs";
import { restartable, settle, startAnchor, startEdge } from "../lib/servers.mjs";
import { closeSession, openSession, runPhase } from "../lib/trial.mjs";

export const name = "throughput";
export const title = "Throughput: offered load against accepted rate";

export async function run({ quick, log }) {
  const loads = quick ? [200, 2000] : [100, 500, 1000, 2000, 5000];
  const writerCounts = quick ? [1, 10] : [1, 10, 50];
  const seconds = quick ? 1 : 2;
  const graceMs = 4000;
  const edge = await restartable(() => startEdge()).start();
  const hp = await startAnchor("hocuspocus");
  const pool = ClientPool.start(3);
  const cells = [];
  const restarts = [];
  let serial = 0;
  const cell = async (target, writers, load) => {
    const count = load * seconds;
    const space = `tp-${target.name}-${writers}-${load}-${Date.now().toString(36)}-${serial++}`;
    const session = await openSession({ pool, target, space, readers: 2, writers, readerProcs: [2], writerProcs: [0, 1], capacity: count });
    const r = await runPhase(session, { from: 0, count, mode: "paced", rate: load, timeoutMs: graceMs });
    await closeSession(session);
    if (!(await settle(target, 3000)) && target.restart) {
      restarts.push(`${target.name} ${writers} writers at ${load}/s: still busy after the cell; restarted`);
      await target.restart();
    }
    const delivered = r.deliveredRatio * count;
    const accepted = r.complete ? Math.min(load, delivered / Math.max(seconds, r.spanMs / 1000)) : delivered / (seconds + graceMs / 1000);
    return {
      target: target.name,
      writers,
      offered: load,
      accepted,
      p50: r.p50,
      p99: r.p99,
      complete: r.complete,
      undelivered: Math.round((1 - r.deliveredRatio) * count * r.readers),
      closes: r.closes,
      sendFailures: r.sendFailures,
      serverCpuS: r.serverCpuS,
      converged: r.converged,
    };
  };
  try {
    log("throughput: warm-up");
    for (const t of [edge, hp]) await cell(t, 1, 200);
    let flip = false;
    for (const writers of writerCounts) {
      for (const load of loads) {
        const order = flip ? [hp, edge] : [edge, hp];
        flip = !flip;
        for (const t of order) {
          const c = await cell(t, writers, load);
          cells.push(c);
          log(`  ${t.name.padEnd(10)} ${String(writers).padStart(2)} writers ${String(load).padStart(5)}/s → accepted ${c.accepted.toFixed(0)}/s p99 ${c.p99?.toFixed(1)} ms${c.complete ? "" : ` INCOMPLETE (${c.undelivered} undelivered)`}`);
        }
      }
    }
  } finally {
    await pool.close();
    await edge.stop();
    await hp.stop();
  }
  const knees = [];
  for (const target of ["edge", "hocuspocus"]) {
    for (const writers of writerCounts) {
      const ok = cells.filter((c) => c.target === target && c.writers === writers && c.complete && c.accepted >= 0.95 * c.offered);
      knees.push({ target, writers, knee: ok.length ? Math.max(...ok.map((c) => c.offered)) : null, maxAccepted: Math.max(...cells.filter((c) => c.target === target && c.writers === writers).map((c) => c.accepted)) });
    }
  }
  return { params: { loads, writerCounts, seconds, graceMs, readers: 2 }, restarts, cells, knees };
}
