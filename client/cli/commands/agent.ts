/**
 * `commons agent add|ls|show|remove|logs`: an owner puts an agent (an AgentDO on the space's
 * edge, `/agents/<name>`) into a space and watches what it does (issue 12 item 2).
 *
 *   add      reads the agent's signed card (which makes the object, near `--near` or near the
 *            caller), writes an invite for role agent with its domains (the same invite as
 *            `commons invite`), hands the URL to the agent (`POST /agents/<name>/spaces`, a
 *            token this node signs for the agent's did), which signs its own join; the call
 *            returns once the join committed, and the local copy syncs so it shows the member;
 *   ls       the space's agent members (the local copy, after a sync);
 *   show     one agent in the space as it says itself: cursor, domains, options, decisions;
 *   remove   the agent stops watching (`DELETE …/spaces/<space>`, owners only), then its
 *            membership is removed (`member.removed`);
 *   logs     its decisions (from the agent) and its traces and reports in the space (the copy).
 */
import { issueAgentCapability } from "../../../core/auth/capability.js";
import { agentBase, fetchAgentCard } from "../../../core/a2a/remote.js";
import { NEAR_HEADER, parseLocationHint, type LocationHint } from "../../../core/a2a/location.js";
import { parseAgentName } from "../../../core/a2a/name.js";
import { CommonsError } from "../../../core/errors.js";
import type { Did } from "../../../core/identity/did.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { SpaceId } from "../../../core/ids.js";
import { encodeInviteUrl } from "../../../core/space/invite.js";
import { requireIdentity } from "../../node/identity.js";
import type { LocalSpace } from "../../node/local-space.js";
import { parseSpaceUrl } from "../../node/remote.js";
import { open, shortDid, shortId } from "../common.js";
import type { Io } from "../io.js";
import { committedOf, publish, publishedCode, requireOwner } from "../publish.js";
import { syncWithReceipts } from "./node.js";
import { arity, bool, space, str, unknownAction, usage, type CommandSpec, type Values } from "../spec.js";

type Action = "add" | "ls" | "show" | "remove" | "logs";
const ACTIONS: readonly Action[] = ["add", "ls", "show", "remove", "logs"];

interface Input {
  action: Action;
  space: SpaceId;
  name?: string;
  json: boolean;
  domains: string[];
  keywords: string[];
  handoffs: Array<{ from: string; to: string }>;
  brain: "rules" | "llm";
  edge?: string;
  near?: LocationHint;
  options: { unclaimedAfterMs?: number; gapAfterMs?: number; presenceCheckMs?: number };
}

const list = (values: Values, flag: string) => (str(values, flag) ?? "").split(",").map((w) => w.trim()).filter(Boolean);

/** `500ms`, `30s`, `2m`, `1h` → milliseconds (100 ms to a day). */
function duration(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,8})(ms|s|m|h)$/.exec(text);
  const value = match ? Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms"] : NaN;
  if (!(value >= 100 && value <= 86_400_000)) throw usage("agent", `${flag} takes a duration from 100ms to 24h such as 500ms, 30s or 2m, not "${text}".`);
  return value;
}

