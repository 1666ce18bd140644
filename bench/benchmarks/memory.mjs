/**
 * 6. memory: resident memory per space, with 1 / 100 / 1,000 spaces each holding one
 * connected writer that made one small update (a Y.Map key and ~200 bytes of text).
 * Spaces are added cumulatively on one server; per-space = (RSS now − RSS before the first
 * space) / N. "Idle" repeats the reading after the sockets have been quiet long enough for
 * a hibernatable Durable Object to be hibernated, if the local runtime does so (the page
 * says whether memory moved). Edge: the runtime workerd process (wrangler's dev proxy,
 * which also holds every socket, is reported apart). Anchor: the Hocuspocus process.
 * Then a separate pass on a fresh edge reads the isolate's live JavaScript heap (after a full
 * GC, over the inspector) with the largest number of spaces, active and after the idle wait:
 * unlike RSS it falls when idle objects are evicted, so the idle figure is what a hibernated
 * space still holds in JavaScript. (Apart, because the heap snapshot that forces the GC
 * inflates the runtime's RSS for good.)
 * `do-floor` (bench/servers/do-floor) is a Durable Object on the same runtime holding one
 * SQLite table and no document: what the runtime charges per object, whatever it runs.
 */
import { openSpaces as openDoors } from "../lib/edge-door.mjs";
import { ClientPool } from "../lib/clients.mjs";
import { rssMiB } from "../lib/proc.mjs";
import { heapUsedMiB } from "../lib/profile.mjs";
import { startAnchor, startDoFloor, startEdge } from "../lib/servers.mjs";
import { sleep } from "../lib/stats.mjs";

export const name = "memory";
export const title = "Memory per space";

export async function run({ quick, log }) {
  const steps = quick ? [1, 20] : [1, 100, 1000];
  const idleMs = quick ? 3000 : 20000;
  const pool = ClientPool.start(3);
  const rows = [];
  let heap = null;
  try {
    for (const kind of ["edge", "do-floor", "hocuspocus"]) {
      const target = kind === "edge" ? await startEdge() : kind === "do-floor" ? await startDoFloor() : await startAnchor("hocuspocus");
      const runtime = () => rssMiB(target.runtimePids());
      const proxy = () => (target.proxyPids ? rssMiB(target.proxyPids()) : 0);
      // Warm-up: one throwaway space, so code loading is not charged to the first space.
      await openDoors(target, ["mem-warm"]);
      await pool.call(0, "connect", { specs: [{ role: "writer", url: target.url("mem-warm"), flavor: target.flavor, docName: "mem-warm", key: "w0", writerIndex: 0 }], capacity: 0 });
      await pool.call(0, "touch");
      await pool.call(0, "closeAll");
      await sleep(1000);
      const base = { runtime: runtime(), proxy: proxy() };
      let open = 0;
      for (const n of steps) {
        await openSpaces(pool, target, "mem", open, n);
        open = n;
        await sleep(1500);
        const active = { runtime: runtime(), proxy: proxy() };
        let idle = null;
        if (kind === "edge") {
          await sleep(idleMs);
          idle = { runtime: runtime(), proxy: proxy() };
        }
        const row = {
          target: kind,
          n,
          baseMiB: base.runtime,
          activeMiB: active.runtime,
          activePerSpaceKiB: ((active.runtime - base.runtime) * 1024) / n,
          idleMiB: idle?.runtime ?? null,
          idlePerSpaceKiB: idle ? ((idle.runtime - base.runtime) * 1024) / n : null,
          proxyPerSpaceKiB: kind !== "hocuspocus" ? ((active.proxy - base.proxy) * 1024) / n : null,
          idleMs: idle ? idleMs : null,
        };
        rows.push(row);
        log(`  ${kind.padEnd(10)} ${String(n).padStart(4)} spaces: ${row.activePerSpaceKiB.toFixed(0)} KiB/space active${idle ? `, ${row.idlePerSpaceKiB.toFixed(0)} KiB/space after ${idleMs / 1000} s idle` : ""} (base ${base.runtime.toFixed(0)} MiB${kind !== "hocuspocus" ? `, dev proxy +${row.proxyPerSpaceKiB.toFixed(0)} KiB/space` : ""})`);
      }
      await pool.each([0, 1, 2], "closeAll");
      await target.stop();
    }
    heap = await heapPass(pool, steps[steps.length - 1], idleMs);
    log(`  edge JS heap, ${heap.n} spaces: ${heap.activePerSpaceKiB.toFixed(1)} KiB/space active, ${heap.idlePerSpaceKiB.toFixed(1)} KiB/space after ${idleMs / 1000} s idle`);
  } finally {
    await pool.close();
  }
  return { params: { steps, idleMs }, rows, heap };
}

/** The edge's JavaScript heap per space, active and after `idleMs` without traffic. */
async function heapPass(pool, n, idleMs) {
  const edge = await startEdge();
  try {
    const base = await heapUsedMiB(edge.inspectorPort);
    await openSpaces(pool, edge, "heap", 0, n);
    await sleep(1500);
    const active = await heapUsedMiB(edge.inspectorPort);
    await sleep(idleMs);
    const idle = await heapUsedMiB(edge.inspectorPort);
    await pool.each([0, 1, 2], "closeAll");
    return { n, baseMiB: base, activePerSpaceKiB: ((active - base) * 1024) / n, idlePerSpaceKiB: ((idle - base) * 1024) / n };
  } finally {
    await edge.stop();
  }
}

/** Spaces `<prefix>-<from>` … `<prefix>-<to - 1>`, one writer each spread over the 3 client processes, each with one small update. */
async function openSpaces(pool, target, prefix, from, to) {
  const specs = [];
  await openDoors(target, Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`));
  for (let i = from; i < to; i++) specs.push({ role: "writer", url: target.url(`${prefix}-${i}`), flavor: target.flavor, docName: `${prefix}-${i}`, key: "w0", writerIndex: 0 });
  const parts = [0, 1, 2].map((p) => specs.filter((_, i) => i % 3 === p));
  await Promise.all(parts.map((s, p) => (s.length ? pool.call(p, "connect", { specs: s, capacity: 0, concurrency: 20 }) : null)));
  await pool.each([0, 1, 2], "touch");
}
