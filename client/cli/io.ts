/**
 * What a command may touch of its process: output streams, stdin, the environment. Passed
 * in so tests can run commands in-process, and so "human" and "--json" output stay apart:
 * results to stdout, progress and notes to stderr.
 */
import type { Home } from "../node/home.js";

export interface Io {
  home: Home;
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal: progress bars redraw in place; otherwise plain lines. */
  errIsTty: boolean;
  readStdin(): Promise<string>;
  /** Resolves when the user asks a long-running command to stop (SIGINT/SIGTERM). */
  stopped: Promise<void>;
}

/** A progress reporter: a redrawn bar on a terminal, one plain line per step otherwise. */
export function progressBar(io: Io, label: string): { update(done: number, total: number): void; end(): void } {
  let last = "";
  let drew = false;
  return {
    update(done, total) {
      const width = 30;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      if (io.errIsTty) {
        const bar = "#".repeat(Math.round(ratio * width)).padEnd(width, ".");
        process.stderr.write(`\r${label} [${bar}] ${done}/${total}`);
        drew = true;
      } else {
        const line = `${label}: ${done}/${total}`;
        if (line !== last) io.err(line);
        last = line;
      }
    },
    end() {
      if (drew) process.stderr.write("\n");
    },
  };
}