const agent: CommandSpec<Input> = {
  name: "agent",
  summary: "Put an agent into a space (owners), list the space's agents, see what one decided, take one out",
  usage: [
    "agent add <space> <name> --domains a,b [--keywords k1,k2] [--handoff from:to] [--brain rules|llm] [--edge <url>] [--near <region>] [--unclaimed-after 2m] [--gap-after 5m] [--json]",
    "agent ls <space> [--json]",
    "agent show <space> <name> [--json]",
    "agent logs <space> <name> [--json]",
    "agent remove <space> <name>",
  ],
  details:
    "The agent is the AgentDO /agents/<name> on the space's edge (made on first use, with its own did:key). `add` invites it as an agent with its domains " +
    "and waits until its join commits; from then on the space tells it of every commit and it self-selects work (docs/AGENTS.md). --near names a " +
    "Durable Object region (wnam, enam, sam, weur, eeur, apac, oc, afr, me) for an agent made now; without it the edge picks the region the request " +
    "came from (local workerd ignores both). --unclaimed-after: an item in its domains left open that long is claimed by the best fit or escalated; " +
    "--gap-after: a request in its domains unanswered that long is volunteered for.",
  examples: [
    "commons agent add incident-42 ops-bot --domains ops,infra --keywords cert,dns",
    "commons agent add studio george --domains visuals --handoff brief:visuals --near weur",
    "commons agent show incident-42 ops-bot",
    "commons agent logs incident-42 ops-bot",
  ],
  options: {
    json: { type: "boolean" }, domains: { type: "string" }, keywords: { type: "string" }, handoff: { type: "string", multiple: true },
    brain: { type: "string" }, edge: { type: "string" }, near: { type: "string" },
    "unclaimed-after": { type: "string" }, "gap-after": { type: "string" }, "presence-check": { type: "string" },
  },
  parse(positionals, values) {
    const action = positionals[0] as Action;
    if (action === undefined) throw usage("agent", `Say what to do first: ${ACTIONS.join(", ")} (e.g. \`commons agent add <space> <name> --domains ops\`).`);
    if (!ACTIONS.includes(action)) throw unknownAction("agent", action, ACTIONS, " (the action comes first: `commons agent add <space> <name>`)");
    arity("agent", positionals, action === "ls" ? 2 : 3, action === "ls" ? 2 : 3);
    const name = positionals[2];
    if (name !== undefined) {
      try {
        parseAgentName(name);
      } catch (error) {
        throw usage("agent", (error as Error).message);
      }
    }
    const domains = list(values, "domains");
    if (action === "add" && domains.length === 0) throw usage("agent", "--domains is required: the agent's domains, e.g. --domains ops,infra (what it self-selects).");
    const brain = str(values, "brain") ?? "rules";
    if (brain !== "rules" && brain !== "llm") throw usage("agent", `--brain is rules or llm, not "${brain}".`);
    const handoffs = ((values.handoff as string[] | undefined) ?? []).map((h) => {
      const [from, to, extra] = h.split(":");
      if (!from || !to || extra !== undefined) throw usage("agent", `--handoff takes from:to (two domains), e.g. brief:visuals, not "${h}".`);
      return { from, to };
    });
    let near: LocationHint | undefined;
    try {
      near = str(values, "near") === undefined ? undefined : parseLocationHint(str(values, "near")!);
    } catch (error) {
      throw usage("agent", (error as Error).message);
    }
    const edge = str(values, "edge");
    const options = {
      ...(duration("--unclaimed-after", str(values, "unclaimed-after")) === undefined ? {} : { unclaimedAfterMs: duration("--unclaimed-after", str(values, "unclaimed-after"))! }),
      ...(duration("--gap-after", str(values, "gap-after")) === undefined ? {} : { gapAfterMs: duration("--gap-after", str(values, "gap-after"))! }),
      ...(duration("--presence-check", str(values, "presence-check")) === undefined ? {} : { presenceCheckMs: duration("--presence-check", str(values, "presence-check"))! }),
    };
    return {
      action, space: space("agent", positionals[1]), ...(name === undefined ? {} : { name }), json: bool(values, "json"),
      domains, keywords: list(values, "keywords"), handoffs, brain, options,
      ...(edge === undefined ? {} : { edge: edge.replace(/\/+$/, "") }), ...(near === undefined ? {} : { near }),
    };
  },
  run(input, io) {
    if (input.action === "ls") return ls(input, io);
    return withAgent(input, io);
  },
};

export const agentCommands: readonly CommandSpec[] = [agent as CommandSpec];

