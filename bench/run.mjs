/**
 * `npm run bench [-- <name>… ] [--quick] [--docs]`
 *
 * Runs the benchmarks in bench/benchmarks/ against the edge (`wrangler dev`) and its anchors
 * on loopback. A full run (no names, no --quick) writes bench/results/<date>.json and
 * rewrites docs/BENCHMARKS.md with the charts in bench/results/charts/. A partial or quick run
 * writes bench/results/<date>-<names>[-quick].json and prints its tables; add --docs to
 * render the page from it anyway. `--render <results.json>` re-renders the page from a finished run.
 * `--merge <results.json>` (full sizes only) runs the named benchmarks, replaces their entries in
 * that finished run's file (noting the later run under `merged`), and re-renders the page from it:
 * e.g. `npm run bench -- catch-up log-ingest --merge bench/results/2026-11-21.json`.
 * `--million` adds the 1M-envelope log to log-ingest (about 10 more minutes), and a 1M-envelope
 * space to mcp-tools, wake, replay and far-behind (built once for the four, about 12 minutes more).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { render } from "./report.mjs";
import { killAll, measuredCode } from "./lib/servers.mjs";
import { othersLoad } from "./lib/machine.mjs";
import { repoRoot } from "../scripts/edge-dev.mjs";

const ORDER = ["fanout", "throughput", "cold-load", "catch-up", "log-ingest", "memory", "cli-node", "mcp-tools", "wake", "replay", "far-behind", "coalition-quorum", "web", "agents"];

const args = process.argv.slice(2);

// `--render bench/results/<file>.json`: re-render docs/BENCHMARKS.md from a finished run.
if (args[0] === "--render") {
  const { readFileSync } = await import("node:fs");
  const file = args[1];
  const page = render(JSON.parse(readFileSync(file, "utf8")), { resultsFile: file, writeCharts: true });
  writeFileSync(fileURLToPath(new URL("../docs/BENCHMARKS.md", import.meta.url)), page.markdown);
  console.log(page.summary);
  process.exit(0);
}
const quick = args.includes("--quick");
// log-ingest only: also ingest and query a 1M-envelope log (several more minutes; outside the suite's budget).
const million = args.includes("--million");
const docs = args.includes("--docs");
const mergeAt = args.indexOf("--merge");
const mergeInto = mergeAt === -1 ? null : args[mergeAt + 1];
if (mergeAt !== -1 && (!mergeInto || !mergeInto.endsWith(".json"))) {
  console.error("--merge needs the results file to merge into, e.g. --merge bench/results/2026-11-21.json");
  process.exit(2);
}
if (mergeInto && quick) {
  console.error("--merge takes full-size runs only (drop --quick)");
  process.exit(2);
}
const names = args.filter((a, i) => !a.startsWith("--") && !(mergeAt !== -1 && i === mergeAt + 1));
for (const n of names) {
  if (!ORDER.includes(n)) {
    console.error(`unknown benchmark "${n}"; choose from: ${ORDER.join(", ")}`);
    process.exit(2);
  }
}
const selected = names.length ? ORDER.filter((n) => names.includes(n)) : ORDER;
const full = names.length === 0 && !quick && !mergeInto;

/**
 * Which code was measured: the commit, and any uncommitted change outside bench/ (wrangler
 * bundles the working tree each time the edge starts, so a change made during the run shows
 * up as a difference between start and end).
 */
function provenance() {
  const git = (...a) => {
    try {
      return execFileSync("git", a, { cwd: repoRoot, encoding: "utf8" });
    } catch {
      return null;
    }
  };
  const outside = (f) => !f.startsWith("bench/") && f !== "docs/BENCHMARKS.md";
  const dirty = (git("status", "--porcelain", "--untracked-files=no") ?? "").split("\n").filter(Boolean).map((l) => l.slice(3)).filter(outside);
  const diff = dirty.length ? git("diff", "HEAD", "--", ...dirty) ?? "" : "";
  return { commit: git("rev-parse", "--short", "HEAD")?.trim() ?? null, dirty, diffSha1: dirty.length ? createHash("sha1").update(diff).digest("hex").slice(0, 12) : null };
}

