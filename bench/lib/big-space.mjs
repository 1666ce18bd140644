/**
 * Big spaces at the edge for the engine-at-scale benchmarks (mcp-tools, wake, replay,
 * far-behind): spaces of 0 (genesis only), 1k, 10k, 100k or 1M committed envelopes, signed
 * with core code (core/log/writer.ts `createEnvelope`) and posted to `POST /s/:space/log` in
 * batches of 256, in one persisted `wrangler dev` state shared by every benchmark of a run
 * (built once, the first time a benchmark asks for a size; removed when the process exits).
 *
 * Each space: a genesis naming four owners (three authors and a fourth key, `writer`, kept
 * for benchmarks that write live) and the edge's key as sequencer; then `n` items
 * round-robin over the three authors, each author's chain in order (one poster per chain,
 * signing its next batch while the previous one is in flight). The same committed state at
 * every size — 20 work items and 5 approval requests spread evenly, the rest channel
 * messages — so only the log's length differs between sizes. Stamps are 1 ms apart and all
 * in the past (a 1M log starts ~17 minutes back), and the edge runs with generous
 * `COMMONS_QUOTAS`, so no quota shapes the build.
 */
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { codeRoot, startEdge, tempDir } from "./servers.mjs";

const BATCH = 256;
/** Committed state that is the same at every size (besides the four owners). */
export const FIXED = { work: 20, approvals: 5 };

/** Far above anything the benchmarks do: the door's quotas are measured by the e2e tests, not here. */
export const BENCH_QUOTAS = {
  authorEnvelopes: { burst: 1e8, perSecond: 1e7 },
  socketFrames: { burst: 1e8, perSecond: 1e7 },
  socketBytes: { burst: 1e12, perSecond: 1e11 },
  socketsPerIdentity: 1000,
  anonymousSockets: 1000,
};

let loaded;
/** Core bundled for Node once: the writer, signer, capability tokens, replica, sequencer, node:sqlite. */
export function loadEngineCore() {
  loaded ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "commons-bench-engine-"));
    const entry = join(dir, "entry.ts");
    const from = (path) => JSON.stringify(join(codeRoot(), path));
    writeFileSync(
      entry,
      `export { createEnvelope } from ${from("core/log/writer.ts")};\n` +
        `export { Ed25519Signer } from ${from("core/identity/signer.ts")};\n` +
        `export { issueCapability } from ${from("core/auth/capability.ts")};\n` +
        `export { LogReplica } from ${from("core/log/replica.ts")};\n` +
        // The sequencer's home moved from core/log to core/state (issue 11, item 7): either.
        `export { Sequencer } from ${from(existsSync(join(codeRoot(), "core/state/sequencer.ts")) ? "core/state/sequencer.ts" : "core/log/sequencer.ts")};\n` +
        `export { NodeSql } from ${from("client/node/sqlite.ts")};\n`,
    );
    const outfile = join(dir, "engine-core.mjs");
    await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile, external: ["node:*"], logLevel: "silent" });
    return import(pathToFileURL(outfile).href);
  })();
  return loaded;
}

/** The run's shared persisted edge state and the spaces built in it, by size. */
let shared;
function registry() {
  if (!shared) {
    shared = { persistTo: tempDir("big"), spaces: new Map() };
    const dir = shared.persistTo;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return shared;
}

/** `wrangler dev` on the shared state, with generous quotas. */
export async function startBigEdge() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEdge({ persistTo: registry().persistTo, vars: { COMMONS_QUOTAS: JSON.stringify(BENCH_QUOTAS) } });
    } catch (error) {
      // freePort finds a port and wrangler binds it a moment later: on a machine shared with
      // other runs, someone else may take it in between. Another port, then.
      if (attempt >= 3 || !String(error?.message).includes("Address already in use")) throw error;
    }
  }
}

/**
 * The spaces of these sizes, building the missing ones on `edge` (one on the shared state:
 * startBigEdge), or on an edge of its own started and stopped here.
 */
export async function ensureSpaces(sizes, { edge, log }) {
  const reg = registry();
  const missing = [...new Set(sizes)].filter((n) => !reg.spaces.has(n));
  if (missing.length > 0) {
    const core = await loadEngineCore();
    const own = edge ? null : await startBigEdge();
    try {
      for (const n of missing) {
        const info = await buildSpace(core, edge ?? own, n);
        reg.spaces.set(n, info);
        log(`big space ${info.space}: ${info.count} envelopes (${n} items + genesis + ${info.count - n - 1} receipts), frontier ${info.frontier}, built in ${info.buildSeconds.toFixed(1)} s (${info.postedPerS.toFixed(0)} items/s signed and ingested; ${info.rejected} rejected)`);
      }
    } finally {
      await own?.stop();
    }
  }
  return sizes.map((n) => reg.spaces.get(n));
}

export const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1000 ? `${n / 1000}k` : String(n));

