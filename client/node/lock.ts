/**
 * One writer per space at a time, across processes. The log writer reads an author's chain
 * tip, signs, then appends; two `commons` processes doing that at once for the same
 * identity would sign two envelopes with one seq — a fork, flagged forever on every
 * replica. So every command that writes a space holds `<space>.lock` (O_EXCL create,
 * holding the pid) for the time it writes. A lock whose pid is gone is stale and taken over.
 *
 * Reentrant within a process (a counter), so a long-running `serve`/`daemon` can take it
 * around each ingest while its own nested calls pass through.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { CommonsError } from "../../core/errors.js";

const held = new Map<string, number>();
const pause = new Int32Array(new SharedArrayBuffer(4));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock at `path`, waiting up to `timeoutMs` for another process to release it. */
export function acquireLock(path: string, what: string, timeoutMs = 10_000): () => void {
  const count = held.get(path) ?? 0;
  if (count > 0) {
    held.set(path, count + 1);
    return () => release(path);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.set(path, 1);
      return () => release(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path, "utf8"));
    } catch {
      continue; // released between our open and our read: try again at once
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new CommonsError("space-busy", `${what} is being written by another commons process (pid ${owner}): wait for it to finish, or stop it (a running \`commons serve\` or \`daemon\`?).`);
    }
    // A synchronous wait: callers are CLI commands with nothing else to do meanwhile.
    Atomics.wait(pause, 0, 0, 25);
  }
}

function release(path: string): void {
  const count = held.get(path) ?? 0;
  if (count > 1) {
    held.set(path, count - 1);
    return;
  }
  held.delete(path);
  rmSync(path, { force: true });
}

/** Runs `work` holding the lock; releases it however `work` ends. */
export async function withLock<T>(path: string, what: string, work: () => Promise<T> | T): Promise<T> {
  const release = acquireLock(path, what);
  try {
    return await work();
  } finally {
    release();
  }
}
