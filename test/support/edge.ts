/**
 * Starts the real edge (`wrangler dev` → workerd) as a separate process on loopback for
 * end-to-end tests, exactly as `npm start` does (scripts/edge-dev.mjs). Readiness is
 * wrangler's own "Ready on" line, not a timer. The process gets its own process group so a
 * test can `kill -9` the whole edge (wrangler and its workerd) at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { edgeEnv, repoRoot, wranglerDevArgs } from "../../scripts/edge-dev.mjs";

export interface Edge {
  port: number;
  http: string;
  ws: string;
  persistTo: string;
  /** Everything wrangler and workerd printed, for failure messages. */
  output(): string;
  /**
   * Resolves once the edge has printed `text` (at once if it already has). wrangler prints a
   * request's line after the response is sent, so a test that has its answer waits for the
   * line rather than reading the output at that instant.
   */
  printed(text: string): Promise<void>;
  /** Stops gracefully (SIGTERM to the group) and waits for exit. */
  stop(): Promise<void>;
  /** SIGKILL to wrangler and workerd at once: the "pulled plug". */
  kill9(): Promise<void>;
}

/**
 * A port no other test process will pick. Asking the OS for port 0 and binding it later is a
 * race between test files (two can be handed the same port before either binds), so each
 * process takes ports from its own block of 40, below the OS's ephemeral range (so the OS
 * never hands one out meanwhile), chosen by its pid, and still checks each one is free.
 */
const PORT_BLOCK = 40;
let nextInBlock = 0;
export async function freePort(): Promise<number> {
  const base = 20_000 + (process.pid % 250) * PORT_BLOCK;
  while (nextInBlock < PORT_BLOCK) {
    const port = base + nextInBlock++;
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port left in ${base}–${base + PORT_BLOCK - 1}: too many edges in one test process`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `commons-${label}-`));
}

/** `vars`: the edge's variables for this run (wrangler's `--var`), e.g. small COMMONS_QUOTAS. */
export async function startEdge(options: { persistTo?: string; vars?: Record<string, string> } = {}): Promise<Edge> {
  const persistTo = options.persistTo ?? tempDir("edge");
  const port = await freePort();
  const inspectorPort = await freePort();
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  const child = spawn(process.execPath, [...wranglerDevArgs({ port, persistTo, logLevel: "info", inspectorPort }), ...vars], {
    cwd: repoRoot,
    env: edgeEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`Ready on http://127.0.0.1:${port}`)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${log}`)));
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (log.includes(text)) return resolve();
      const onData = () => {
        if (!log.includes(text)) return;
        child.stdout!.off("data", onData);
        child.stderr!.off("data", onData);
        resolve();
      };
      // Registered after the collector above, so `log` already holds the chunk.
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      exited.then(() => reject(new Error(`the edge exited without printing ${JSON.stringify(text)}`)));
    });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone: nothing left to stop.
    }
  };
  return {
    port,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    persistTo,
    output: () => log,
    printed,
    stop: async () => {
      signalGroup("SIGTERM");
      await exited;
      // workerd may outlive wrangler by a moment; make sure the whole group is gone.
      signalGroup("SIGKILL");
    },
    kill9: async () => {
      signalGroup("SIGKILL");
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type { ChildProcess };

/**
 * One edge for a whole test file: started before its tests, stopped and removed after; its
 * output printed after a failed test.
 * Returns a getter, since the edge exists only once `beforeAll` has run.
 */
export function useEdge(options: { vars?: Record<string, string> } = {}): () => Edge {
  let edge: Edge | undefined;
  beforeAll(async () => {
    edge = await startEdge(options);
  });
  // When a step fails, what the edge said is the first thing to read.
  afterEach((context) => {
    if (context.task.result?.state === "fail") console.error(`wrangler dev output (last 4000 characters):\n${edge?.output().slice(-4000)}`);
  });
  afterAll(async () => {
    await edge?.stop();
    if (edge) removeDir(edge.persistTo);
  });
  return () => {
    if (!edge) throw new Error("the edge is not running: call useEdge() at the top of the test file");
    return edge;
  };
}
