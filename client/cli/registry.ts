/**
 * Every `commons` command, and the one entry point that turns argv into a parsed command
 * (pure: no I/O, so tests call it directly).
 */
import { CommonsError } from "../../core/errors.js";
import { a2aCommands } from "./commands/a2a.js";
import { agentCommands } from "./commands/agent.js";
import { artifactCommands } from "./commands/artifact.js";
import { authorityCommands } from "./commands/authority.js";
import { bidCommands } from "./commands/bid.js";
import { branchCommands } from "./commands/branch.js";
import { bundleCommands } from "./commands/bundle.js";
import { channelCommands } from "./commands/channel.js";
import { coalitionCommands } from "./commands/coalition.js";
import { inviteCommands } from "./commands/invite.js";
import { logCommands } from "./commands/log.js";
import { netCommands } from "./commands/net.js";
import { nodeCommands } from "./commands/node.js";
import { policyCommands } from "./commands/policy.js";
import { spaceCommands } from "./commands/space.js";
import { watchCommands } from "./commands/watch.js";
import { workCommands } from "./commands/work.js";
import { didYouMean, parseWith, type CommandSpec, type ParsedCommand } from "./spec.js";

export const COMMANDS: readonly CommandSpec[] = [
  ...nodeCommands, ...channelCommands, ...logCommands, ...watchCommands, ...workCommands, ...coalitionCommands, ...branchCommands, ...artifactCommands, ...bidCommands, ...inviteCommands, ...spaceCommands, ...policyCommands, ...netCommands, ...bundleCommands, ...authorityCommands, ...a2aCommands, ...agentCommands,
];

export type Parsed = ParsedCommand | { help: true; spec: null } | { version: true };

/** `argv` without the node and script paths. Throws `usage` (exit 2) on any bad argument. */
export function parseCommand(argv: readonly string[]): Parsed {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") return { version: true };
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined) return { ...parseCommand([rest[0], "--help"]) };
    return { help: true, spec: null };
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec === undefined) {
    const names = COMMANDS.map((c) => c.name);
    // A flag where the command goes (commons --follow): no command to suggest.
    const near = name.startsWith("-") ? "" : didYouMean(name, names);
    throw new CommonsError("usage", `Unknown command "${name}".${near} Run \`commons --help\` for the list.`, { status: 2 });
  }
  return parseWith(spec, [...rest]);
}
