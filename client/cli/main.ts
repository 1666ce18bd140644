/**
 * The `commons` CLI: parse, run one command, exit with its code. Errors become one clear
 * message on stderr (CommonsError messages say what to do next) and a non-zero exit:
 * 1 failed, 2 bad usage, 3 offline. Run through bin/commons (see the launcher's header).
 */
import { readFileSync } from "node:fs";
import { CommonsError } from "../../core/errors.js";
import { commonsHome } from "../node/home.js";
import { commandHelp, mainHelp } from "./help.js";
import type { Io } from "./io.js";
import { COMMANDS, parseCommand } from "./registry.js";

/** package.json's version: one number for the launcher, npm and `commons --version`. */
export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const parsed = parseCommand(argv);
    if ("version" in parsed) {
      io.out(`commons ${VERSION} (Node ${process.versions.node})`);
      return 0;
    }
    if (parsed.help) {
      io.out(parsed.spec === null ? mainHelp(COMMANDS) : commandHelp(parsed.spec));
      return 0;
    }
    return await parsed.spec.run(parsed.input, io);
  } catch (error) {
    if (error instanceof CommonsError) {
      io.err(`commons: ${error.message}`);
      return error.code === "usage" ? 2 : error.code === "offline" ? 3 : 1;
    }
    io.err(`commons: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}

/** The process entry: real streams, signals, exit code. */
export async function runProcess(): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop());
  const io: Io = {
    home: commonsHome(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    errIsTty: process.stderr.isTTY === true,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    stopped,
  };
  const code = await main(process.argv.slice(2), io);
  // Let stdout drain, then exit even if a socket or timer lingers.
  process.stdout.write("", () => process.exit(code));
}
