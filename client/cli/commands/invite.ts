/**
 * `commons invite`: an owner hands out membership without being online when it is used.
 *
 * The node makes a fresh invite key, writes `invite.created {key, role, domains, name?,
 * expiresAt, uses}` signed by the owner, syncs it to the space's edge at once (a join is
 * let in only where the invite is held), and prints the invite URL (core/space/invite.ts),
 * whose fragment carries the invite key's seed. The seed is printed once and stored
 * nowhere: whoever holds the URL holds the invite. `ls` reads the committed invites;
 * `revoke` ends one.
 */
import { CommonsError } from "../../../core/errors.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { SpaceId } from "../../../core/ids.js";
import { INVITE_MAX_USES } from "../../../core/log/types/invite.js";
import { encodeInviteUrl } from "../../../core/space/invite.js";
import type { Invite } from "../../../core/views/state.js";
import { requireIdentity } from "../../node/identity.js";
import { open, resolveId, say, shortId, whoIn } from "../common.js";
import type { Io } from "../io.js";
import { committedOf, publish, publishedCode, requireOwner, verdictText } from "../publish.js";
import { arity, bool, positiveInt, space, str, unknownAction, usage, type CommandSpec, type Values } from "../spec.js";

type Role = Invite["role"];
const ROLES: readonly Role[] = ["human", "agent", "observer"];

/** Invites live from one minute to 90 days. */
const MIN_TTL_S = 60;
const MAX_TTL_S = 90 * 86_400;

/** `30m`, `24h`, `7d` (or `90s`) → seconds, within the invite's bounds. */
export function inviteDuration(command: string, text: string | undefined): number {
  if (text === undefined) return 24 * 3600;
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match) throw usage(command, `--expires takes a duration such as 30m, 24h or 7d (a number and s, m, h or d), not "${text}".`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as "s" | "m" | "h" | "d"];
  if (seconds < MIN_TTL_S || seconds > MAX_TTL_S) throw usage(command, `--expires ${text} is out of range: an invite lives from 1m to 90d.`);
  return seconds;
}

function inviteRole(command: string, text: string | undefined): Role {
  if (text === undefined) throw usage(command, "--role is required: human, agent or observer (what the newcomer becomes).");
  if (!(ROLES as string[]).includes(text)) {
    throw usage(command, `--role ${text}: an invite makes a human, agent or observer${text === "owner" ? " (owners are added by an owner: `commons members <space> add <did> --role owner`)" : ""}.`);
  }
  return text as Role;
}

function inviteDomains(command: string, values: Values): string[] {
  const list = (str(values, "domains") ?? "").split(",").map((d) => d.trim()).filter(Boolean);
  if (list.length > 32) throw usage(command, `--domains names ${list.length} domains; at most 32.`);
  const long = list.find((d) => d.length > 64);
  if (long !== undefined) throw usage(command, `--domains: "${long.slice(0, 70)}…" is longer than 64 characters.`);
  if (new Set(list).size !== list.length) throw usage(command, "--domains names a domain twice: give each once.");
  return list;
}

/** Where an invite stands, from the committed view at `now`. */
export function inviteState(invite: Invite, now: number): "revoked" | "expired" | "used up" | "open" {
  if (invite.revoked) return "revoked";
  if (now > Date.parse(invite.expiresAt)) return "expired";
  return invite.used >= invite.uses ? "used up" : "open";
}

type InviteInput =
  | { space: SpaceId; action: "create"; role: Role; domains: string[]; ttl: number; uses: number; name?: string; json: boolean }
  | { space: SpaceId; action: "ls"; json: boolean }
  | { space: SpaceId; action: "revoke"; invite: string; reason?: string; json: boolean };

const invite: CommandSpec<InviteInput> = {
  name: "invite",
  summary: "Invite someone into a space (owners): prints an invite URL; list or revoke invites",
  usage: [
    "invite <space> --role human|agent|observer [--domains a,b] [--expires 24h] [--uses 1] [--name <name>] [--json]",
    "invite <space> ls [--json]",
    "invite <space> revoke <invite-id> [--reason <text>]",
  ],
  details:
    "Writes invite.created (signed by you, an owner) and syncs it to the space's edge, then prints the URL: <edge>/s/<space>#invite=…. " +
    "The newcomer runs `commons join <url>`; the edge's sequencer commits the join while you are offline. The URL is a secret (its fragment " +
    "carries the invite key, never sent to a server) and is printed only now. --expires: 1m to 90d (default 24h); --uses: 1 to 1000 (default 1). " +
    "`ls` shows each committed invite: open (uses left), used up, expired or revoked.",
  examples: [
    "commons invite incident-42 --role human",
    "commons invite incident-42 --role agent --domains ops,infra --expires 7d --uses 3 --name ops-bot",
    "commons invite incident-42 ls",
    "commons invite incident-42 revoke 5dbb116a",
  ],
  options: {
    role: { type: "string" }, domains: { type: "string" }, expires: { type: "string" }, uses: { type: "string" }, name: { type: "string" },
    reason: { type: "string" }, json: { type: "boolean" },
  },
  actions: ["ls", "revoke"],
  parse(positionals, values) {
    const name = space("invite", positionals[0]);
    const action = positionals[1];
    if (action === "ls") return arity("invite", positionals, 2, 2), { space: name, action, json: bool(values, "json") };
    if (action === "revoke") {
      arity("invite", positionals, 3, 3);
      const reason = str(values, "reason");
      return { space: name, action, invite: positionals[2]!, json: bool(values, "json"), ...(reason === undefined ? {} : { reason }) };
    }
    if (action !== undefined) throw unknownAction("invite", action, ["ls", "revoke"], " (or give --role to create an invite)");
    const label = str(values, "name");
    if (label !== undefined && (label.length === 0 || label.length > 200)) throw usage("invite", "--name takes 1–200 characters.");
    return {
      space: name, action: "create", role: inviteRole("invite", str(values, "role")), domains: inviteDomains("invite", values),
      ttl: inviteDuration("invite", str(values, "expires")), uses: positiveInt("invite", "--uses", str(values, "uses"), INVITE_MAX_USES) ?? 1,
      json: bool(values, "json"), ...(label === undefined ? {} : { name: label }),
    };
  },
  run(input, io) {
    if (input.action === "ls") return list(input.space, input.json, io);
    if (input.action === "revoke") return revoke(input, io);
    return create(input, io);
  },
};

