/**
 * 9. wake: the first request to a space after the edge restarts (`wrangler dev` stopped and
 * started again on the same persisted state), for a space of 100k committed envelopes (1M
 * with --million) against an empty one (its genesis only), both built by
 * bench/lib/big-space.mjs.
 *
 * Each round restarts the edge once per space, so each wake is the first in its isolate for
 * that object: `GET /` first (the Worker starts and compiles; no object), then the timed
 * request, an owner's `GET /s/:space/log/state` with a bearer token (the object starts:
 * partyserver's onStart, the replica, the sequencer's stored state and commit index, the
 * Yjs rows; the door verifies the token against the committed state; the answer carries
 * counts, heads and the version vector), then the same request again (warm), then the
 * isolate's JavaScript heap after a full collection (a heap snapshot over the inspector,
 * bench/lib/profile.mjs): the Worker plus this one object. Sizes alternate in each round.
 *
 * Target: wake at 100k (1M) ≤ 2 × wake of the empty space (medians).
 */
import { ensureSpaces, label, startBigEdge, tokenFor } from "../lib/big-space.mjs";
import { heapUsedMiB } from "../lib/profile.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { median } from "../lib/stats.mjs";

export const name = "wake";
export const title = "Wake: the first request after a restart, 100k (1M) vs an empty space";

async function timed(url, headers = {}) {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return { ms, body: JSON.parse(text) };
}

export async function run({ quick, million = false, log }) {
  const load = othersLoad();
  const sizes = quick ? [0, 10_000] : million ? [0, 100_000, 1_000_000] : [0, 100_000];
  const rounds = quick ? 2 : 4;
  const spaces = await ensureSpaces(sizes, { log });
  const cells = spaces.map((info) => ({ info, wakes: [] }));
  for (let r = 0; r < rounds; r++) {
    for (const c of r % 2 ? [...cells].reverse() : cells) {
      const edge = await startBigEdge();
      try {
        const token = await tokenFor(c.info);
        const worker = await timed(`${edge.http}/`);
        const url = `${edge.http}/s/${c.info.space}/log/state`;
        const first = await timed(url, { Authorization: `Bearer ${token}` });
        if (first.body.count !== undefined && first.body.count < c.info.count) throw new Error(`${c.info.space} woke with ${first.body.count} envelopes, had ${c.info.count}`);
        const warm = await timed(url, { Authorization: `Bearer ${token}` });
        const heap = await heapUsedMiB(edge.inspectorPort).catch(() => null);
        c.wakes.push({ startMs: edge.readyMs, workerMs: worker.ms, firstMs: first.ms, warmMs: warm.ms, heapMiB: heap, count: first.body.count });
        log(`wake: ${label(c.info.n)} round ${r + 1}: first ${first.ms.toFixed(1)} ms, warm ${warm.ms.toFixed(1)} ms, heap ${heap?.toFixed(1) ?? "—"} MiB (edge start ${edge.readyMs.toFixed(0)} ms, GET / ${worker.ms.toFixed(0)} ms)`);
      } finally {
        await edge.stop();
      }
    }
  }
  const results = cells.map((c) => ({
    n: c.info.n,
    envelopes: c.info.count,
    frontier: c.info.frontier,
    firstMs: median(c.wakes.map((w) => w.firstMs)),
    warmMs: median(c.wakes.map((w) => w.warmMs)),
    heapMiB: median(c.wakes.map((w) => w.heapMiB)),
    workerMs: median(c.wakes.map((w) => w.workerMs)),
    startMs: median(c.wakes.map((w) => w.startMs)),
    wakes: c.wakes,
  }));
  return {
    machine: load.stop(),
    params: { sizes, rounds, request: "GET /s/:space/log/state, Authorization: Bearer <an owner's self-issued token>", oneMillion: million ? "run (--million)" : "not run in this pass: `npm run bench -- wake --million`" },
    results,
  };
}
