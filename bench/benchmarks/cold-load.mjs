/**
 * 3. cold-load: spaces holding 100k and 260k stored updates. Seeded through the socket (the
 * first 10k updates one frame each, the rest as frames of 100 updates merged with
 * Y.mergeUpdates: the fast path; the edge stores each frame as a row and compacts in
 * chunks). Then, alternating edge and Hocuspocus: restart the server and time a new
 * client's connect → synced (sync step 2 received) per space, cold then warm.
 * Hocuspocus loads the edge's own stored rows (copied out of the Durable Object's SQLite
 * file) in onLoadDocument. Floor: the same rows applied to a fresh Y.Doc in a fresh process.
 * Also: wake after idling (eviction, if wrangler dev evicts) and in-process compaction time
 * of the project's YUpdateStore on node:sqlite.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import * as Y from "yjs";
import { ClientPool } from "../lib/clients.mjs";
import { authHeaders, openSpaces } from "../lib/edge-door.mjs";
import { loadCore } from "../lib/core-bundle.mjs";
import { datasetFile, datasetUpdates } from "../lib/dataset.mjs";
import { EMPTY_UPDATE, Framer } from "../lib/protocol.mjs";
import { removeDir, startAnchor, startEdge, tempDir } from "../lib/servers.mjs";
import { median, now, sleep } from "../lib/stats.mjs";

export const name = "cold-load";
export const title = "Cold load: connect → synced after a restart";

const replayWorker = fileURLToPath(new URL("../lib/replay-worker.mjs", import.meta.url));

export async function run({ quick, log }) {
  const sizes = quick ? [5000, 20000] : [100000, 260000];
  const rounds = quick ? 1 : 2;
  const idleMs = quick ? 3000 : 15000;
  const singles = Math.min(10000, sizes[0] / 2);
  const tail = 1000;
  const all = datasetUpdates(Math.max(...sizes) + tail);
  const persistTo = tempDir("cold");
  const work = tempDir("cold-work");
  const spaceOf = (n) => `cold-${n}`;
  const out = { params: { sizes, rounds, idleMs, singlesPerSpace: singles, batch: 100 }, seeding: [], stored: [], rounds: [], floor: [], compaction: [], wake: null };
  const pool = ClientPool.start(1);
  try {
    // Seed.
    let edge = await startEdge({ persistTo });
    for (const n of sizes) {
      const s = await seed(edge, spaceOf(n), all.slice(0, n), { singles, batch: 100 });
      out.seeding.push({ n, ...s });
      log(`  seeded ${n}: ${singles} single updates at ${s.singleRate.toFixed(0)}/s, the rest in ${s.batchFrames} frames of 100 at ${s.batchRate.toFixed(0)} updates/s (${(s.totalMs / 1000).toFixed(1)} s)`);
    }
    await edge.stop();

    // The edge's stored rows → the anchor's database.
    const anchorDb = join(work, "anchor.sqlite");
    out.stored = copyRows(persistTo, anchorDb, sizes, spaceOf);
    for (const s of out.stored) log(`  stored ${s.n}: ${s.rows} rows (${s.uncompacted} uncompacted), ${(s.bytes / 1e6).toFixed(2)} MB`);

    // Restart and connect, edge and Hocuspocus taking turns.
    const connectTwice = async (target, space) => {
      await openSpaces(target, [space]);
      const cold = await pool.call(0, "connect", { specs: [{ role: "reader", url: target.url(space), flavor: target.flavor, docName: space }], capacity: 0 });
      const warm = await pool.call(0, "connect", { specs: [{ role: "reader", url: target.url(space), flavor: target.flavor, docName: space }], capacity: 0 });
      await pool.call(0, "closeAll");
      return { coldMs: cold.times[0], warmMs: warm.times[0] };
    };
    for (let r = 0; r < rounds; r++) {
      for (const kind of ["edge", "hocuspocus"]) {
        const target = kind === "edge" ? await startEdge({ persistTo }) : await startAnchor("hocuspocus", { db: anchorDb });
        for (const n of sizes) {
          const m = await connectTwice(target, spaceOf(n));
          out.rounds.push({ round: r + 1, target: kind, n, readyMs: target.readyMs, ...m });
          log(`  round ${r + 1} ${kind.padEnd(10)} ${n}: ready ${target.readyMs.toFixed(0)} ms, connect→synced cold ${m.coldMs.toFixed(0)} ms, warm ${m.warmMs.toFixed(0)} ms`);
        }
        if (kind === "edge" && r === rounds - 1) out.wake = await wake(target, pool, spaceOf(sizes[0]), spaceOf(sizes[1]), idleMs, log);
        await target.stop();
      }
    }

    // Floor: the same rows, replayed in a fresh process.
    for (const n of sizes) {
      const f = JSON.parse(execFileSync(process.execPath, [replayWorker, anchorDb, spaceOf(n), datasetFile(Math.max(...sizes) + tail), String(n)], { encoding: "utf8", maxBuffer: 1 << 20 }));
      out.floor.push({ n, ...f });
      log(`  floor ${n}: ${f.rows} rows applied in ${f.cold.applyMs.toFixed(0)} ms cold / ${f.warm.applyMs.toFixed(0)} ms warm (encode ${f.cold.encodeMs.toFixed(0)} ms); the ${n} original updates one by one: ${f.original.applyMs.toFixed(0)} ms`);
    }

    // Compaction: the project's YUpdateStore on node:sqlite, on top of the edge's rows.
    const core = await loadCore();
    for (const n of sizes) {
      const sql = new core.NodeSql(join(work, `compact-${n}.sqlite`));
      const store = new core.YUpdateStore(sql);
      const rows = new DatabaseSync(anchorDb, { readOnly: true }).prepare("SELECT seq, data, updates FROM y_updates WHERE doc = ? ORDER BY seq").all(spaceOf(n));
      sql.transaction(() => {
        for (const row of rows) sql.exec("INSERT INTO y_updates (seq, data, updates) VALUES (?, ?, ?)", row.seq, row.data, row.updates);
      });
      const t0 = performance.now();
      for (const u of all.slice(n, n + tail)) store.append(u);
      const appendMs = performance.now() - t0;
      const t1 = performance.now();
      const result = store.compact();
      const compactMs = performance.now() - t1;
      const t2 = performance.now();
      store.loadInto(new Y.Doc());
      const loadMs = performance.now() - t2;
      out.compaction.push({ n, tail, appendMs, compactMs, loadMs, ...result });
      log(`  compaction ${n}+${tail}: ${compactMs.toFixed(0)} ms (${result.rowsBefore} → ${result.rowsAfter} rows, ${result.merges} merges); appends ${appendMs.toFixed(0)} ms; loadInto ${loadMs.toFixed(0)} ms`);
      sql.db.close();
    }
  } finally {
    await pool.close();
    removeDir(persistTo);
    removeDir(work);
  }
  out.summary = sizes.map((n) => {
    const of = (target, key) => median(out.rounds.filter((r) => r.target === target && r.n === n).map((r) => r[key]));
    const floor = out.floor.find((f) => f.n === n);
    return { n, edgeColdMs: of("edge", "coldMs"), edgeWarmMs: of("edge", "warmMs"), hocuspocusColdMs: of("hocuspocus", "coldMs"), hocuspocusWarmMs: of("hocuspocus", "warmMs"), floorMs: floor?.cold.applyMs, floorWarmMs: floor?.warm.applyMs, originalReplayMs: floor?.original?.applyMs };
  });
  return out;
}

/** Sends updates through one socket; returns timings. The edge answers a query-awareness
 *  frame only after everything before it, so that answer marks "all processed". */
