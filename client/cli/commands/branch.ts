/**
 * `commons branch`: tentative work on the local copy. A branch stages new versions of
 * artifacts (`write`); promoting it makes them current and keeps the branch as history. A
 * coalition's branch is promoted by its quorum: `approve` (and `promote`, which for such a
 * branch is the same vote) counts once committed, at the coalition's current epoch.
 */
import type { SpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { votesFor } from "../../../core/state/coalition.js";
import type { SpaceState } from "../../../core/views/state.js";
import type { LocalSpace } from "../../node/local-space.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, shortDid, shortId } from "../common.js";
import { arity, bool, space, str, unknownAction, type CommandSpec } from "../spec.js";
import { branchCoalition, coalitionNamed, writeOnCopy } from "./coalition.js";

const ACTIONS = ["ls", "create", "write", "approve", "promote"] as const;

type Input =
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "create"; name: string; purpose?: string; coalition?: string }
  | { space: SpaceId; action: "write"; branch: string; artifact: string; content: string; note?: string }
  | { space: SpaceId; action: "approve" | "promote"; branch: string; summary?: string };

const branchId = (state: SpaceState, spaceName: SpaceId, text: string): EnvelopeId =>
  resolveId(`commons branch ${spaceName} ls`, text, state.branches.keys(), "branch");

const branch: CommandSpec<Input> = {
  name: "branch",
  summary: "List, create, write on, approve and promote branches of tentative work",
  usage: [
    "branch <space> ls [--json]",
    "branch <space> create <name> [--coalition <id>] [--purpose <text>]",
    "branch <space> write <branch> <artifact> <content> [--note <text>]",
    "branch <space> approve <branch>",
    "branch <space> promote <branch> [--summary <text>]",
  ],
  details:
    "A coalition's branch needs k approvals from its members at one epoch (k is the coalition's quorum); the k-th committed approval promotes it. Someone leaving or joining voids the approvals cast before. Any other branch is promoted by its creator or an owner (`promote`), under the promote_branch policy.",
  examples: ["commons branch incident-42 create fix-pool --coalition 3fa9c1", "commons branch incident-42 write 77ab 19cd \"raise the pool size\"", "commons branch incident-42 approve 77ab"],
  options: { json: { type: "boolean" }, coalition: { type: "string" }, purpose: { type: "string" }, note: { type: "string" }, summary: { type: "string" } },
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
    if (action === "write") {
      arity("branch", positionals, 5, 5);
      const note = str(values, "note");
      return { space: name, action, branch: positionals[2]!, artifact: positionals[3]!, content: positionals[4]!, ...(note ? { note } : {}) };
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
    if (input.action === "write") {
      return writeOnCopy(io, input.space, "branch.updated", (local) => {
        const state = localView(local).current;
        const artifact = resolveId(`commons log ${input.space} --type artifact.created`, input.artifact, state.artifacts.keys(), "artifact");
        return { branch: branchId(state, input.space, input.branch), artifact, content: { inline: input.content }, ...(input.note ? { note: input.note } : {}) };
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
