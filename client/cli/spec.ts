/**
 * How a `commons` command is declared and its arguments parsed. `node:util` parseArgs
 * splits flags from positionals (strict: an unknown flag is an error); each command's
 * `parse` then turns strings into typed, validated input with zod-backed helpers, so a
 * command body only ever sees valid values. Everything here is pure: tests call
 * `parseCommand` directly (test/core/cli-args.test.ts).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { CommonsError } from "../../core/errors.js";
import { isDid, type Did } from "../../core/identity/did.js";
import { parseSpaceId, type SpaceId } from "../../core/ids.js";
import { ROLES, type Role } from "../../core/log/ids.js";
import type { Io } from "./io.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandSpec<I = unknown> {
  name: string;
  /** One line: what it does. */
  summary: string;
  /** Usage line(s) after `commons `. */
  usage: string[];
  /** A longer explanation, shown by `commons <cmd> --help`. */
  details?: string;
  examples: string[];
  options: Options;
  /** Turns raw positionals and flag values into the command's input; throws `usage`. */
  parse(positionals: string[], values: Values): I;
  run(input: I, io: Io): Promise<number>;
}

/** A usage error: exit code 2, and the message says how to call the command right. */
export function usage(command: string, message: string): CommonsError {
  return new CommonsError("usage", `${message}\nSee: commons ${command} --help`, { status: 2 });
}

export interface ParsedCommand {
  spec: CommandSpec;
  input: unknown;
  help: boolean;
}

/** Splits argv after the command name and validates it against the spec. */
export function parseWith(spec: CommandSpec, argv: string[]): ParsedCommand {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...spec.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true }) as never;
  } catch (error) {
    throw usage(spec.name, `${(error as Error).message.replace(/\. To specify a positional.*$/s, "")}.`);
  }
  if (parsed.values.help === true) return { spec, input: undefined, help: true };
  return { spec, input: spec.parse(parsed.positionals, parsed.values), help: false };
}

// ---- validators: each throws `usage` with a message that says what is expected ----

export function space(command: string, text: string | undefined): SpaceId {
  if (text === undefined) throw usage(command, "Missing the space name (e.g. incident-42).");
  try {
    return parseSpaceId(text);
  } catch (error) {
    throw usage(command, (error as Error).message);
  }
}

export function did(command: string, text: string, what = "member"): Did {
  if (!isDid(text)) throw usage(command, `"${text}" is not a did:key (did:key:z6Mk…): give the ${what}'s did, shown by \`commons id\` on their node.`);
  return text;
}

export function role(command: string, text: string | undefined): Role {
  const checked = z.enum(ROLES).safeParse(text);
  if (!checked.success) throw usage(command, `--role must be one of ${ROLES.join(", ")}.`);
  return checked.data;
}

export function positiveInt(command: string, flag: string, text: string | undefined, max = 1_000_000): number | undefined {
  if (text === undefined) return undefined;
  const checked = z.coerce.number().int().min(1).max(max).safeParse(text);
  if (!/^\d+$/.test(text) || !checked.success) throw usage(command, `${flag} takes a whole number from 1 to ${max}, not "${text}".`);
  return checked.data;
}

export function port(command: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const checked = z.coerce.number().int().min(0).max(65535).safeParse(text);
  if (!/^\d+$/.test(text) || !checked.success) throw usage(command, `--port takes a TCP port from 0 to 65535, not "${text}".`);
  return checked.data;
}

export function arity(command: string, positionals: string[], min: number, max: number): void {
  if (positionals.length < min) throw usage(command, `Missing argument(s): expected at least ${min}, got ${positionals.length}.`);
  if (positionals.length > max) throw usage(command, `Too many arguments: ${positionals.slice(max).map((p) => `"${p}"`).join(" ")} (quote text with spaces).`);
}

export const str = (values: Values, key: string): string | undefined => (typeof values[key] === "string" ? (values[key] as string) : undefined);
export const strs = (values: Values, key: string): string[] => (Array.isArray(values[key]) ? (values[key] as string[]) : []);
export const bool = (values: Values, key: string): boolean => values[key] === true;