async function create(input: Extract<InviteInput, { action: "create" }>, io: Io): Promise<number> {
  const signer = await requireIdentity(io.home);
  return open(io, input.space, {}, async (local) => {
    requireOwner(local, signer.did, "invite");
    const edge = local.meta("edge");
    if (edge === undefined) throw new CommonsError("no-edge", `"${input.space}" has no edge to invite to: give one with \`commons sync ${input.space} --edge <space-url>\`.`);
    // A key for this invite alone; its seed leaves this process only inside the printed URL.
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const key = await Ed25519Signer.fromSeed(seed);
    const expiresAt = new Date(Date.now() + input.ttl * 1000).toISOString();
    const body = { key: key.did, role: input.role, domains: input.domains, expiresAt, uses: input.uses, ...(input.name === undefined ? {} : { name: input.name }) };
    const published = await publish(io, local, signer, [{ type: "invite.created", body }]);
    const id = published.ids[0]!;
    const status = published.statuses[0]!;
    if (status.state === "committed" && status.verdict === "rejected") {
      throw new CommonsError("invite-rejected", `The sequencer rejected the invite: ${status.reason ?? "no reason given"}. Nothing can join with it.`);
    }
    const url = encodeInviteUrl({ edge, space: input.space, invite: id, seed });
    if (input.json) io.out(JSON.stringify({ url, invite: id, ...body, status }));
    else io.out(url);
    io.err(`invite ${shortId(id)} [${verdictText(status)}]: joins as ${input.role}${input.domains.length ? ` in ${input.domains.join(",")}` : ""}, ` +
      `${input.uses} use${input.uses === 1 ? "" : "s"}, until ${expiresAt}.\n` +
      `Send the URL privately: whoever holds it can join (\`commons join '<url>'\`). It is not shown again. Revoke: \`commons invite ${input.space} revoke ${shortId(id)}\`.`);
    return publishedCode(io, local, published);
  });
}

function list(name: SpaceId, json: boolean, io: Io): Promise<number> {
  return open(io, name, { lock: false }, (local) => {
    const now = Date.now();
    const rows = [...committedOf(local).invites.values()].map((i) => ({ ...i, state: inviteState(i, now), left: Math.max(0, i.uses - i.used) }));
    const pending = local.replica.query({ type: ["invite.created"], limit: 1000 }).envelopes.filter((e) => e.status.state === "tentative").length;
    if (json) io.out(JSON.stringify(rows));
    const who = whoIn(local);
    for (const r of json ? [] : rows) {
      const what = r.state === "open" ? `open, ${r.left} of ${r.uses} left` : r.state;
      io.out(`${shortId(r.id)}  ${r.role.padEnd(8)} ${(r.domains.join(",") || "-").padEnd(16)} ${(r.name ?? "").padEnd(12)} until ${r.expiresAt}  by ${who(r.createdBy)}  ${what}`);
    }
    if (!json && rows.length === 0) io.out(`no committed invites in ${name}: make one with \`commons invite ${name} --role human\``);
    if (pending > 0) io.err(`${pending} invite(s) not committed yet: \`commons sync ${name}\` sends them to the sequencer.`);
    return 0;
  });
}

async function revoke(input: Extract<InviteInput, { action: "revoke" }>, io: Io): Promise<number> {
  const signer = await requireIdentity(io.home);
  return open(io, input.space, {}, async (local) => {
    requireOwner(local, signer.did, "revoke invites");
    const id = resolveId(`commons invite ${input.space} ls`, input.invite, committedOf(local).invites.keys(), "invite");
    const published = await publish(io, local, signer, [{ type: "invite.revoked", body: { invite: id, ...(input.reason === undefined ? {} : { reason: input.reason }) } }]);
    const status = published.statuses[0]!;
    say(io, input.json, `revoked invite ${shortId(id)} [${verdictText(status)}]`, { revoked: id, id: published.ids[0], status });
    return publishedCode(io, local, published);
  });
}

export const inviteCommands = [invite] as CommandSpec[];