/** The edge an agent lives on: --edge, else the copy's edge (an agent joins spaces of its own edge). */
function edgeOf(local: LocalSpace, input: Input): string {
  const edge = input.edge ?? local.meta("edge");
  if (edge === undefined) throw new CommonsError("no-edge", `"${input.space}" has no edge, and agents live on one: give it with \`commons sync ${input.space} --edge <space-url>\`.`);
  return edge;
}

async function sync(io: Io, local: LocalSpace, edge: string): Promise<void> {
  await syncWithReceipts(io, local, parseSpaceUrl(`${edge}/s/${local.space}`).ws);
}

/** Calls the agent at `edge` as this node: its card first (verified), then a token for its did. */
async function agentAt(edge: string, name: string, near?: LocationHint) {
  const base = agentBase(`${edge}/agents/${name}`);
  const withNear: typeof fetch = (url, init) => fetch(url, near === undefined ? init : { ...init, headers: { ...(init?.headers as Record<string, string>), [NEAR_HEADER]: near } });
  const { did } = await fetchAgentCard(base, withNear);
  return {
    did, base,
    async call(signer: Ed25519Signer, method: string, path: string, body?: unknown) {
      const token = await issueAgentCapability(signer, { agent: did, ttlSeconds: 300, methods: [method] });
      const res = await fetch(`${base}${path}`, {
        method: body === undefined ? (method === "LeaveSpace" ? "DELETE" : "GET") : "POST",
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, any>;
      if (!res.ok) throw new CommonsError(json.error?.code ?? "agent-refused", `agent ${name} answered ${res.status}: ${json.error?.message ?? "no reason given"}`);
      return json;
    },
  };
}

function withAgent(input: Input, io: Io): Promise<number> {
  return (async () => {
    const signer = await requireIdentity(io.home);
    return open(io, input.space, {}, async (local) => {
      const edge = edgeOf(local, input);
      const remote = await agentAt(edge, input.name!, input.near);
      if (input.action === "add") return add(io, local, signer, edge, remote, input);
      if (input.action === "remove") {
        requireOwner(local, signer.did, "take agents out of a space");
        await remote.call(signer, "LeaveSpace", `spaces/${input.space}`);
        const published = await publish(io, local, signer, [{ type: "member.removed", body: { member: remote.did, reason: `agent ${input.name} removed with commons agent remove` } }]);
        io.out(`removed agent ${input.name} (${shortDid(remote.did)}) from ${input.space}: it stopped watching and its membership is ended`);
        return publishedCode(io, local, published);
      }
      const shown = await remote.call(signer, "ListSpaces", `spaces/${input.space}`);
      if (input.action === "show") {
        if (input.json) return io.out(JSON.stringify({ did: remote.did, ...shown })), 0;
        io.out(`${input.name} in ${input.space}: ${remote.did}`);
        io.out(`domains   ${shown.domains.join(",") || "-"}   keywords ${shown.keywords.join(",") || "-"}   handoffs ${shown.handoffs.map((h: { from: string; to: string }) => `${h.from}:${h.to}`).join(",") || "-"}`);
        io.out(`brain     ${shown.options?.brain ?? "rules"}   cursor ${shown.cursor}   joined ${shown.joinedAt}   decisions ${shown.acted.length}   requests ${shown.requests ?? "-"}`);
        return 0;
      }
      await sync(io, local, edge);
      const mine = local.replica.query({ type: ["trace.recorded", "channel.message", "work.claimed", "approval.requested"], limit: 1000 }).envelopes
        // Tool-written envelopes name the agent as `actor`; traces as `data.agent` (the verified caller).
        .filter((e) => { const b = e.envelope.body as { actor?: string; data?: { agent?: string } }; return b.actor === remote.did || b.data?.agent === remote.did; });
      if (input.json) return io.out(JSON.stringify({ did: remote.did, acted: shown.acted, envelopes: mine.map((e) => ({ id: e.id, type: e.envelope.type, body: e.envelope.body, status: e.status })) })), 0;
      for (const a of shown.acted as Array<{ envelope: string; decision: { action: string; trigger?: string; reason?: string } }>) {
        io.out(`decided  ${shortId(a.envelope)}  ${a.decision.action.padEnd(8)} ${a.decision.trigger ?? ""}${a.decision.reason ? `: ${a.decision.reason}` : ""}`);
      }
      for (const e of mine) {
        const body = e.envelope.body as { kind?: string; summary?: string; content?: string; item?: string };
        const what = e.envelope.type === "trace.recorded" ? `${body.kind}: ${body.summary}` : e.envelope.type === "channel.message" ? JSON.stringify(body.content) : shortId(String(body.item ?? e.id));
        io.out(`${e.envelope.type.padEnd(18)} ${shortId(e.id)}  ${what}  [${e.status.state === "committed" ? `#${e.status.index} ${e.status.verdict}` : e.status.state}]`);
      }
      if (shown.acted.length === 0 && mine.length === 0) io.out(`agent ${input.name} has decided nothing in ${input.space} yet`);
      return 0;
    });
  })();
}

async function add(io: Io, local: LocalSpace, signer: Ed25519Signer, edge: string, remote: Awaited<ReturnType<typeof agentAt>>, input: Input): Promise<number> {
  requireOwner(local, signer.did, "add agents");
  if (committedOf(local).members.has(remote.did)) {
    throw new CommonsError("already-a-member", `agent ${input.name} (${shortDid(remote.did)}) is already a member of ${input.space}: \`commons agent show ${input.space} ${input.name}\``);
  }
  // The invite machinery of `commons invite`: a key for this invite alone, its seed only in the URL.
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await Ed25519Signer.fromSeed(seed);
  const body = { key: key.did, role: "agent" as const, domains: input.domains, expiresAt: new Date(Date.now() + 600_000).toISOString(), uses: 1, name: input.name! };
  const published = await publish(io, local, signer, [{ type: "invite.created", body }]);
  const status = published.statuses[0]!;
  if (published.offline !== null || status.state !== "committed" || status.verdict !== "accepted") {
    if (published.offline === null) io.err(`the invite for ${input.name} did not commit: ${status.state === "committed" ? status.reason : "the sequencer has not committed it"}`);
    return publishedCode(io, local, published) || 1;
  }
  io.err(`invite ${shortId(published.ids[0]!)} committed; handing it to agent ${input.name} (${shortDid(remote.did)}) …`);
  const invite = encodeInviteUrl({ edge, space: input.space, invite: published.ids[0]!, seed });
  const options = { brain: input.brain, ...input.options };
  const joined = await remote.call(signer, "JoinSpace", "spaces", { invite, keywords: input.keywords, handoffs: input.handoffs, options });
  await sync(io, local, edge);
  const member = committedOf(local).members.get(remote.did as Did);
  if (input.json) return io.out(JSON.stringify({ name: input.name, did: remote.did, member: member ?? null, joined })), 0;
  io.out(`added agent ${input.name} to ${input.space} as agent in ${(member?.domains ?? input.domains).join(",")}: ${remote.did}`);
  io.err(`its join is committed; it reads ${input.space} from commit 0 and self-selects work. Watch it: \`commons agent logs ${input.space} ${input.name}\``);
  return 0;
}

async function ls(input: Input, io: Io): Promise<number> {
  return open(io, input.space, { lock: false }, (local) => {
    const agents = [...committedOf(local).members.values()].filter((m) => m.role === "agent");
    if (input.json) return io.out(JSON.stringify(agents)), 0;
    for (const m of agents) io.out(`${(m.name ?? "-").padEnd(16)} ${m.did}  ${m.domains.join(",") || "-"}`);
    if (agents.length === 0) io.out(`no agents in ${input.space}: add one with \`commons agent add ${input.space} <name> --domains <a,b>\``);
    return 0;
  });
}
