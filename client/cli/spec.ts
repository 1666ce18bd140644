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
  /** The words this command takes after its space (`work <space> claim`): for "did you mean" and the hint check. */
  actions?: readonly string[];
  /** Turns raw positionals and flag values into the command's input; throws `usage`. */
  parse(positionals: string[], values: Values): I;
  run(input: I, io: Io): Promise<number>;
}

/** A usage error: exit code 2, and the message says how to call the command right. */
export function usage(command: string, message: string): CommonsError {
  return new CommonsError("usage", `${message}\nSee: commons ${command} --help`, { status: 2 });
}

/** Edit distance with transpositions (optimal string alignment): "lgo" is one edit from "log". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates close to a mistyped `word`: within a third of its length in edits (at
 * least 1, at most 3), or ones it is a prefix of; nearest first.
 */
export function nearest(word: string, candidates: readonly string[]): string[] {
  const budget = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return candidates
    .map((c) => ({ c, d: c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word.toLowerCase(), c) }))
    .filter(({ d }) => d <= budget)
    .sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1))
    .map(({ c }) => c);
}

/** ` Did you mean "x" or "y"?` when something is near, else "". */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = nearest(word, candidates).slice(0, 3);
  return near.length ? ` Did you mean ${near.map((n) => `"${n}"`).join(" or ")}?` : "";
}

/** A subcommand that is not one of `actions`: names them, and the nearest. */
export function unknownAction(command: string, action: string, actions: readonly string[], hint = ""): CommonsError {
  return usage(command, `Unknown action "${action}".${didYouMean(action, actions)} Use ${actions.join(", ")}${hint}.`);
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
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, "");
    const flag = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const near = flag === undefined ? "" : didYouMean(flag, Object.keys(spec.options)).replace(/"([^"]+)"/g, '"--$1"');
    throw usage(spec.name, `${message}.${near}`);
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