async function seed(edge, space, updates, { singles, batch }) {
  await openSpaces(edge, [space]);
  const framer = new Framer("y", space);
  const ws = new WebSocket(edge.url(space), { perMessageDeflate: false });
  let onAwareness = null;
  let onSynced = null;
  let closed = null;
  const synced = new Promise((r) => (onSynced = r));
  // wrangler dev reloads the Worker when a source file changes: the socket closes; fail, don't hang.
  ws.on("close", (code, reason) => (closed = new Error(`the edge closed the seeding socket (${code} ${reason}); was a source file changed during the run?`)));
  const alive = () => {
    if (closed) throw closed;
  };
  ws.on("open", () => ws.send(framer.step1(new Uint8Array([0]))));
  ws.on("message", (buf) => {
    const h = framer.parse(buf);
    if (h.kind === "step1") ws.send(framer.step2(EMPTY_UPDATE));
    else if (h.kind === "step2") onSynced();
    else if (h.type === 1 && onAwareness) onAwareness();
  });
  await Promise.race([synced, sleep(30000).then(() => alive() ?? Promise.reject(new Error("no sync from the edge in 30 s")))]);
  const processed = async () => {
    const answered = new Promise((r) => ((onAwareness = r), ws.send(Uint8Array.of(3))));
    for (;;) {
      alive();
      if (await Promise.race([answered.then(() => true), sleep(200).then(() => false)])) return;
    }
  };
  const drain = async () => {
    while (ws.bufferedAmount > 1 << 20) {
      alive();
      await sleep(2);
    }
  };
  const t0 = now();
  for (let i = 0; i < singles; i++) {
    ws.send(framer.update(updates[i]));
    if (i % 200 === 0) await drain();
  }
  await processed();
  const t1 = now();
  let frames = 0;
  for (let i = singles; i < updates.length; i += batch) {
    ws.send(framer.update(Y.mergeUpdates(updates.slice(i, i + batch))));
    if (++frames % 20 === 0) await drain();
  }
  await processed();
  const t2 = now();
  ws.close();
  return { singleRate: singles / ((t1 - t0) / 1000), batchFrames: frames, batchRate: (updates.length - singles) / ((t2 - t1) / 1000), totalMs: t2 - t0 };
}

