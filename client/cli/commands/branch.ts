/**
 * `commons branch`: tentative work on the local copy. A branch stages new versions of
 * artifacts (`write`): the text is the branch's Y.Text in the space's Yjs document (edited
 * here, offline too, merged with everyone's on sync), and the staged envelope records its
 * version (core/yjs/branch-text.ts). Promoting a branch makes those versions current and
 * keeps the branch as history (`show`). A coalition's branch is promoted by its quorum:
 * `approve` (and `promote`, which for such a branch is the same vote) counts once
 * committed, at the coalition's current epoch.
 */
import { CommonsError } from "../../../core/errors.js";
import type { SpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { votesFor } from "../../../core/state/coalition.js";
import type { SpaceState } from "../../../core/views/state.js";
import { branchKey, editText, renderArtifact, renderStaged, textVersion, type Rendered } from "../../../core/yjs/branch-text.js";
import type { LocalSpace } from "../../node/local-space.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, shortDid, shortId } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, space, str, unknownAction, usage, type CommandSpec } from "../spec.js";
import { readText } from "./artifact.js";
import { branchCoalition, coalitionNamed, writeOnCopy } from "./coalition.js";

const ACTIONS = ["ls", "show", "create", "write", "approve", "promote"] as const;

type Input =
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "show"; branch: string; json: boolean }
  | { space: SpaceId; action: "create"; name: string; purpose?: string; coalition?: string }
  | { space: SpaceId; action: "write"; branch: string; artifact: string; content?: string; file?: string; note?: string }
  | { space: SpaceId; action: "approve" | "promote"; branch: string; summary?: string };

const branchId = (state: SpaceState, spaceName: SpaceId, text: string): EnvelopeId =>
  resolveId(`commons branch ${spaceName} ls`, text, state.branches.keys(), "branch");

const branch: CommandSpec<Input> = {
  name: "branch",
  summary: "List, create, write on, approve and promote branches of tentative work",
  usage: [
    "branch <space> ls [--json]",
    "branch <space> show <branch> [--json]",
    "branch <space> create <name> [--coalition <id>] [--purpose <text>]",
    "branch <space> write <branch> <artifact> [<content> | --file <path>] [--note <text>]",
    "branch <space> approve <branch>",
    "branch <space> promote <branch> [--summary <text>]",
  ],
  details:
    "write edits the branch's text for the artifact (a Yjs text: concurrent edits on other nodes merge on sync) and stages its version; with no content it stages the text as it is now, e.g. after a sync. " +
    "show prints each staged text and whether this copy holds exactly the version staged. " +
    "A coalition's branch needs k approvals from its members at one epoch (k is the coalition's quorum); the k-th committed approval promotes it. Someone leaving or joining voids the approvals cast before. Any other branch is promoted by its creator or an owner (`promote`), under the promote_branch policy.",
  examples: ["commons branch incident-42 create fix-pool --coalition 3fa9c1", "commons branch incident-42 write 77ab 19cd --file runbook.md", "commons branch incident-42 show 77ab", "commons branch incident-42 approve 77ab"],
  options: { json: { type: "boolean" }, coalition: { type: "string" }, purpose: { type: "string" }, note: { type: "string" }, summary: { type: "string" }, file: { type: "string" } },
  actions: ACTIONS,
  parse(positionals, values) {
    const name = space("branch", positionals[0]);
    const action = positionals[1] ?? "ls";
    if (action === "ls") return arity("branch", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action === "create") {
      arity("branch", positionals, 3, 3);
      const purpose = str(values, "purpose");
      const coalition = str(values, "coalition");
      return { space: name, action, name: positionals[2]!, ...(purpose ? { purpose } : {}), ...(coalition ? { coalition } : {}) };
    }
    if (action === "show") return arity("branch", positionals, 3, 3), { space: name, action, branch: positionals[2]!, json: bool(values, "json") };
    if (action === "write") {
      arity("branch", positionals, 4, 5);
      const note = str(values, "note");
      const file = str(values, "file");
      if (file !== undefined && positionals[4] !== undefined) throw usage("branch", "Give the content or --file, not both.");
      const content = positionals[4];
      return { space: name, action, branch: positionals[2]!, artifact: positionals[3]!, ...(content === undefined ? {} : { content }), ...(file === undefined ? {} : { file }), ...(note ? { note } : {}) };
    }
    if (action === "approve" || action === "promote") {
      arity("branch", positionals, 3, 3);
      const summary = str(values, "summary");
      return { space: name, action, branch: positionals[2]!, ...(summary ? { summary } : {}) };
    }
    throw unknownAction("branch", action, ACTIONS);
  },
  async run(input, io) {
    if (input.action === "ls") {
      return open(io, input.space, { lock: false }, (local) => {
        const state = localView(local).current;
        const rows = [...state.branches.values()].map((b) => {
          const team = branchCoalition(state, b.id);
          return { ...b, ...(team ? { approvals: votesFor(team, "promote", b.id), quorum: team.quorum, epoch: team.epoch } : {}) };
        });
        if (input.json) io.out(JSON.stringify(rows));
        for (const b of input.json ? [] : rows) {
          const quorum = b.quorum === undefined ? "" : `  ${b.approvals}/${b.quorum} approvals at epoch ${b.epoch}`;
          io.out(`${shortId(b.id)}  ${b.status.padEnd(9)} ${shortDid(b.createdBy).padEnd(14)} ${b.name}  staged ${Object.keys(b.staged ?? {}).length}${quorum}`);
        }
        if (!input.json && rows.length === 0) io.out("no branches: create one with `commons branch <space> create <name>`");
        return 0;
      });
    }
    if (input.action === "create") {
      return writeOnCopy(io, input.space, "branch.created", (local) => ({
        name: input.name, ...(input.purpose ? { purpose: input.purpose } : {}),
        ...(input.coalition ? { coalition: coalitionNamed(localView(local).committed, input.space, input.coalition).id } : {}),
      }));
    }
    if (input.action === "show") return show(io, input.space, input.branch, input.json);
    if (input.action === "write") {
      const content = input.file === undefined ? input.content : readText(input.file);
      return writeOnCopy(io, input.space, "branch.updated", async (local) => {
        const state = localView(local).current;
        const artifact = resolveId(`commons log ${input.space} --type artifact.created`, input.artifact, state.artifacts.keys(), "artifact");
        const id = branchId(state, input.space, input.branch);
        const status = state.branches.get(id)!.status;
        if (status !== "open") throw new CommonsError("branch-closed", `branch ${shortId(id)} is ${status}: its texts are history now; start a new branch to change them`);
        const key = branchKey(id, artifact);
        const text = local.ydoc().getText(key);
        // Edited in place (the changed middle only), so another node's edit elsewhere merges.
        if (content !== undefined) editText(text, content);
        if (text.length === 0) throw new CommonsError("branch-text-empty", `nothing to stage: the branch has no text for ${shortId(artifact)} yet; give the content or --file`);
        return { branch: id, artifact, content: { ydoc: key }, version: await textVersion(text.toString()), ...(input.note ? { note: input.note } : {}) };
      });
    }
    const resolved = await open(io, input.space, { lock: false }, (local: LocalSpace) => {
      const state = localView(local).committed;
      const id = branchId(localView(local).current, input.space, input.branch);
      return { id, team: branchCoalition(state, id) };
    });
    if (resolved.team !== undefined) {
      const team = resolved.team;
      if (input.action === "promote") io.err(`branch ${shortId(resolved.id)} is coalition ${team.name}'s: it is promoted by ${team.quorum} approvals; this is yours`);
      return writeOnCopy(io, input.space, "coalition.voted", () => ({ coalition: team.id, epoch: team.epoch, motion: "promote" as const, branch: resolved.id }));
    }
    if (input.action === "approve") {
      io.err("only a coalition's branch takes approvals: promote this one with `commons branch <space> promote <branch>`");
      return 1;
    }
    return writeOnCopy(io, input.space, "branch.merged", () => ({ branch: resolved.id, ...(input.summary ? { summary: input.summary } : {}) }));
  },
};

