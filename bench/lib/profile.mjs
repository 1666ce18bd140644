/**
 * A CPU profile of the edge's isolate (Worker + Durable Objects) over the DevTools protocol
 * that `wrangler dev` exposes on its inspector port. Used to say where the edge spends its
 * time when it misses a target; summarised as self time per function and per file.
 */
import WebSocket from "ws";

/** A DevTools protocol session with the edge's isolate: `call(method, params)` and `close()`. */
async function connectInspector(inspectorPort) {
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { call, close: () => ws.close() };
}

/**
 * The isolate's live JavaScript heap after a full collection (forced by a heap snapshot), in MiB: unlike RSS it falls
 * when objects are evicted (hibernated), so it can show what an idle space still holds.
 */
export async function heapUsedMiB(inspectorPort) {
  const session = await connectInspector(inspectorPort);
  try {
    // workerd does not answer HeapProfiler.collectGarbage; a heap snapshot collects first.
    // Its chunks arrive as events and are dropped.
    await session.call("HeapProfiler.enable");
    await session.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const res = await session.call("Runtime.getHeapUsage");
    return res.result.usedSize / 2 ** 20;
  } finally {
    session.close();
  }
}

export async function startProfile(inspectorPort, { intervalUs = 200 } = {}) {
  const { call, close } = await connectInspector(inspectorPort);
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop() {
      const res = await call("Profiler.stop");
      const summary = summarizeProfile(res.result?.profile);
      // Name anonymous functions by their first characters of source.
      try {
        await call("Debugger.enable");
        const sources = new Map();
        for (const f of summary?.functions ?? []) {
          if (!f.frame || f.frame.scriptId === "0" || !f.name.startsWith("(anonymous)")) continue;
          if (!sources.has(f.frame.scriptId)) sources.set(f.frame.scriptId, (await call("Debugger.getScriptSource", { scriptId: f.frame.scriptId })).result?.scriptSource?.split("\n") ?? []);
          const line = sources.get(f.frame.scriptId)[f.frame.lineNumber] ?? "";
          f.source = line.slice(f.frame.columnNumber, f.frame.columnNumber + 70).trim();
        }
        await call("Debugger.disable");
      } catch {
        // Source snippets are a convenience; the profile stands without them.
      }
      for (const f of summary?.functions ?? []) delete f.frame;
      close();
      return summary;
    },
  };
}

export function summarizeProfile(profile, top = 15) {
  if (!profile) return null;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(node, (self.get(node) ?? 0) + dt);
  }
  const fn = new Map();
  const frames = new Map();
  const file = new Map();
  let total = 0;
  for (const [node, ms] of self) {
    const cf = node.callFrame;
    if (cf.functionName === "(idle)" || cf.functionName === "(program)") continue;
    total += ms;
    const f = (cf.url || "").split("/").slice(-2).join("/") || "(native)";
    const key = `${cf.functionName || "(anonymous)"} ${f}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    frames.set(key, cf);
    file.set(f, (file.get(f) ?? 0) + ms);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => ({ name: k, ms: Math.round(v), share: total ? Math.round((v / total) * 1000) / 10 : 0, frame: frames.get(k) }));
  return { busyMs: Math.round(total), functions: sorted(fn), files: sorted(file) };
}