/** Rows of each space's y_updates, from the Durable Objects' SQLite files, into one file. */
function copyRows(persistTo, anchorDb, sizes, spaceOf) {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".sqlite")) files.push(p);
    }
  };
  walk(persistTo);
  const dst = new DatabaseSync(anchorDb);
  dst.exec("CREATE TABLE y_updates (doc TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, updates INTEGER NOT NULL, PRIMARY KEY (doc, seq))");
  const insert = dst.prepare("INSERT INTO y_updates (doc, seq, data, updates) VALUES (?, ?, ?, ?)");
  // The spaces differ in size: the k-th smallest database is the k-th smallest space.
  const found = [];
  for (const file of files) {
    const src = new DatabaseSync(file, { readOnly: true });
    try {
      const stats = src.prepare("SELECT COUNT(*) AS rows, SUM(updates = 1) AS uncompacted, SUM(LENGTH(data)) AS bytes FROM y_updates").get();
      if (Number(stats.rows) > 0) found.push({ file, src, stats });
    } catch {
      src.close(); // not a space's database
    }
  }
  found.sort((x, y) => Number(x.stats.bytes) - Number(y.stats.bytes));
  const sorted = [...sizes].sort((x, y) => x - y);
  const stored = [];
  found.forEach(({ file, src, stats }, i) => {
    const n = sorted[i];
    dst.exec("BEGIN");
    for (const row of src.prepare("SELECT seq, data, updates FROM y_updates ORDER BY seq").all()) insert.run(spaceOf(n), row.seq, row.data, row.updates);
    dst.exec("COMMIT");
    stored.push({ n, file: file.slice(persistTo.length), rows: Number(stats.rows), uncompacted: Number(stats.uncompacted), bytes: Number(stats.bytes) });
    src.close();
  });
  dst.close();
  return stored.sort((a, b) => a.n - b.n);
}

/** Wake-up after idling: a socket left open on one space, no socket on another. */
async function wake(edge, pool, socketSpace, emptySpace, idleMs, log) {
  await openSpaces(edge, [socketSpace, emptySpace]);
  await pool.call(0, "connect", { specs: [{ role: "reader", url: edge.url(socketSpace), flavor: "y", docName: socketSpace }], capacity: 0 });
  const warmProbe = median([(await pool.call(0, "probe")).ms, (await pool.call(0, "probe")).ms, (await pool.call(0, "probe")).ms]);
  const warmPresence = await timeFetch(`${edge.http}/s/${emptySpace}/presence`, authHeaders(edge, emptySpace));
  await sleep(idleMs);
  const idleProbe = (await pool.call(0, "probe")).ms;
  const idlePresence = await timeFetch(`${edge.http}/s/${emptySpace}/presence`, authHeaders(edge, emptySpace));
  await pool.call(0, "closeAll");
  const w = { idleMs, warmProbeMs: warmProbe, idleProbeMs: idleProbe, warmPresenceMs: warmPresence, idlePresenceMs: idlePresence };
  log(`  wake after ${idleMs / 1000} s idle: socket probe ${idleProbe.toFixed(1)} ms (warm ${warmProbe.toFixed(1)}), presence GET ${idlePresence.toFixed(1)} ms (warm ${warmPresence.toFixed(1)})`);
  return w;
}

async function timeFetch(url, headers = {}) {
  const t0 = now();
  await (await fetch(url, { headers })).text();
  return now() - t0;
}
