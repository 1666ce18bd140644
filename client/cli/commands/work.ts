/**
 * Work items, approvals and membership on the local copy: `work`, `approve`, `reject`,
 * `members`. Claims show at once (the same winner on every replica); membership changes
 * and decisions take effect once the sequencer commits them.
 */
import type { Did } from "../../../core/identity/did.js";
import type { SpaceId } from "../../../core/ids.js";
import type { Role } from "../../../core/log/ids.js";
import type { BodyOf, EnvelopeType } from "../../../core/log/types/index.js";
import { requireIdentity } from "../../node/identity.js";
import type { LocalSpace } from "../../node/local-space.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, say, shortId, whoIn } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, did, role, space, str, unknownAction, usage, type CommandSpec, type Values } from "../spec.js";

const WORK_ACTIONS = ["ls", "create", "claim", "release", "done"] as const;
const MEMBER_ACTIONS = ["ls", "add", "remove"] as const;

const domains = (values: Values) => (str(values, "domains") ?? "").split(",").map((d) => d.trim()).filter(Boolean);

/** Appends one envelope by this node and says whether it is committed yet (`--json`: {type, id, status}). */
async function write<T extends EnvelopeType>(io: Io, space: SpaceId, json: boolean, type: T, body: (local: LocalSpace) => BodyOf<T>): Promise<number> {
  const signer = await requireIdentity(io.home);
  return open(io, space, {}, async (local) => {
    const sent = await local.replica.append(signer, type, body(local));
    const verdict = localView(local).tentative.get(sent.id);
    const shown = verdict?.state === "tentative" ? `tentative, ${verdict.verdict}${verdict.reason ? `: ${verdict.reason}` : ""}` : "tentative";
    say(io, json, `${type} ${sent.id} [${shown}]`, { type, id: sent.id, status: verdict ?? { state: "tentative" } });
    io.err(`\`commons sync ${space}\` sends it to the sequencer.`);
    return 0;
  });
}

type WorkInput =
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "create"; title: string; description?: string; domains: string[]; json: boolean }
  | { space: SpaceId; action: "claim" | "release" | "done"; item: string; note?: string; json: boolean };

const work: CommandSpec<WorkInput> = {
  name: "work",
  summary: "List, create, claim, release and complete work items",
  usage: ["work <space> ls [--json]", "work <space> create <title> [--description <text>] [--domains a,b] [--json]", "work <space> claim|release|done <item-id> [--note <text>] [--json]"],
  details: "Item ids may be shortened to a unique prefix (as `work ls` shows them). Among concurrent claims every replica shows the same winner; the sequencer's commit settles it.",
  examples: ["commons work incident-42 create \"rotate the cert\" --domains ops", "commons work incident-42 claim 3fa9c1", "commons work incident-42 ls"],
  options: { json: { type: "boolean" }, description: { type: "string" }, domains: { type: "string" }, note: { type: "string" } },
  actions: WORK_ACTIONS,
  parse(positionals, values) {
    const name = space("work", positionals[0]);
    const action = positionals[1] ?? "ls";
    if (action === "ls") return arity("work", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action === "create") {
      arity("work", positionals, 3, 3);
      const title = positionals[2]!;
      if (title.length === 0 || title.length > 200) throw usage("work", "A title has 1–200 characters.");
      const description = str(values, "description");
      return { space: name, action, title, domains: domains(values), json: bool(values, "json"), ...(description ? { description } : {}) };
    }
    if (action === "claim" || action === "release" || action === "done") {
      arity("work", positionals, 3, 3);
      const note = str(values, "note");
      return { space: name, action, item: positionals[2]!, json: bool(values, "json"), ...(note ? { note } : {}) };
    }
    throw unknownAction("work", action, WORK_ACTIONS);
  },
  async run(input, io) {
    if (input.action === "ls") {
      return open(io, input.space, { lock: false }, (local) => {
        const items = [...localView(local).current.work.values()];
        const who = whoIn(local);
        if (input.json) io.out(JSON.stringify(items));
        for (const w of input.json ? [] : items) io.out(`${shortId(w.id)}  ${w.status.padEnd(9)} ${(w.claimant ? who(w.claimant) : "").padEnd(14)} ${w.title}`);
        if (!input.json && items.length === 0) io.out("no work items: create one with `commons work <space> create <title>`");
        return 0;
      });
    }
    if (input.action === "create") {
      return write(io, input.space, input.json, "work.created", () => ({ title: input.title, ...(input.description ? { description: input.description } : {}), ...(input.domains.length ? { domains: input.domains } : {}) }));
    }
    const resolveItem = (local: LocalSpace) => resolveId(`commons work ${input.space} ls`, input.item, [...localView(local).current.work.keys()], "work item");
    if (input.action === "claim") return write(io, input.space, input.json, "work.claimed", (l) => ({ item: resolveItem(l), ...(input.note ? { note: input.note } : {}) }));
    if (input.action === "release") return write(io, input.space, input.json, "work.released", (l) => ({ item: resolveItem(l), ...(input.note ? { reason: input.note } : {}) }));
    return write(io, input.space, input.json, "work.completed", (l) => ({ item: resolveItem(l), ...(input.note ? { result: input.note } : {}) }));
  },
};

