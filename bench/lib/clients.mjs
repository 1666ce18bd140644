/**
 * A pool of benchmark client processes (bench/lib/client-worker.mjs), driven over IPC with
 * structured-clone serialization so arrival times come back as typed arrays.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cpuSeconds } from "./proc.mjs";

const workerScript = fileURLToPath(new URL("./client-worker.mjs", import.meta.url));

export class ClientPool {
  static start(count) {
    const pool = new ClientPool();
    for (let i = 0; i < count; i++) {
      const child = fork(workerScript, [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
      const pending = new Map();
      child.on("message", (msg) => {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`client process ${i}: ${msg.error}`));
      });
      child.on("exit", (code) => {
        for (const p of pending.values()) p.reject(new Error(`client process ${i} exited (${code})`));
        pending.clear();
      });
      pool.workers.push({ child, pending });
    }
    return pool;
  }

  workers = [];
  #next = 1;

  get size() {
    return this.workers.length;
  }

  get pids() {
    return this.workers.map((w) => w.child.pid);
  }

  cpu() {
    return cpuSeconds(this.pids);
  }

  call(i, cmd, args) {
    const w = this.workers[i];
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.child.send({ id, cmd, args });
    });
  }

  each(indices, cmd, args) {
    return Promise.all(indices.map((i) => this.call(i, cmd, typeof args === "function" ? args(i) : args)));
  }

  async close() {
    await Promise.allSettled(this.workers.map((_, i) => this.call(i, "exit")));
    for (const w of this.workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  }
}