export const branchCommands = [branch] as CommandSpec[];

/** Each artifact staged on the branch: its text, where it comes from, and whether it is the artifact's current version. */
async function show(io: Io, spaceName: SpaceId, text: string, json: boolean): Promise<number> {
  return open(io, spaceName, { lock: false }, async (local) => {
    const state = localView(local).current;
    const b = state.branches.get(branchId(state, spaceName, text))!;
    const doc = local.ydoc();
    const staged = await Promise.all(Object.entries(b.staged ?? {}).map(async ([id, version]) => {
      const artifact = state.artifacts.get(id as EnvelopeId);
      const current = artifact === undefined ? undefined : await renderArtifact(state, doc, artifact);
      return { artifact: id, title: artifact?.title ?? id, envelope: version.envelope, ...(await renderStaged(doc, version)), current: current?.branch === b.id };
    }));
    if (json) return io.out(JSON.stringify({ ...b, staged })), 0;
    io.out(`${shortId(b.id)}  ${b.name}  ${b.status}${b.promotedBy ? ` (promoted by ${shortId(b.promotedBy)}; kept as history)` : ""}`);
    for (const entry of staged) {
      io.out(`— ${entry.title} (${shortId(entry.artifact as EnvelopeId)})${entry.current ? "  [current version]" : ""}  ${describe(entry)}`);
      io.out(entry.text);
    }
    if (staged.length === 0) io.out("nothing staged: `commons branch <space> write <branch> <artifact> --file <path>`");
    return 0;
  });
}

function describe(rendered: Rendered): string {
  if (rendered.source === "inline") return "inline";
  if (rendered.matches) return `version ${rendered.version!.slice(0, 15)}…`;
  return `staged ${rendered.version!.slice(0, 15)}…, but this copy's text differs (edited since, or not all synced yet: commons sync)`;
}
