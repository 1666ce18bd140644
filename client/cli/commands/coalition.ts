/**
 * `commons coalition`: temporary teams on the local copy (docs/COORDINATION.md). Writes are
 * envelopes signed by this node, offline-capable; they take effect once the sequencer
 * commits them (`commons sync`). A spend, a vote or a dissolution is bound to the epoch the
 * copy last saw committed, so after the team changes it is refused and must be resent.
 * `writeOnCopy` is shared with `commons branch` and `commons bid`.
 */
import type { Did } from "../../../core/identity/did.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { SpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { BodyOf, EnvelopeType } from "../../../core/log/types/index.js";
import { coalitionBalance, type Coalition } from "../../../core/state/coalition.js";
import { coalitionUrl } from "../../../durable-objects/coalition-address.js";
import type { SpaceState } from "../../../core/views/state.js";
import { requireIdentity } from "../../node/identity.js";
import { doorToken } from "../../node/remote.js";
import type { LocalSpace } from "../../node/local-space.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, shortDid, shortId } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, did, positiveInt, space, str, unknownAction, usage, type CommandSpec } from "../spec.js";

/** Appends one envelope signed by this node's key and prints its id and tentative verdict. */
export async function writeOnCopy<T extends EnvelopeType>(
  io: Io, space: SpaceId, type: T, body: (local: LocalSpace, me: Did) => BodyOf<T> | Promise<BodyOf<T>>,
): Promise<number> {
  const signer = await requireIdentity(io.home);
  return open(io, space, {}, async (local) => {
    const sent = await local.replica.append(signer, type, await body(local, signer.did));
    const verdict = localView(local).tentative.get(sent.id);
    const shown = verdict?.state === "tentative" ? `tentative, ${verdict.verdict}${verdict.reason ? `: ${verdict.reason}` : ""}` : "tentative";
    io.out(`${type} ${sent.id} [${shown}]`);
    io.err(`\`commons sync ${space}\` sends it to the sequencer.`);
    // A tentative refusal is printed, not an error: it is judged against what this copy has
    // committed so far, and the sequencer may see more (as `work` and `members` do).
    return 0;
  });
}

/**
 * The coalition's key: reserved at the copy's edge when it answers (the edge keeps the private
 * half and the coalition's object signs its card with it once the formation commits), else
 * made here, offline (nothing in the space is signed by it; its object then signs with a key
 * of its own and its card says so).
 */
