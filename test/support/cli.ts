/**
 * Runs the `commons` CLI as real child processes (bin/commons on this Node), each node with
 * its own COMMONS_HOME. One-shot commands resolve on exit; long-running ones (serve,
 * daemon) expose their output lines so a test waits on a line, never on a timer.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import type { Ed25519Signer } from "../../core/identity/signer.js";
import { removeDir, tempDir } from "./edge.js";

export const commonsBin = fileURLToPath(new URL("../../bin/commons", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliNode {
  home: string;
  /** Runs one command to completion. */
  run(args: string[], options?: { stdin?: string }): Promise<CliResult>;
  /** Runs one command, expecting exit 0; returns stdout. */
  ok(args: string[], options?: { stdin?: string }): Promise<string>;
  /** `commons <args> --json` parsed. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** Starts a long-running command (serve, daemon). */
  start(args: string[]): LongRunning;
  /** Kills whatever long-running command of this node is still running (test cleanup). */
  killAll(): void;
}

export interface LongRunning {
  child: ChildProcess;
  /** Resolves with the first output line (stdout) matching `pattern`, seen or still to come. */
  line(pattern: RegExp): Promise<string>;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function cliNode(label: string, env: NodeJS.ProcessEnv = {}): CliNode {
  const home = tempDir(`cli-${label}`);
  const childEnv = { ...process.env, ...env, COMMONS_HOME: home };
  const running = new Set<ChildProcess>();
  const run = (args: string[], options: { stdin?: string } = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [commonsBin, ...args], { env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(options.stdin ?? "");
    });
  const ok = async (args: string[], options?: { stdin?: string }) => {
    const result = await run(args, options);
    if (result.code !== 0) throw new Error(`commons ${args.join(" ")} exited ${result.code}\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  return {
    home,
    killAll: () => {
      for (const child of running) child.kill("SIGKILL");
    },
    run,
    ok,
    json: async (args) => JSON.parse(await ok([...args, "--json"])),
    start(args) {
      const child = spawn(process.execPath, [commonsBin, ...args], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      running.add(child);
      child.once("exit", () => running.delete(child));
      const lines: string[] = [];
      const waiters: Array<{ pattern: RegExp; resolve(line: string): void }> = [];
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (!waiter.pattern.test(line)) continue;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      return {
        child,
        line: (pattern) => {
          const seen = lines.find((line) => pattern.test(line));
          if (seen !== undefined) return Promise.resolve(seen);
          return Promise.race([
            new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
            exited.then((code) => {
              throw new Error(`commons ${args.join(" ")} exited (${code}) before printing ${pattern}:\n${stderr}\n${lines.join("\n")}`);
            }),
          ]);
        },
        stop: async () => {
          child.kill("SIGTERM");
          return exited;
        },
      };
    },
  };
}

/**
 * CLI nodes for one test file, made on demand; after the file, whatever they still run is
 * killed and their homes removed. `signer` gives the node that identity (as if it had run
 * `commons id` with that key).
 */
export function useCliNodes(): (label: string, signer?: Ed25519Signer) => CliNode {
  const made: CliNode[] = [];
  afterAll(() => {
    for (const node of made) {
      node.killAll();
      removeDir(node.home);
    }
  });
  return (label, signer) => {
    const node = cliNode(label);
    made.push(node);
    if (signer !== undefined) {
      mkdirSync(node.home, { recursive: true });
      const file = join(node.home, "identity.json");
      writeFileSync(file, JSON.stringify({ did: signer.did, jwk: signer.exportPrivateJwk() }));
      chmodSync(file, 0o600);
    }
    return node;
  };
}
