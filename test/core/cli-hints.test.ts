/**
 * The CLI's messages point only at what exists, and a mistyped word gets a suggestion:
 *
 * - every `commons …` hint quoted in client/cli and client/node (error messages, notes,
 *   details) and every help example names a registered command, one of its actions and its
 *   flags: each is parsed with placeholders filled in, and must not fail as an unknown
 *   command, action or option;
 * - "did you mean" for every command, every action of every command, and every flag;
 * - `--version` / `-V`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { COMMANDS, parseCommand } from "../../client/cli/registry.js";
import { editDistance, nearest } from "../../client/cli/spec.js";
import type { CommonsError } from "../../core/errors.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const DID = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";
const SPACE_URL = "http://127.0.0.1:8787/s/incident-42";

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** `commons …` between backticks (escaped ones too, inside template literals). */
function hintsIn(text: string): string[] {
  return [...text.matchAll(/\\?`(commons [^`\\]+)\\?`/g)].map((m) => m[1]!);
}

/** Placeholders and interpolations as values the parser accepts. */
function fill(word: string): string {
  if (/^<.*url.*>$|^\$\{.*(url|edge|http).*\}$/i.test(word)) return SPACE_URL;
  if (/^<did.*>$|^\$\{.*did.*\}$/i.test(word)) return DID;
  if (/^<.*space.*>$|^\$\{.*(space|name).*\}$/i.test(word)) return "incident-42";
  if (/^<.*>$|^\$\{.*\}$|^\[.*\]$/.test(word)) return "x";
  // `card|send|tasks` names alternatives: check the first.
  return word.replace(/^['"]|['"]$/g, "").split("|")[0]!;
}

/** Words of a hint, keeping `${…}` and `<…>` whole. */
const words = (hint: string) => (hint.match(/(?:\$\{[^}]*\}|<[^>]*>|"[^"]*"|'[^']*'|[^\s"'$<]+|[$<])+/g) ?? []).map(fill);

function problem(argv: string[]): string | null {
  try {
    parseCommand(argv);
    return null;
  } catch (error) {
    const message = (error as CommonsError).message;
    return /Unknown (command|action|option)|Say what to do|Too many arguments/.test(message) ? message.split("\n")[0]! : null;
  }
}

describe("commons hints and suggestions", () => {
  it("every `commons …` hint in client/cli and client/node names a command, action and flags that exist", () => {
    const files = [...sources("client/cli"), ...sources("client/node")];
    const checked: string[] = [];
    const bad: string[] = [];
    for (const file of files) {
      for (const hint of hintsIn(readFileSync(join(root, file), "utf8"))) {
        const argv = words(hint).slice(1).filter((w) => w !== "…" && w !== "..." && !w.endsWith("…"));
        // Not a hint: a message's own prefix (`commons mcp: serving…`), help's templates
        // (`commons ${spec.name} — …`, `commons <command> --help`), the version line.
        const head = hint.split(/\s+/)[1]!;
        if (!/^([a-z][a-z0-9]*|--help|--version)$/.test(head)) continue;
        const found = problem(argv);
        checked.push(hint);
        if (found !== null) bad.push(`${file}: \`${hint}\` → ${found}`);
      }
    }
    expect(bad).toEqual([]);
    expect(checked.length).toBeGreaterThan(40);
    // The one this test was written for: approve used to point at `commons log <space> ls`.
    expect(problem(words("commons log <space> ls").slice(1))).toMatch(/Too many arguments: "ls"/);
    expect(problem(words("commons log ${input.space} --attention").slice(1))).toBeNull();
  });

  it("every help example parses as a known command, action and flags", () => {
    const bad: string[] = [];
    for (const spec of COMMANDS) {
      for (const example of spec.examples.filter((e) => e.startsWith("commons "))) {
        const found = problem(words(example.replace(/\s+\(.*\)$/, "")).slice(1));
        if (found !== null) bad.push(`${spec.name}: \`${example}\` → ${found}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("did you mean: every command, every action and every flag, one typo away", () => {
    // One character dropped from the middle: one edit away, and never a prefix of a longer name.
    const typo = (word: string) => `${word.slice(0, Math.floor(word.length / 2))}${word.slice(Math.floor(word.length / 2) + 1)}`;
    for (const spec of COMMANDS) {
      expect(problem([typo(spec.name)]), spec.name).toContain(`Did you mean "${spec.name}"`);
      for (const action of spec.actions ?? []) {
        const argv = spec.name === "a2a" ? [spec.name, typo(action)] : [spec.name, "incident-42", typo(action)];
        expect(problem(argv), `${spec.name} ${action}`).toContain(`"${action}"`);
      }
      for (const flag of Object.keys(spec.options)) {
        const found = problem([spec.name, `--${typo(flag)}`]);
        expect(found, `${spec.name} --${flag}`).toContain(`Did you mean "--${flag}"`);
      }
    }
  });

  it("nearest: transpositions count once, far words get nothing", () => {
    expect(editDistance("lgo", "log")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(nearest("lgo", ["log", "post"])).toEqual(["log"]);
    expect(nearest("teleport", COMMANDS.map((c) => c.name))).toEqual([]);
    expect(nearest("mem", COMMANDS.map((c) => c.name))).toEqual(["members"]);
  });

  it("--version and -V print package.json's version", () => {
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    expect(parseCommand(["--version"])).toEqual({ version: true });
    expect(parseCommand(["-V"])).toEqual({ version: true });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
