/**
 * 7. cli-node: the local node's commands on copies of 1k and 100k envelopes, as processes
 * (`bin/commons`, as a user runs them): `commons post` and `commons log --attention`, plus
 * `commons work ls` and `commons id` (process start and the identity only: the floor).
 *
 * Copies are built with core code straight into node:sqlite (bench/lib/node-copy.mjs: signed
 * envelopes by three members, committed by a sequencer key, the same 25 asking for the
 * node's attention at every size). The first command on a copy verifies it in full and
 * signs its verified point; it is timed apart (`first open`). Then rounds, sizes and
 * commands interleaved, each command a fresh process: an open verifies what arrived since
 * the point (here: the previous post), reads the committed state and the uncommitted
 * suffix. Wall time from spawn to exit.
 *
 * Target: 100k ÷ 1k ≤ 1.5× for `post` and `log --attention` (medians).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../scripts/edge-dev.mjs";
import { buildCopy } from "../lib/node-copy.mjs";
import { median, percentile } from "../lib/stats.mjs";

export const name = "cli-node";
export const title = "Local node: CLI commands on 1k and 100k envelopes";

const SPACE = "bench-node";
const bin = join(repoRoot, "bin/commons");
const COMMANDS = {
  post: (i) => ["post", SPACE, `bench post ${i}`],
  attention: () => ["log", SPACE, "--attention"],
  workLs: () => ["work", SPACE, "ls"],
  id: () => ["id"],
};

function commons(home, args) {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, COMMONS_HOME: home }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (run.status !== 0) throw new Error(`commons ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return { ms, stdout: run.stdout };
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: median(values), p90: percentile(sorted, 90), min: sorted[0] ?? null, n: values.length };
};

export async function run({ quick, log }) {
  const sizes = quick ? [1_000, 10_000] : [1_000, 100_000];
  const rounds = quick ? 3 : 9;
  const dir = mkdtempSync(join(tmpdir(), "commons-bench-cli-"));
  try {
    const copies = [];
    for (const n of sizes) {
      const copy = await buildCopy(dir, SPACE, n);
      log(`cli-node: built ${copy.envelopes} envelopes (${copy.receipts} receipts) in ${copy.buildSeconds.toFixed(1)} s`);
      // The first open finds no verified point: the full audit, once.
      const first = commons(copy.home, COMMANDS.attention());
      const attentionLines = first.stdout.split("\n").filter(Boolean).length;
      // The first post finds the uncommitted suffix from the start, the first `work ls` folds the committed state once.
      const firstPost = commons(copy.home, COMMANDS.post(0));
      const firstWork = commons(copy.home, COMMANDS.workLs());
      log(`cli-node: ${n}: first open ${first.ms.toFixed(0)} ms (full audit), first post ${firstPost.ms.toFixed(0)} ms, first work ls ${firstWork.ms.toFixed(0)} ms`);
      copies.push({ n, copy, firstOpenMs: first.ms, firstPostMs: firstPost.ms, firstWorkLsMs: firstWork.ms, attentionLines, times: { post: [], attention: [], workLs: [], id: [] } });
    }
    for (let r = 1; r <= rounds; r++) {
      // Alternate which size goes first, so drift in the machine's load falls on both.
      for (const c of r % 2 ? copies : [...copies].reverse()) {
        for (const [cmd, args] of Object.entries(COMMANDS)) {
          const { ms, stdout } = commons(c.copy.home, args(r));
          if (cmd === "attention" && stdout.split("\n").filter(Boolean).length !== c.attentionLines) throw new Error("log --attention changed its answer between runs");
          c.times[cmd].push(ms);
        }
      }
    }
    const results = copies.map((c) => ({
      n: c.n, envelopes: c.copy.envelopes, receipts: c.copy.receipts, attentionLines: c.attentionLines, buildSeconds: c.copy.buildSeconds,
      firstOpenMs: c.firstOpenMs, firstPostMs: c.firstPostMs, firstWorkLsMs: c.firstWorkLsMs,
      post: stats(c.times.post), attention: stats(c.times.attention), workLs: stats(c.times.workLs), id: stats(c.times.id),
    }));
    const [small, big] = results;
    const summary = {
      small: small.n, big: big.n,
      postRatio: big.post.p50 / small.post.p50,
      attentionRatio: big.attention.p50 / small.attention.p50,
      workLsRatio: big.workLs.p50 / small.workLs.p50,
    };
    log(`cli-node: post ${small.post.p50.toFixed(0)} → ${big.post.p50.toFixed(0)} ms (${summary.postRatio.toFixed(2)}×), log --attention ${small.attention.p50.toFixed(0)} → ${big.attention.p50.toFixed(0)} ms (${summary.attentionRatio.toFixed(2)}×)`);
    return { params: { sizes, rounds, space: SPACE, attention: "20 mentions + 5 approval requests naming the node, at every size" }, results, summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
