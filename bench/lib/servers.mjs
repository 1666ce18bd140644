/**
 * Starting and stopping the servers under test, all on 127.0.0.1: the edge (`wrangler dev`,
 * started exactly as test/support/edge.ts does) and the anchors (bench/servers/anchor.mjs).
 * Each comes back as a Target: how to reach a space, which wire flavour it speaks, and
 * which processes to charge CPU and memory to.
 */
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { edgeEnv, repoRoot, wranglerDevArgs } from "../../scripts/edge-dev.mjs";
import { alive, cmdline, cpuSeconds, processTree } from "./proc.mjs";
import { sleep } from "./stats.mjs";

const anchorScript = fileURLToPath(new URL("../servers/anchor.mjs", import.meta.url));
const started = new Set();

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let snapshot;
let snapshotCommit = null;
/**
 * The committed code (`git archive HEAD`) in a scratch folder, with the repository's
 * node_modules linked in: what the edge runs and the benchmarks bundle. The working tree is
 * shared with people editing it, and `wrangler dev` rebuilds and restarts the Worker on
 * every change of a file it bundled, which drops every Durable Object's memory mid-run (a
 * space before its genesis forgets the sequencer key it showed). So a run measures one
 * commit, the one its results name, whatever is edited meanwhile. `BENCH_WORKING_TREE=1`
 * measures the working tree instead (to try an uncommitted change).
 */
