/** Drives test/e2e/fixtures/editor.mjs: one stock Yjs editor per OS process. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("../e2e/fixtures/editor.mjs", import.meta.url));

export interface EditorProcess {
  /** Sends a command and resolves with the first line that answers it (`ok === op`). */
  request<T = Record<string, unknown>>(command: { op: string } & Record<string, unknown>): Promise<T>;
  synced: Promise<void>;
  kill(): void;
}

/** `token` (a capability token) is what the space's door asks of a private space. */
export function startEditor(wsBase: string, space: string, name: string, token?: string): EditorProcess {
  const child = spawn(process.execPath, [fixture, wsBase, space, name, ...(token === undefined ? [] : [token])], { stdio: ["pipe", "pipe", "inherit"] });
  const listeners: Array<(message: Record<string, unknown>) => boolean> = [];
  const pending = new Set<(error: Error) => void>();
  child.once("exit", (code) => {
    for (const reject of pending) reject(new Error(`editor ${name} exited (${code}) with a request pending`));
  });
  let onSynced!: () => void;
  const synced = new Promise<void>((resolve) => (onSynced = resolve));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message.event === "synced") onSynced();
    const index = listeners.findIndex((listener) => listener(message));
    if (index >= 0) listeners.splice(index, 1);
  });
  return {
    synced,
    request: (command) =>
      new Promise((resolve, reject) => {
        pending.add(reject);
        listeners.push((message) => {
          if (message.ok !== command.op) return false;
          pending.delete(reject);
          resolve(message as never);
          return true;
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
    kill: () => child.kill("SIGKILL"),
  };
}