async function getJson(url, headers = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function post(edge, space, envelopes) {
  const res = await fetch(`${edge.http}/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ envelopes }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /s/${space}/log: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text).results;
}

const spread = (k, n, offset) => new Set(Array.from({ length: k }, (_, j) => Math.floor(((j + offset) * n) / (k + 1))));

async function buildSpace(core, edge, n) {
  const t0 = performance.now();
  const space = `big-${label(n).toLowerCase()}-${Date.now().toString(36)}`;
  const { sequencer } = await getJson(`${edge.http}/s/${space}/log/state`);
  const signers = await Promise.all([0, 1, 2, 3].map(() => core.Ed25519Signer.generate()));
  const authors = signers.slice(0, 3);
  const start = Date.now() - n - 120_000;
  const genesis = await core.createEnvelope(authors[0], { space, last: null, heads: [] }, "space.created", { owners: signers.map((s) => s.did), sequencer, title: `bench ${label(n)}` }, start);
  const [g] = await post(edge, space, [genesis.envelope]);
  if (g?.status !== "accepted") throw new Error(`genesis of ${space} not accepted: ${JSON.stringify(g)}`);
  const head = { id: genesis.id, hlc: genesis.envelope.hlc };
  const tip = (made) => ({ seq: made.envelope.seq, id: made.id, hlc: made.envelope.hlc });
  const states = authors.map((_, a) => ({ space, last: a === 0 ? tip(genesis) : null, heads: a === 0 ? [] : [head] }));
  const workAt = n > 0 ? spread(FIXED.work, n, 1) : new Set();
  const approvalAt = n > 0 ? spread(FIXED.approvals, n, 0.5) : new Set();
  const expiresAt = new Date(Date.now() + 365 * 864e5).toISOString();
  const item = (i) => {
    if (workAt.has(i)) return ["work.created", { title: `work ${i}`, domains: ["ops"], clock: "LF" }];
    if (approvalAt.has(i)) return ["approval.requested", { action: { tool: "deploy", params: { n: i }, summary: `deploy ${i}` }, approver: authors[0].did, expiresAt }];
    return ["channel.message", { content: `message ${i}: ${"lorem ipsum ".repeat(8)}` }];
  };
  const counts = { accepted: 0, duplicate: 0, rejected: 0, committedRejected: 0 };
  const tally = (results) => {
    for (const r of results) {
      counts[r.status] = (counts[r.status] ?? 0) + 1;
      if (r.commit?.verdict === "rejected") counts.committedRejected++;
    }
  };
  const tPost = performance.now();
  // One poster per author's chain; each signs its next batch while the previous is in flight.
  await Promise.all(
    authors.map(async (signer, a) => {
      let inFlight = null;
      let batch = [];
      const send = async () => {
        if (inFlight) tally(await inFlight);
        const envelopes = batch;
        batch = [];
        inFlight = post(edge, space, envelopes);
      };
      for (let i = a; i < n; i += 3) {
        const [type, body] = item(i);
        const made = await core.createEnvelope(signer, states[a], type, body, start + 1 + i);
        states[a].last = tip(made);
        batch.push(made.envelope);
        if (batch.length === BATCH) await send();
      }
      if (batch.length > 0) await send();
      if (inFlight) tally(await inFlight);
    }),
  );
  const postSeconds = (performance.now() - tPost) / 1000;
  const info = {
    n,
    space,
    signers,
    writer: signers[3],
    /** The writer key's chain, for live writes (advance it with `signLive`). */
    writerState: { space, last: null, heads: [head] },
    epoch: 0,
    rejected: counts.rejected + counts.committedRejected,
    postedPerS: n > 0 ? n / postSeconds : 0,
  };
  const door = await getJson(`${edge.http}/s/${space}/log/state`);
  info.epoch = door.epoch;
  const state = await getJson(`${edge.http}/s/${space}/log/state`, { Authorization: `Bearer ${await tokenFor(info)}` });
  if (state.frontier < n + 1) throw new Error(`${space}: committed ${state.frontier} of ${n + 1}`);
  Object.assign(info, { count: state.count, frontier: state.frontier, buildSeconds: (performance.now() - t0) / 1000 });
  return info;
}

/** A self-issued capability token for one of the space's owners (the first author by default). */
export async function tokenFor(info, signer = info.signers[0]) {
  const core = await loadEngineCore();
  return core.issueCapability(signer, { sub: signer.did, space: info.space, tools: ["*"], tier: 4, epoch: info.epoch });
}

/** Signs the writer key's next envelope, stamped now (live writing). */
export async function signLive(info, type, body) {
  const core = await loadEngineCore();
  const made = await core.createEnvelope(info.writer, info.writerState, type, body, Date.now());
  info.writerState.last = { seq: made.envelope.seq, id: made.id, hlc: made.envelope.hlc };
  return { ...made.envelope, id: made.id };
}

/**
 * Copies the Durable Object SQLite file of `space` out of the shared edge state (the edge
 * must be stopped) to `dest`; returns the copy's path. The space's file is the one whose
 * first envelope names it.
 */
export function copySpaceDb(space, dest) {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".sqlite")) files.push(p);
    }
  };
  walk(registry().persistTo);
  for (const file of files) {
    let first;
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      first = db.prepare("SELECT text FROM log_envelopes ORDER BY arrival LIMIT 1").get();
    } catch {
      // Not a space's database (the agent's, wrangler's own): skip it.
    } finally {
      db.close();
    }
    if (first && JSON.parse(first.text).space === space) {
      copyFileSync(file, dest);
      for (const side of ["-wal", "-shm"]) if (existsSync(file + side)) copyFileSync(file + side, dest + side);
      return dest;
    }
  }
  throw new Error(`no Durable Object database holds ${space}`);
}