export function codeRoot() {
  if (process.env.BENCH_WORKING_TREE === "1") return repoRoot;
  if (!snapshot) {
    snapshot = tempDir("code");
    const dir = snapshot;
    snapshotCommit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    execFileSync("sh", ["-c", `git archive --format=tar ${snapshotCommit} | tar -x -C "${dir}"`], { cwd: repoRoot });
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
    // The web app's static assets are built, not committed, and wrangler dev will not start without them.
    if (existsSync(join(dir, "scripts/build-web.mjs"))) execFileSync(process.execPath, ["scripts/build-web.mjs"], { cwd: dir, stdio: "ignore" });
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return snapshot;
}

/** What the benchmarks run: the commit snapshotted, or the working tree. */
export function measuredCode() {
  const root = codeRoot();
  return root === repoRoot ? { from: "working tree" } : { from: "git archive", commit: snapshotCommit };
}

export function tempDir(label) {
  return mkdtempSync(join(tmpdir(), `commons-bench-${label}-`));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

function waitForLine(child, test, what) {
  let log = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk.toString();
      const m = test(log);
      if (m) resolve({ match: m, log: () => log });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${log}`)));
    setTimeout(() => reject(new Error(`${what} was not ready after 60 s:\n${log}`)), 60000).unref();
  });
}

function groupKiller(child) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  return async () => {
    signal("SIGTERM");
    await Promise.race([exited, sleep(5000)]);
    signal("SIGKILL");
    // workerd may outlive wrangler by a moment; wait until the whole group is gone.
    for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
    started.delete(child);
  };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every server this process started (used on errors and at exit). */
export function killAll() {
  for (const child of started) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  started.clear();
}

/**
 * Starts `wrangler dev` on a free port. In wrangler dev two workerd processes run: a dev
 * proxy that owns the public port, and the runtime that hosts the Worker and the Durable
 * Objects; `runtimePids()` is the latter, `serverPids()` both.
 */
/** Quotas no benchmark reaches (the door's quotas are tested in test/e2e/door-quotas.test.ts). */
const GENEROUS_QUOTAS = {
  authorEnvelopes: { burst: 1e8, perSecond: 1e7 },
  socketFrames: { burst: 1e8, perSecond: 1e7 },
  socketBytes: { burst: 1e12, perSecond: 1e11 },
  socketsPerIdentity: 100_000,
  anonymousSockets: 100_000,
};

export async function startEdge({ persistTo, config, name = "edge", vars = {} } = {}) {
  const ownDir = persistTo === undefined;
  const tokens = new Map();
  persistTo ??= tempDir("edge");
  const port = await freePort();
  const inspectorPort = await freePort();
  const t0 = performance.now();
  // `vars`: the Worker's variables for this run (wrangler's `--var NAME:VALUE`), e.g. COMMONS_QUOTAS.
  // The edge's door would refuse what a benchmark does on purpose (hundreds of sockets of one
  // key, floods of frames): far-above-anything quotas unless a benchmark says otherwise.
  if (config === undefined && vars.COMMONS_QUOTAS === undefined) vars = { ...vars, COMMONS_QUOTAS: JSON.stringify(GENEROUS_QUOTAS) };
  const varArgs = Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]);
  const root = codeRoot();
  const child = spawn(process.execPath, [...wranglerDevArgs({ port, persistTo, logLevel: "info", inspectorPort, config: config ?? join(root, "wrangler.toml") }), ...varArgs], {
    cwd: root,
    env: edgeEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.add(child);
  const { log } = await waitForLine(child, (l) => l.includes(`Ready on http://127.0.0.1:${port}`), "wrangler dev");
  const readyMs = performance.now() - t0;
  const workerd = () => processTree(child.pid).filter((p) => p.comm === "workerd");
  const isProxy = (pid) => cmdline(pid).includes(`entry=127.0.0.1:${port} `);
  const kill = groupKiller(child);
  // A persist dir this function made is scratch: removed with the edge.
  const stop = async () => {
    await kill();
    if (ownDir) removeDir(persistTo);
  };
  return {
    name,
    flavor: "y",
    port,
    inspectorPort,
    persistTo,
    readyMs,
    pid: child.pid,
    log,
    // The door's tokens by space (bench/lib/edge-door.mjs fills it); the DO floor has no door.
    tokens: config === undefined ? tokens : undefined,
    url: (space) => `ws://127.0.0.1:${port}/s/${space}${tokens.has(space) ? `?token=${tokens.get(space)}` : ""}`,
    http: `http://127.0.0.1:${port}`,
    serverPids: () => workerd().map((p) => p.pid),
    runtimePids: () => workerd().filter((p) => !isProxy(p.pid)).map((p) => p.pid),
    proxyPids: () => workerd().filter((p) => isProxy(p.pid)).map((p) => p.pid),
    /** The runtime's own HTTP port (bypassing wrangler's dev proxy), found by probing. */
    directPort: async () => {
      const pids = new Set(workerd().filter((p) => !isProxy(p.pid)).map((p) => String(p.pid)));
      const ss = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
      const ports = ss
        .split("\n")
        .filter((l) => [...pids].some((pid) => l.includes(`pid=${pid},`)))
        .map((l) => Number(/127\.0\.0\.1:(\d+)/.exec(l)?.[1]))
        .filter(Boolean);
      for (const p of ports) {
        try {
          const res = await fetch(`http://127.0.0.1:${p}/`, { signal: AbortSignal.timeout(1000) });
          const body = await res.text();
          if (body.includes('"service":"commons"')) return p;
        } catch {
          // Not the entry socket (inspector, debug port): try the next.
        }
      }
      return null;
    },
    stop,
  };
}

/**
 * The hibernatable Durable Object floor (bench/servers/do-floor): the same runtime under
 * `wrangler dev`, running the least a durable-first, coalescing Yjs relay can do there.
 */
export function startDoFloor() {
  return startEdge({ config: join(repoRoot, "bench/servers/do-floor/wrangler.toml"), name: "do-floor" });
}

/** The edge's runtime reached directly, bypassing wrangler's dev proxy (same processes). */
export async function edgeDirect(edge) {
  const port = await edge.directPort();
  if (!port) return null;
  const tokens = edge.tokens ?? new Map();
  return { ...edge, name: "edge-direct", port, url: (space) => `ws://127.0.0.1:${port}/s/${space}${tokens.has(space) ? `?token=${tokens.get(space)}` : ""}`, stop: async () => {} };
}

export async function startAnchor(kind, { db } = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [anchorScript, kind, String(port), ...(db ? ["--db", db] : [])], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.add(child);
  const t0 = performance.now();
  await waitForLine(child, (l) => l.includes(`READY ${port}`), `anchor ${kind}`);
  const readyMs = performance.now() - t0;
  return {
    name: kind,
    flavor: kind.startsWith("hocuspocus") ? "hp" : "y",
    port,
    pid: child.pid,
    readyMs,
    url: (space) => (kind.startsWith("hocuspocus") ? `ws://127.0.0.1:${port}/${space}` : `ws://127.0.0.1:${port}/${space}`),
    serverPids: () => (alive(child.pid) ? [child.pid] : []),
    runtimePids: () => (alive(child.pid) ? [child.pid] : []),
    stop: groupKiller(child),
  };
}

/**
 * A target that can be restarted in place (the edge, after a trial it could not finish:
 * its backlog would otherwise keep the CPU busy during the next trial).
 */
export function restartable(start) {
  let current;
  let proxy;
  const handle = {
    async start() {
      current = await start();
      return proxy;
    },
    async restart() {
      await current.stop();
      current = await start();
    },
    get current() {
      return current;
    },
  };
  proxy = new Proxy(handle, {
    get(target, key) {
      if (key in target) return target[key];
      return current[key];
    },
  });
  return proxy;
}

/** Waits until the server's processes are idle (under 10 % of a core for 300 ms). */
export async function settle(target, maxMs = 10000) {
  const deadline = performance.now() + maxMs;
  let last = cpuSeconds(target.serverPids());
  for (;;) {
    await sleep(300);
    const cpu = cpuSeconds(target.serverPids());
    if (cpu - last < 0.03) return true;
    last = cpu;
    if (performance.now() > deadline) return false;
  }
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.on("exit", killAll);
