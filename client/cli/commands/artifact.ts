/**
 * `commons artifact`: the space's artifacts on the local copy. `create` writes one with
 * inline text (`artifact.created`); `ls` lists them; `show` prints an artifact's current
 * version — its inline text, or, once a branch that staged it in Yjs is promoted, that
 * branch's text at the promoted version (core/yjs/branch-text.ts `renderArtifact`), saying
 * whether this copy holds exactly that version.
 */
import { readFileSync } from "node:fs";
import { CommonsError } from "../../../core/errors.js";
import type { SpaceId } from "../../../core/ids.js";
import { renderArtifact } from "../../../core/yjs/branch-text.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, shortDid, shortId } from "../common.js";
import { arity, bool, space, str, unknownAction, usage, type CommandSpec } from "../spec.js";
import { writeOnCopy } from "./coalition.js";

const ACTIONS = ["ls", "show", "create"] as const;

type Input =
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "show"; artifact: string; json: boolean }
  | { space: SpaceId; action: "create"; title: string; text: { content: string } | { file: string }; kind?: string };

const artifact: CommandSpec<Input> = {
  name: "artifact",
  summary: "List, create and read the space's artifacts (their current versions)",
  usage: ["artifact <space> ls [--json]", "artifact <space> show <artifact> [--json]", "artifact <space> create <title> [<content> | --file <path>] [--kind <kind>]"],
  details: "A new version of an artifact is staged on a branch (`commons branch <space> write`) and becomes current when the branch is promoted; `show` then reads it from the branch's text.",
  examples: ["commons artifact incident-42 create runbook --file runbook.md --kind draft", "commons artifact incident-42 show 19cd"],
  options: { json: { type: "boolean" }, file: { type: "string" }, kind: { type: "string" } },
  actions: ACTIONS,
  parse(positionals, values) {
    const name = space("artifact", positionals[0]);
    const action = positionals[1] ?? "ls";
    if (action === "ls") return arity("artifact", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action === "show") return arity("artifact", positionals, 3, 3), { space: name, action, artifact: positionals[2]!, json: bool(values, "json") };
    if (action === "create") {
      arity("artifact", positionals, 3, 4);
      const file = str(values, "file");
      if ((file === undefined) === (positionals[3] === undefined)) throw usage("artifact", "Give the content or --file (one of them).");
      const kind = str(values, "kind");
      return { space: name, action, title: positionals[2]!, text: file === undefined ? { content: positionals[3]! } : { file }, ...(kind ? { kind } : {}) };
    }
    throw unknownAction("artifact", action, ACTIONS);
  },
  async run(input, io) {
    if (input.action === "create") {
      const content = "file" in input.text ? readText(input.text.file) : input.text.content;
      return writeOnCopy(io, input.space, "artifact.created", () => ({ title: input.title, content: { inline: content }, ...(input.kind ? { kind: input.kind } : {}) }));
    }
    return open(io, input.space, { lock: false }, async (local) => {
      const state = localView(local).current;
      if (input.action === "ls") {
        const rows = [...state.artifacts.values()];
        if (input.json) io.out(JSON.stringify(rows));
        for (const a of input.json ? [] : rows) io.out(`${shortId(a.id)}  ${shortDid(a.createdBy).padEnd(14)} ${a.title}  ${a.versions.length} version(s)`);
        if (!input.json && rows.length === 0) io.out("no artifacts: create one with `commons artifact <space> create <title> <content>`");
        return 0;
      }
      const found = state.artifacts.get(resolveId(`commons artifact ${input.space} ls`, input.artifact, state.artifacts.keys(), "artifact"))!;
      const current = await renderArtifact(state, local.ydoc(), found);
      if (input.json) return io.out(JSON.stringify({ ...found, current })), 0;
      const from = current.source === "inline" ? "inline" : current.branch === undefined ? "yjs" : `branch ${shortId(current.branch)} at ${current.version?.slice(0, 15)}…`;
      io.out(`${found.title} (${shortId(found.id)}), current version from ${from}${current.matches === false ? " — this copy's text differs from that version (edited since, or not all synced: commons sync)" : ""}`);
      io.out(current.text);
      return 0;
    });
  },
};

/** A text file's contents for `--file`, or a refusal that names the file. */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CommonsError("file-unreadable", `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a text file.`);
  }
}

export const artifactCommands = [artifact] as CommandSpec[];