const startedAt = new Date();
const log = (line) => console.log(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)}s] ${line}`);
const results = {
  startedAt: startedAt.toISOString(),
  quick,
  // The edge and the bundles run a snapshot of one commit (bench/lib/servers.mjs codeRoot), not the shared working tree.
  code: { atStart: provenance(), measured: measuredCode() },
  machine: { cpus: availableParallelism(), model: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
  benchmarks: {},
};

try {
  for (const name of selected) {
    const mod = await import(`./benchmarks/${name}.mjs`);
    if (mod.notYet) {
      results.benchmarks[name] = { title: mod.title, notYet: mod.notYet };
      log(`${name}: not yet measured (${mod.notYet})`);
      continue;
    }
    log(`${name}: start`);
    const t0 = performance.now();
    try {
      // Others' load over the whole benchmark (the page lists it beside the targets); a module may record its own, narrower `machine`.
      const load = othersLoad();
      results.benchmarks[name] = { title: mod.title, ...(await mod.run({ quick, million, log })), seconds: (performance.now() - t0) / 1000, machineRun: load.stop() };
    } catch (error) {
      log(`${name}: FAILED ${error?.stack ?? error}`);
      results.benchmarks[name] = { title: mod.title, error: String(error?.message ?? error), seconds: (performance.now() - t0) / 1000 };
    }
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
} finally {
  killAll();
}
results.finishedAt = new Date().toISOString();
results.code.atEnd = provenance();
results.code.changedDuringRun = JSON.stringify(results.code.atStart) !== JSON.stringify(results.code.atEnd);

const resultsDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(resultsDir, { recursive: true });
const date = startedAt.toISOString().slice(0, 10);
// A --million pass gets its own name: it must not overwrite the same day's normal pass of the same benchmarks.
const file = full ? `${date}.json` : `${date}-${selected.join("+")}${million ? "-million" : ""}${quick ? "-quick" : ""}.json`;
writeFileSync(`${resultsDir}${file}`, JSON.stringify(results, null, 2) + "\n");
log(`results: bench/results/${file}`);
if (mergeInto) {
  const { readFileSync } = await import("node:fs");
  const target = JSON.parse(readFileSync(mergeInto, "utf8"));
  // A benchmark that failed keeps the entry it had: a failure is in this run's own file, not on the page.
  const merged = selected.filter((name) => !results.benchmarks[name]?.error);
  for (const name of merged) target.benchmarks[name] = results.benchmarks[name];
  if (merged.length === 0) {
    log(`nothing merged: ${selected.join(", ")} failed`);
    process.exit(1);
  }
  target.merged = [...(target.merged ?? []).filter((m) => !m.names.every((n) => merged.includes(n))), { names: merged, startedAt: results.startedAt, finishedAt: results.finishedAt, code: results.code, machine: results.machine, from: `bench/results/${file}` }];
  writeFileSync(mergeInto, JSON.stringify(target, null, 2) + "\n");
  log(`merged ${merged.join(", ")} into ${mergeInto}`);
  const page = render(target, { resultsFile: mergeInto, writeCharts: true });
  writeFileSync(fileURLToPath(new URL("../docs/BENCHMARKS.md", import.meta.url)), page.markdown);
  console.log(page.summary);
  log("page: docs/BENCHMARKS.md");
  process.exit(0);
}
const page = render(results, { resultsFile: `bench/results/${file}`, writeCharts: full || docs });
console.log(page.summary);
if (full || docs) {
  writeFileSync(fileURLToPath(new URL("../docs/BENCHMARKS.md", import.meta.url)), page.markdown);
  log("page: docs/BENCHMARKS.md");
}
