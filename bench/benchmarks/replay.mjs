/**
 * 10. replay: the committed state at a random commit, `Sequencer.committedAtIndex(i)` (core
 * code, in Node) on node:sqlite copies of spaces of 10k and 100k committed envelopes (1M
 * with --million): the Durable Object databases the edge wrote (bench/lib/big-space.mjs),
 * copied out after the edge stopped, so the checkpoints are the ones the edge's sequencer
 * stored (a whole snapshot about every 1,000 commits, core/state/store.ts).
 *
 * committedAtIndex(i) reads the checkpoint at or below i and folds the commits since, so by
 * design its cost depends on the distance past that checkpoint, not on i or the log's
 * length. Each sample: a commit i uniform over the bigger log, its distance d past its
 * checkpoint, and the 10k log's commit at the same distance d past a checkpoint chosen at
 * random there ("the same position"); the two calls are timed back to back (order
 * alternating). After warm-up calls on every copy.
 *
 * Target: replay at a random commit of the 100k (1M) log ≤ 2 × at the same position of the 10k log (p50).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copySpaceDb, ensureSpaces, label, loadEngineCore } from "../lib/big-space.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { percentile } from "../lib/stats.mjs";

export const name = "replay";
export const title = "Replay at a random commit: 10k, 100k (and 1M) committed envelopes";

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: values.reduce((s, x) => s + x, 0) / (values.length || 1), samples: values.length };
};

function open(core, info, dir) {
  const file = copySpaceDb(info.space, join(dir, `${info.space}.sqlite`));
  const sql = new core.NodeSql(file);
  const replica = core.LogReplica.open(sql, info.space);
  const sequencer = new core.Sequencer(replica, info.signers[0]);
  const checkpoints = [0, ...sql.exec("SELECT idx FROM state_checkpoints ORDER BY idx").map((r) => Number(r.idx))];
  const frontier = replica.commits.frontier;
  return { info, sql, sequencer, checkpoints, frontier };
}

/** The checkpoint at or below i, and the next one (or past the frontier). */
function interval(copy, i) {
  const cps = copy.checkpoints;
  let k = 0;
  for (let lo = 0, hi = cps.length - 1; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if (cps[mid] <= i) (k = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  return { from: cps[k], to: k + 1 < cps.length ? cps[k + 1] : copy.frontier + 1 };
}

export async function run({ quick, million = false, log }) {
  const load = othersLoad();
  const sizes = quick ? [1_000, 10_000] : million ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
  const samples = quick ? 100 : 300;
  const spaces = await ensureSpaces(sizes, { log });
  const core = await loadEngineCore();
  const dir = mkdtempSync(join(tmpdir(), "commons-bench-replay-"));
  const copies = spaces.map((info) => open(core, info, dir));
  try {
    const [base, ...bigger] = copies;
    // Intervals of the base log by length, to find one that holds a distance d.
    const baseIntervals = base.checkpoints.map((from, k) => ({ from, to: k + 1 < base.checkpoints.length ? base.checkpoints[k + 1] : base.frontier + 1 }));
    const timeAt = (copy, i) => {
      const t0 = performance.now();
      const state = copy.sequencer.committedAtIndex(i);
      const ms = performance.now() - t0;
      if (i >= 1 && state.members.size === 0) throw new Error(`replay of ${copy.info.space} at ${i} has no members`);
      return ms;
    };
    for (const copy of copies) for (let w = 0; w < 20; w++) timeAt(copy, 1 + Math.floor(Math.random() * copy.frontier));
    const results = [];
    for (const big of bigger) {
      const bigMs = [];
      const baseMs = [];
      const distances = [];
      let skipped = 0;
      for (let s = 0; s < samples; s++) {
        const i = 1 + Math.floor(Math.random() * big.frontier);
        const d = i - interval(big, i).from;
        const fits = baseIntervals.filter((iv) => iv.from + d < iv.to);
        if (fits.length === 0) {
          skipped++;
          continue;
        }
        const j = fits[Math.floor(Math.random() * fits.length)].from + d;
        if (s % 2) {
          bigMs.push(timeAt(big, i));
          baseMs.push(timeAt(base, j));
        } else {
          baseMs.push(timeAt(base, j));
          bigMs.push(timeAt(big, i));
        }
        distances.push(d);
      }
      const r = {
        n: big.info.n,
        frontier: big.frontier,
        checkpoints: big.checkpoints.length - 1,
        base: { n: base.info.n, frontier: base.frontier, checkpoints: base.checkpoints.length - 1, ...stats(baseMs) },
        ...stats(bigMs),
        meanDistance: distances.reduce((x, y) => x + y, 0) / (distances.length || 1),
        maxDistance: Math.max(...distances),
        skipped,
      };
      results.push(r);
      log(`replay: ${label(r.n)} p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms vs ${label(base.info.n)} at the same positions p50 ${r.base.p50.toFixed(2)} ms p99 ${r.base.p99.toFixed(2)} ms (${(r.p50 / r.base.p50).toFixed(2)}×; mean distance past a checkpoint ${r.meanDistance.toFixed(0)} commits, ${r.checkpoints} checkpoints)`);
    }
    return {
      machine: load.stop(),
      params: { sizes, samples, oneMillion: million ? "run (--million)" : "not run in this pass: `npm run bench -- replay --million`" },
      results,
    };
  } finally {
    for (const c of copies) c.sql.close?.();
    rmSync(dir, { recursive: true, force: true });
  }
}
