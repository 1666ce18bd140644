/**
 * One measured session against one server: readers connect (spread over client processes),
 * then one or more writers, then phases of numbered updates (paced or burst). Each phase
 * gives delivery latency (arrival − send per update per reader), convergence, frames per
 * reader, delivery completeness, and the CPU the server's processes used.
 */
import { openSpaces } from "./edge-door.mjs";
import { cpuSeconds } from "./proc.mjs";
import { now, summarize } from "./stats.mjs";

/**
 * pool: ClientPool; target: from servers.mjs; readerProcs/writerProcs: pool indices.
 * readers: how many reading sockets (one verifier per reader process, the rest light).
 */
export async function openSession({ pool, target, space, readers, writers = 1, readerProcs, writerProcs, capacity, verifiers = true, echo = false }) {
  await openSpaces(target, [space]);
  const base = { url: target.url(space), flavor: target.flavor, docName: space };
  const byProc = new Map();
  readerProcs.forEach((p) => byProc.set(p, []));
  for (let i = 0; i < readers; i++) {
    const p = readerProcs[i % readerProcs.length];
    const list = byProc.get(p);
    list.push({ ...base, role: verifiers && list.length === 0 ? "verifier" : "reader" });
  }
  const t0 = now();
  const readerConnect = await Promise.all([...byProc].filter(([, s]) => s.length).map(([p, specs]) => pool.call(p, "connect", { specs, capacity })));
  const writerSpecs = new Map(writerProcs.map((p) => [p, []]));
  for (let w = 0; w < writers; w++) {
    writerSpecs.get(writerProcs[w % writerProcs.length]).push({ ...base, role: echo ? "echo" : "writer", writerIndex: w, key: `w${w}` });
  }
  await Promise.all([...writerSpecs].filter(([, s]) => s.length).map(([p, specs]) => pool.call(p, "connect", { specs, capacity })));
  const connectTimes = readerConnect.flatMap((r) => r.times);
  return {
    connectMs: now() - t0,
    connectP50: summarize(connectTimes).p50,
    readingProcs: echo ? writerProcs : readerProcs.filter((p) => byProc.get(p).length),
    writerProcs,
    writers,
    target,
    pool,
  };
}

/** Runs one phase; returns its metrics. mode "paced" (rate/s) or "burst". */
export async function runPhase(session, { from, count, mode, rate, timeoutMs }) {
  const { pool, readingProcs, writerProcs, target, writers } = session;
  const to = from + count;
  await pool.each(readingProcs, "expect", { from, to });
  const cpu0 = cpuSeconds(target.serverPids());
  const ccpu0 = pool.cpu();
  const start = now() + 30;
  const runs = await pool.each(writerProcs, "run", { from, count, mode, rate, start, writers });
  const sendTimes = new Float64Array(count);
  for (const r of runs) for (let i = 0; i < r.sends.length; i += 2) sendTimes[r.sends[i] - from] = r.sends[i + 1];
  const waits = await pool.each(readingProcs, "wait", { timeoutMs });
  const cpu1 = cpuSeconds(target.serverPids());
  const ccpu1 = pool.cpu();
  const collected = await pool.each(readingProcs, "collect", { from, to });
  const sockets = collected.flatMap((c) => c.sockets);
  const latencies = [];
  let delivered = 0;
  let lastArrival = 0;
  let frames = 0;
  let closes = 0;
  const errors = [];
  const finals = [];
  for (const s of sockets) {
    frames += s.frames;
    if (s.closed) closes++;
    errors.push(...s.errors);
    if (s.final) finals.push(s.final);
    for (let i = 0; i < count; i++) {
      const a = s.arrivals[i];
      if (a === 0) continue;
      delivered++;
      latencies.push(a - sendTimes[i]);
      if (a > lastArrival) lastArrival = a;
    }
  }
  const firstSend = sendTimes[0];
  const lastSend = Math.max(...sendTimes);
  const lat = summarize(latencies);
  const lastOf = (w) => from + count - 1 - ((count - 1 - w) % writers);
  const expected = sockets.length * count;
  return {
    mode,
    count,
    rate: rate ?? null,
    readers: sockets.length,
    p50: lat.p50,
    p99: lat.p99,
    max: lat.max,
    // Paced: from the last send until every reader has everything; burst: from the first send.
    convergeMs: delivered ? lastArrival - (mode === "burst" ? firstSend : lastSend) : null,
    spanMs: delivered ? lastArrival - firstSend : null,
    sendSpanMs: lastSend - firstSend,
    deliveredRatio: expected ? delivered / expected : 0,
    complete: waits.every((w) => w.complete),
    framesPerClient: sockets.length ? frames / sockets.length : 0,
    serverCpuS: cpu1 - cpu0,
    clientCpuS: ccpu1 - ccpu0,
    closes,
    sendFailures: runs.reduce((n, r) => n + r.failures, 0),
    maxBufferedBytes: Math.max(...runs.map((r) => r.maxBuffered)),
    errors: [...new Set(errors)].slice(0, 5),
    // Every full-decoding reader ends with each writer's last value (the Y.Map key it set).
    converged: finals.every((f) => Array.from({ length: Math.min(writers, count) }, (_, w) => f[`w${w}`] === lastOf(w)).every(Boolean)),
    finals: finals.length,
  };
}

export async function closeSession(session) {
  await session.pool.each([...new Set([...session.readingProcs, ...session.writerProcs])], "closeAll");
}