function decide(decision: "approved" | "rejected"): CommandSpec<{ space: SpaceId; request: string; reason?: string; json: boolean }> {
  const name = decision === "approved" ? "approve" : "reject";
  return {
    name,
    summary: `${decision === "approved" ? "Approve" : "Reject"} an approval request you have the authority to decide`,
    usage: [`${name} <space> <request-id> [--reason <text>] [--json]`],
    details: "Takes effect once the sequencer commits it (and only if you are the approver the request names, or hold its role, before it expires). Find requests with `commons log <space> --attention`.",
    examples: [`commons ${name} incident-42 9c2e41 --reason "${decision === "approved" ? "looks safe" : "not during the freeze"}"`],
    options: { reason: { type: "string" }, json: { type: "boolean" } },
    parse(positionals, values) {
      arity(name, positionals, 2, 2);
      const reason = str(values, "reason");
      return { space: space(name, positionals[0]), request: positionals[1]!, json: bool(values, "json"), ...(reason ? { reason } : {}) };
    },
    run: (input, io) => write(io, input.space, input.json, "approval.decided", (local) => ({
      request: resolveId(`commons log ${input.space} --attention`, input.request, [...localView(local).current.approvals.keys()], "approval request"),
      decision,
      ...(input.reason ? { reason: input.reason } : {}),
    })),
  };
}

type MembersInput =
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "add"; member: Did; role: Role; domains: string[]; name?: string; json: boolean }
  | { space: SpaceId; action: "remove"; member: Did; reason?: string; json: boolean };

const members: CommandSpec<MembersInput> = {
  name: "members",
  summary: "List a space's members, or (owners) add, change or remove one",
  usage: ["members <space> [ls] [--json]", "members <space> add <did> --role owner|human|agent|observer [--domains a,b] [--name <name>] [--json]", "members <space> remove <did> [--reason <text>] [--json]"],
  details: "Membership changes are control-plane: they show as pending until the sequencer commits them, and only owners' are accepted.",
  examples: ["commons members incident-42", "commons members incident-42 add did:key:z6Mk… --role human --domains ops,infra --name andy"],
  options: { json: { type: "boolean" }, role: { type: "string" }, domains: { type: "string" }, name: { type: "string" }, reason: { type: "string" } },
  actions: MEMBER_ACTIONS,
  parse(positionals, values) {
    const name = space("members", positionals[0]);
    const action = positionals[1] ?? "ls";
    if (action === "ls") return arity("members", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action !== "add" && action !== "remove") throw unknownAction("members", action, MEMBER_ACTIONS);
    arity("members", positionals, 3, 3);
    if (action === "add") {
      const label = str(values, "name");
      return { space: name, action, member: did("members", positionals[2]!), role: role("members", str(values, "role")), domains: domains(values), json: bool(values, "json"), ...(label ? { name: label } : {}) };
    }
    if (action === "remove") {
      const reason = str(values, "reason");
      return { space: name, action, member: did("members", positionals[2]!), json: bool(values, "json"), ...(reason ? { reason } : {}) };
    }
    throw unknownAction("members", action, MEMBER_ACTIONS);
  },
  async run(input, io) {
    if (input.action === "add") return write(io, input.space, input.json, "member.added", () => ({ member: input.member, role: input.role, domains: input.domains, ...(input.name ? { name: input.name } : {}) }));
    if (input.action === "remove") return write(io, input.space, input.json, "member.removed", () => ({ member: input.member, ...(input.reason ? { reason: input.reason } : {}) }));
    return open(io, input.space, { lock: false }, (local) => {
      const view = localView(local);
      const list = [...view.current.members.values()].map((m) => ({ ...m, committed: view.committed.members.get(m.did)?.role === m.role }));
      if (input.json) io.out(JSON.stringify(list));
      for (const m of input.json ? [] : list) io.out(`${m.did}  ${m.role.padEnd(8)} ${m.name ?? ""} ${m.domains.join(",")} ${m.committed ? "" : "[pending commit]"}`);
      return 0;
    });
  },
};

export const workCommands = [work, decide("approved"), decide("rejected"), members] as CommandSpec[];
