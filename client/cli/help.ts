/** `commons --help` and `commons <command> --help`: what each command does, with examples. */
import type { CommandSpec } from "./spec.js";

export function mainHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "commons — a local Commons node: full copies of spaces that work offline and sync when online",
    "",
    "Usage: commons <command> [arguments] [--flags]      commons <command> --help for details",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Examples:",
    "  commons id",
    "  commons join http://127.0.0.1:8787/s/incident-42",
    "  commons post incident-42 \"cert expired at 09:14\"      (offline is fine: it is tentative until synced)",
    "  commons sync",
    "",
    "  commons log incident-42 --follow                      (live until Ctrl-C; `commons watch` for what needs you)",
    "",
    "State lives in ~/.commons (override with COMMONS_HOME). Exit codes: 0 ok, 1 failed, 2 bad usage, 3 offline.",
    "Write commands and sync take --json. `commons --version` prints the version.",
    "Docs: docs/CLI.md",
  ].join("\n");
}

export function commandHelp(spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([name, option]) => `--${name}${option.type === "string" ? " <value>" : ""}${option.multiple ? " (repeatable)" : ""}`);
  return [
    `commons ${spec.name} — ${spec.summary}`,
    "",
    "Usage:",
    ...spec.usage.map((u) => `  commons ${u}`),
    ...(spec.details ? ["", spec.details] : []),
    ...(flags.length ? ["", `Flags: ${flags.join(", ")}, --help`] : []),
    "",
    "Examples:",
    ...spec.examples.map((e) => `  ${e}`),
  ].join("\n");
}
