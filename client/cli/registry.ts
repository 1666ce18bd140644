/**
 * Every `commons` command, and the one entry point that turns argv into a parsed command
 * (pure: no I/O, so tests call it directly).
 */
import { a2aCommands } from "./commands/a2a.js";
import { authorityCommands } from "./commands/authority.js";
import { bundleCommands } from "./commands/bundle.js";
import { channelCommands } from "./commands/channel.js";
import { inviteCommands } from "./commands/invite.js";
import { netCommands } from "./commands/net.js";
import { nodeCommands } from "./commands/node.js";
import { policyCommands } from "./commands/policy.js";
import { spaceCommands } from "./commands/space.js";
import { workCommands } from "./commands/work.js";
import { parseWith, usage, type CommandSpec, type ParsedCommand } from "./spec.js";

export const COMMANDS: readonly CommandSpec[] = [
  ...nodeCommands, ...channelCommands, ...workCommands, ...inviteCommands, ...spaceCommands, ...policyCommands, ...netCommands, ...bundleCommands, ...authorityCommands, ...a2aCommands,
];

export type Parsed = ParsedCommand | { help: true; spec: null };

/** `argv` without the node and script paths. Throws `usage` (exit 2) on any bad argument. */
export function parseCommand(argv: readonly string[]): Parsed {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined) return { ...parseCommand([rest[0], "--help"]) };
    return { help: true, spec: null };
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec === undefined) {
    const near = COMMANDS.filter((c) => c.name.startsWith(name.slice(0, 2))).map((c) => c.name);
    throw usage(name.startsWith("-") ? "" : name, `Unknown command "${name}".${near.length ? ` Did you mean ${near.join(" or ")}?` : ""} Run \`commons --help\` for the list.`);
  }
  return parseWith(spec, [...rest]);
}