async function coalitionKey(io: Io, local: LocalSpace, spaceName: SpaceId): Promise<Did> {
  const edge = local.meta("edge");
  if (edge) {
    try {
      const token = await doorToken(await requireIdentity(io.home), edge, spaceName);
      const response = await fetch(`${edge}/s/${spaceName}/coalition-keys`, { method: "POST", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
      const answer = (await response.json()) as { key?: string; error?: { message: string } };
      if (response.ok && typeof answer.key === "string" && answer.key.startsWith("did:key:")) return answer.key as Did;
      io.err(`the edge kept no key for this coalition (${answer.error?.message ?? response.status}): made one here; its A2A card will be signed by its object's own key`);
    } catch (error) {
      io.err(`the edge is out of reach (${(error as Error).message}): the coalition's key is made here; its A2A card will be signed by its object's own key`);
    }
  }
  return (await Ed25519Signer.generate()).did as Did;
}

/** The committed coalition a (prefix of an) id names, or a `not-found` that says how to list them. */
export function coalitionNamed(state: SpaceState, spaceName: SpaceId, text: string): Coalition {
  const id = resolveId(`commons coalition ${spaceName} ls`, text, state.coalitions.keys(), "committed coalition");
  return state.coalitions.get(id)!;
}

/** The JSON `show` prints: the team, epoch, quorum, balance and standing votes. */
export function coalitionSummary(state: SpaceState, coalition: Coalition, at: number) {
  const balance = coalitionBalance(state, coalition, at);
  return { ...coalition, balance: Number.isFinite(balance) ? balance : null, n: coalition.members.length };
}

const ACTIONS = ["ls", "show", "form", "join", "leave", "dissolve", "spend"] as const;

type Input =
  | { space: SpaceId; action: "ls"; id?: string; json: boolean }
  | { space: SpaceId; action: "show"; id: string; json: boolean }
  | { space: SpaceId; action: "form"; name: string; goal: string; members: Did[]; item?: string; quorum?: number }
  | { space: SpaceId; action: "join"; id: string; reason?: string }
  | { space: SpaceId; action: "leave"; id: string; reason?: string }
  | { space: SpaceId; action: "dissolve"; id: string; reason?: string }
  | { space: SpaceId; action: "spend"; id: string; units: number; what: string; note?: string };

const coalition: CommandSpec<Input> = {
  name: "coalition",
  summary: "Form, join, leave, list, show and dissolve coalitions; spend a coalition's budget",
  usage: [
    "coalition <space> ls [--json]",
    "coalition <space> show <id> [--json]",
    "coalition <space> form <name> --goal <text> --members <did,did…> [--item <work-id>] [--quorum <k>]",
    "coalition <space> join|leave <id> [--reason <text>]",
    "coalition <space> dissolve <id> [--reason <text>]",
    "coalition <space> spend <id> <units> --for <what> [--note <text>]",
  ],
  details:
    "A coalition is a temporary team with a membership epoch (+1 on every join or leave), a quorum k for promotions and dissolution, and a budget: an owner grants units to its key (`commons grant <space> --to <key> --budget 100:50`). Spends and votes name the epoch this copy saw committed; a stale one is refused. `dissolve` ends it at once when you formed it, are an owner, or its item is completed; otherwise it is your vote to dissolve.",
  examples: [
    "commons coalition incident-42 form sre-team --goal \"stop the 500s\" --members did:key:z6Mk…,did:key:z6Mk… --quorum 2",
    "commons coalition incident-42 spend 3fa9c1 4 --for llm-tokens",
    "commons coalition incident-42 show 3fa9c1",
  ],
  options: {
    json: { type: "boolean" }, goal: { type: "string" }, members: { type: "string" }, item: { type: "string" }, quorum: { type: "string" },
    reason: { type: "string" }, for: { type: "string" }, note: { type: "string" },
  },
  actions: ACTIONS,
  parse(positionals, values) {
    const name = space("coalition", positionals[0]);
    const action = positionals[1] ?? "ls";
    if (action === "ls") return arity("coalition", positionals, 1, 2), { space: name, action, json: bool(values, "json") };
    if (action === "show") return arity("coalition", positionals, 3, 3), { space: name, action, id: positionals[2]!, json: bool(values, "json") };
    if (action === "form") {
      arity("coalition", positionals, 3, 3);
      const goal = str(values, "goal");
      if (!goal) throw usage("coalition", "form needs --goal <text>: what the team is for.");
      const members = (str(values, "members") ?? "").split(",").map((m) => m.trim()).filter(Boolean).map((m) => did("coalition", m));
      if (members.length === 0) throw usage("coalition", "form needs --members <did,did…>: the founding members (space members).");
      const item = str(values, "item");
      const quorum = positiveInt("coalition", "quorum", str(values, "quorum"), 64);
      return { space: name, action, name: positionals[2]!, goal, members, ...(item ? { item } : {}), ...(quorum ? { quorum } : {}) };
    }
    if (action === "join" || action === "leave" || action === "dissolve") {
      arity("coalition", positionals, 3, 3);
      const reason = str(values, "reason");
      return { space: name, action, id: positionals[2]!, ...(reason ? { reason } : {}) };
    }
    if (action === "spend") {
      arity("coalition", positionals, 4, 4);
      const units = positiveInt("coalition", "units", positionals[3]);
      const what = str(values, "for");
      if (units === undefined || !what) throw usage("coalition", "spend needs <units> (a positive whole number) and --for <what it pays for>.");
      const note = str(values, "note");
      return { space: name, action, id: positionals[2]!, units, what, ...(note ? { note } : {}) };
    }
    throw unknownAction("coalition", action, ACTIONS);
  },
  async run(input, io) {
    if (input.action === "ls" || input.action === "show") {
      return open(io, input.space, { lock: false }, (local) => {
        const state = localView(local).committed;
        const at = Date.now();
        const teams = input.action === "ls" ? [...state.coalitions.values()] : [coalitionNamed(state, input.space, input.id!)];
        // Its actor's A2A endpoint at the copy's edge (`commons a2a send <url> …` talks to the team).
        const edge = local.meta("edge");
        const shown = teams.map((team) => ({ ...coalitionSummary(state, team, at), ...(input.action === "show" && edge ? { a2a: coalitionUrl(edge, input.space, team.id) } : {}) }));
        if (input.json) io.out(JSON.stringify(input.action === "ls" ? shown : shown[0]));
        else for (const team of shown) {
          io.out(`${shortId(team.id)}  ${team.status.padEnd(9)} epoch ${team.epoch}  ${team.quorum}-of-${team.n}  balance ${team.balance ?? "unbounded"}  spent ${team.spent}  ${team.name}`);
          if (input.action === "show") {
            io.out(`  goal: ${team.goal}\n  key: ${team.key}\n  members: ${team.members.map(shortDid).join(", ")}`);
            if (team.a2a) io.out(`  a2a: ${team.a2a}  (\`commons a2a send ${team.a2a} "<text>"\`: its members answer)`);
            for (const vote of team.votes) io.out(`  vote: ${shortDid(vote.member)} ${vote.motion}${vote.branch ? ` ${shortId(vote.branch)}` : ""} at epoch ${vote.epoch}`);
          }
        }
        if (!input.json && shown.length === 0) io.out("no coalitions: form one with `commons coalition <space> form <name> --goal … --members …`");
        return 0;
      });
    }
    if (input.action === "form") {
      let key: Did | undefined;
      const code = await writeOnCopy(io, input.space, "coalition.formed", async (local) => {
        key = await coalitionKey(io, local, input.space);
        return {
          name: input.name, goal: input.goal, key, members: input.members, ...(input.quorum ? { quorum: input.quorum } : {}),
          ...(input.item ? { item: resolveId(`commons work ${input.space} ls`, input.item, localView(local).current.work.keys(), "work item") } : {}),
        };
      });
      io.out(`coalition key ${key} (grant the coalition's budget to it)`);
      return code;
    }
    const committed = (local: LocalSpace) => coalitionNamed(localView(local).committed, input.space, input.id);
    if (input.action === "join") return writeOnCopy(io, input.space, "coalition.joined", (local) => ({ coalition: committed(local).id }));
    if (input.action === "leave") return writeOnCopy(io, input.space, "coalition.left", (local) => ({ coalition: committed(local).id, ...(input.reason ? { reason: input.reason } : {}) }));
    if (input.action === "spend") {
      return writeOnCopy(io, input.space, "coalition.spent", (local) => {
        const team = committed(local);
        return { coalition: team.id, epoch: team.epoch, units: input.units, tool: input.what, ...(input.note ? { note: input.note } : {}) };
      });
    }
    const state = await open(io, input.space, { lock: false }, (local) => localView(local).committed);
    const team = coalitionNamed(state, input.space, input.id);
    const me = (await requireIdentity(io.home)).did;
    const goalDone = team.item !== undefined && state.work.get(team.item)?.status === "completed";
    if (team.formedBy === me || state.members.get(me)?.role === "owner" || (goalDone && team.members.includes(me))) {
      return writeOnCopy(io, input.space, "coalition.dissolved", () => ({ coalition: team.id, epoch: team.epoch, ...(input.reason ? { reason: input.reason } : {}) }));
    }
    io.err(`you cannot dissolve ${team.name} alone: this is your vote (${team.quorum} votes at epoch ${team.epoch} dissolve it)`);
    return writeOnCopy(io, input.space, "coalition.voted", () => ({ coalition: team.id, epoch: team.epoch, motion: "dissolve" as const }));
  },
};

export const coalitionCommands = [coalition] as CommandSpec[];

/** For `commons branch`: the coalition a branch belongs to, committed. */
export function branchCoalition(state: SpaceState, branch: EnvelopeId): Coalition | undefined {
  const id = state.branches.get(branch)?.coalition;
  return id === undefined ? undefined : state.coalitions.get(id);
}
