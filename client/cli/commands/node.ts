/**
 * The node and its copies: `id`, `join`, `create`, `spaces`, `sync`, `state`, `verify`.
 */
import { CommonsError } from "../../../core/errors.js";
import type { SpaceId } from "../../../core/ids.js";
import { hasSpace, listSpaces } from "../../node/home.js";
import { loadOrCreateIdentity, requireIdentity } from "../../node/identity.js";
import { LocalSpace } from "../../node/local-space.js";
import { pushOverHttp } from "../../node/push.js";
import { fetchState, parseSpaceUrl } from "../../node/remote.js";
import { syncOnce, type SyncReport } from "../../node/sync.js";
import { open, spaceState } from "../common.js";
import { progressBar, type Io } from "../io.js";
import { decodeInviteUrl } from "../../../core/space/invite.js";
import { joinByInvite, removeCopy, spaceExists, type InviteJoin } from "./join.js";
import { arity, bool, space, str, usage, type CommandSpec } from "../spec.js";

const url = (command: string, text: string | undefined) => {
  if (text === undefined) throw usage(command, "Missing the space URL, e.g. http://127.0.0.1:8787/s/incident-42.");
  try {
    return parseSpaceUrl(text);
  } catch (error) {
    throw usage(command, (error as Error).message);
  }
};

/** Syncs, then once more if we pushed: the edge commits on receipt, and the second pass brings its receipts back. */
export async function syncWithReceipts(io: Io, local: LocalSpace, wsUrl: string): Promise<SyncReport> {
  const bar = progressBar(io, `sync ${local.space}`);
  try {
    const first = await syncOnce(local, wsUrl, { progress: (done, total) => bar.update(done, total) });
    if (first.pushed === 0) return first;
    const second = await syncOnce(local, wsUrl);
    return { ...first, received: first.received + second.received, rejected: [...first.rejected, ...second.rejected] };
  } finally {
    bar.end();
  }
}

/** What a sync did, as `sync --json` prints it (and `create`/`join --json` carry it). */
function synced(local: LocalSpace, result: SyncReport) {
  return {
    space: local.space, received: result.received, pushed: result.pushed, tentative: local.tentative(), frontier: local.replica.commits.frontier,
    rejected: result.rejected.map((r) => ({ id: r.id ?? null, code: r.code, message: r.message ?? null })),
  };
}

function report(io: Io, local: LocalSpace, result: SyncReport, json = false, extra: object | null = null): void {
  const s = synced(local, result);
  if (json) io.out(JSON.stringify(extra === null ? s : { ...extra, sync: s }));
  else io.out(`synced ${local.space}: received ${s.received}, pushed ${s.pushed}; ${s.tentative} tentative; committed up to #${s.frontier}`);
  for (const r of result.rejected) io.err(`  the remote refused ${r.id ?? "an envelope"}: ${r.code} ${r.message ?? ""}`);
}

const id: CommandSpec<{ json: boolean }> = {
  name: "id",
  summary: "Show this node's identity (a did:key), creating it on first use",
  usage: ["id [--json]"],
  details: "The key is stored in $COMMONS_HOME/identity.json (default ~/.commons), readable by you only (0600).",
  examples: ["commons id"],
  options: { json: { type: "boolean" } },
  parse: (positionals, values) => (arity("id", positionals, 0, 0), { json: bool(values, "json") }),
  async run({ json }, io) {
    const { signer, created } = await loadOrCreateIdentity(io.home);
    if (json) io.out(JSON.stringify({ did: signer.did, home: io.home.root, created }));
    else io.out(created ? `${signer.did}\n(new identity, stored in ${io.home.identityFile})` : signer.did);
    return 0;
  },
};

type JoinInput = (({ by: "url" } & ReturnType<typeof parseSpaceUrl>) | ({ by: "invite" } & InviteJoin)) & { json: boolean };

const join: CommandSpec<JoinInput> = {
  name: "join",
  summary: "Join a space with an invite URL, or copy a space you can read (its signed log and Yjs document)",
  usage: ["join <invite-url> [--name <name>] [--json]", "join <space-url> [--json]"],
  details:
    "With an invite URL (<edge>/s/<space>#invite=…, from `commons invite`): signs member.joined with the invite's key as proof, posts it to the edge, " +
    "whose sequencer makes you a member (no owner needs to be online), then makes the local copy. Quote the URL in the shell. --name: the name you are shown by (default: the invite's). " +
    "With a space URL: downloads every envelope (verified) and the document into $COMMONS_HOME/spaces/<space>.db, for a space you can already read. " +
    "Afterwards the copy works offline; `commons sync` brings it up to date.",
  examples: ["commons join 'http://127.0.0.1:8787/s/incident-42#invite=eyJpbnZpdGUiOi…'", "commons join http://127.0.0.1:8787/s/incident-42"],
  options: { name: { type: "string" }, json: { type: "boolean" } },
  parse: (positionals, values) => {
    arity("join", positionals, 1, 1);
    const name = str(values, "name");
    const json = bool(values, "json");
    if (!positionals[0]!.includes("#")) {
      if (name !== undefined) throw usage("join", "--name goes with an invite URL: your name comes from the invite or from an owner otherwise.");
      return { by: "url", json, ...url("join", positionals[0]) };
    }
    if (name !== undefined && (name.length === 0 || name.length > 200)) throw usage("join", "--name takes 1–200 characters.");
    try {
      return { by: "invite", json, invite: decodeInviteUrl(positionals[0]!), ...(name === undefined ? {} : { name }) };
    } catch (error) {
      throw usage("join", (error as Error).message);
    }
  },
  async run(input, io) {
    if (input.by === "invite") return joinByInvite(input, io);
    const target = input;
    if (hasSpace(io.home, target.space)) throw new CommonsError("already-joined", `"${target.space}" is already here: run \`commons sync ${target.space}\` to update it.`);
    const remote = await fetchState(target.http, target.space);
    if (!spaceExists(remote)) throw new CommonsError("space-not-found", `${target.http}/s/${target.space} holds no such space yet: create it with \`commons create ${target.http}/s/${target.space}\`.`);
    const signer = await requireIdentity(io.home);
    try {
      return await open(io, target.space, { create: true }, async (local) => {
        local.setMeta("edge", target.http);
        local.setMeta("created_at", new Date().toISOString());
        report(io, local, await syncWithReceipts(io, local, target.ws), input.json, input.json ? { joined: target.space, did: signer.did, member: isMember(local, signer.did) } : null);
        if (!isMember(local, signer.did)) io.err(`note: you (${signer.did}) are not a member yet: ask an owner for an invite (\`commons invite ${target.space} --role human\`), then \`commons join <invite-url>\`.`);
        return 0;
      });
    } catch (error) {
      // A copy that never synced holds nothing: leave no file that would block the next join.
      removeCopy(io, target.space);
      throw error;
    }
  },
};

function isMember(local: LocalSpace, did: string): boolean {
  return local.replica.query({ type: ["space.created", "member.added"], limit: 1000 }).envelopes.some(({ envelope }) =>
    envelope.type === "space.created" ? envelope.body.owners.includes(did as never) : envelope.type === "member.added" && envelope.body.member === did);
}

const create: CommandSpec<ReturnType<typeof parseSpaceUrl> & { title?: string; json: boolean }> = {
  name: "create",
  summary: "Create a new space at an edge, with you as its owner and the edge as its sequencer",
  usage: ["create <space-url> [--title <title>] [--json]"],
  details: "Writes the genesis envelope (space.created {owners: [you], sequencer: the edge's key from /s/<space>/log/state}) and pushes it with POST /s/<space>/log (the space is private, and you are its member only once the genesis commits), then syncs with a token for your key. Refused if the space already exists there: join it instead.",
  examples: ["commons create http://127.0.0.1:8787/s/incident-42 --title \"Checkout outage\""],
  options: { title: { type: "string" }, json: { type: "boolean" } },
  parse: (positionals, values) => {
    arity("create", positionals, 1, 1);
    const title = str(values, "title");
    if (title !== undefined && (title.length === 0 || title.length > 200)) throw usage("create", "--title takes 1–200 characters.");
    return { ...url("create", positionals[0]), json: bool(values, "json"), ...(title === undefined ? {} : { title }) };
  },
  async run(target, io) {
    if (hasSpace(io.home, target.space)) throw new CommonsError("already-joined", `"${target.space}" is already here: run \`commons sync ${target.space}\`.`);
    const remote = await fetchState(target.http, target.space);
    if (remote.exists) throw new CommonsError("space-exists", `${target.space} already exists at ${target.http}: join it with \`commons join ${target.http}/s/${target.space}\`.`);
    if (remote.sequencer === null) throw new CommonsError("remote-error", `${target.http} named no sequencer key for ${target.space}: is it a Commons edge?`);
    const signer = await requireIdentity(io.home);
    return open(io, target.space, { create: true }, async (local) => {
      local.setMeta("edge", target.http);
      local.setMeta("created_at", new Date().toISOString());
      const genesis = await local.replica.append(signer, "space.created", { owners: [signer.did], sequencer: remote.sequencer!, ...(target.title ? { title: target.title } : {}) });
      const [refused] = (await pushOverHttp(local.replica, target.http)).refused;
      if (refused !== undefined) throw new CommonsError("create-refused", `${target.http} refused the genesis: ${refused.code} ${refused.message ?? ""}`);
      const made = { created: target.space, genesis: genesis.id, owner: signer.did, sequencer: remote.sequencer };
      if (!target.json) io.out(`created ${target.space} (${genesis.id}); owner ${signer.did}; sequencer ${remote.sequencer}`);
      report(io, local, await syncWithReceipts(io, local, target.ws), target.json, made);
      return 0;
    });
  },
};

const spaces: CommandSpec<{ json: boolean; offline: boolean }> = {
  name: "spaces",
  summary: "List the local copies with their sync status (last sync, tentative count, edge reachable)",
  usage: ["spaces [--offline] [--json]"],
  details: "Probes each space's edge (1.5 s timeout) unless --offline.",
  examples: ["commons spaces", "commons spaces --offline --json"],
  options: { json: { type: "boolean" }, offline: { type: "boolean" } },
  parse: (positionals, values) => (arity("spaces", positionals, 0, 0), { json: bool(values, "json"), offline: bool(values, "offline") }),
  async run({ json, offline }, io) {
    const rows = await Promise.all(listSpaces(io.home).map(async (name) => {
      try {
        const info = await open(io, name, { lock: false }, (local) => ({
          space: name, edge: local.meta("edge") ?? null, lastSync: local.meta("last_sync") ?? null,
          envelopes: local.replica.count(), tentative: local.tentative(), ok: true,
        }));
        const reachable = offline || info.edge === null ? null : await fetchState(info.edge, name, 1_500).then(() => true, () => false);
        return { ...info, reachable };
      } catch (error) {
        return { space: name, ok: false, error: (error as Error).message.split("\n")[0] };
      }
    }));
    if (json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out("no local copies yet: join one with `commons join <space-url>`");
    for (const row of json ? [] : rows) {
      if (!("envelopes" in row)) io.out(`${row.space}  CORRUPT: ${row.error}`);
      else io.out(`${row.space}  ${row.envelopes} envelopes, ${row.tentative} tentative  last sync ${row.lastSync ?? "never"}  edge ${row.edge ?? "none"} ${row.reachable === null ? "" : row.reachable ? "(online)" : "(offline)"}`);
    }
    return 0;
  },
};

const sync: CommandSpec<{ space?: SpaceId; edge?: ReturnType<typeof parseSpaceUrl>; json: boolean }> = {
  name: "sync",
  summary: "Sync local copies with their edge once: pull what is new, push what you wrote offline",
  usage: ["sync [<space>] [--edge <space-url>] [--json]"],
  details: "Without a space, syncs every local copy. --edge points the copy at another URL (the edge moved) and remembers it. Shows a progress bar on a terminal. Exit code 3 when an edge cannot be reached (local work is kept). --json: one {space, received, pushed, tentative, frontier, rejected} object per space ({space, offline} for one that could not be reached).",
  examples: ["commons sync incident-42", "commons sync", "commons sync incident-42 --edge http://127.0.0.1:8788/s/incident-42"],
  options: { edge: { type: "string" }, json: { type: "boolean" } },
  parse: (positionals, values) => {
    arity("sync", positionals, 0, 1);
    const name = positionals[0] === undefined ? undefined : space("sync", positionals[0]);
    const edgeText = str(values, "edge");
    const edge = edgeText === undefined ? undefined : url("sync", edgeText);
    if (edge && name && edge.space !== name) throw usage("sync", `--edge names space "${edge.space}", not "${name}".`);
    if (edge && !name) throw usage("sync", "--edge needs the space too: commons sync <space> --edge <space-url>.");
    return { json: bool(values, "json"), ...(name ? { space: name } : {}), ...(edge ? { edge } : {}) };
  },
  async run(input, io) {
    const names = input.space ? [input.space] : listSpaces(io.home);
    if (names.length === 0) throw new CommonsError("unknown-space", "No local copies to sync: join one with `commons join <space-url>`.");
    let code = 0;
    for (const name of names) {
      try {
        await open(io, name, {}, async (local) => {
          if (input.edge) local.setMeta("edge", input.edge.http);
          const edge = local.meta("edge");
          if (edge === undefined) throw new CommonsError("no-edge", `"${name}" has no edge: give one with \`commons sync ${name} --edge <space-url>\`.`);
          report(io, local, await syncWithReceipts(io, local, parseSpaceUrl(`${edge}/s/${name}`).ws), input.json);
        });
      } catch (error) {
        if (!(error instanceof CommonsError) || (error.code !== "offline" && error.code !== "sync-closed")) throw error;
        io.err(`${name}: ${error.message}`);
        if (input.json) io.out(JSON.stringify({ space: name, offline: error.message }));
        code = 3;
      }
    }
    return code;
  },
};

const state: CommandSpec<{ space: SpaceId; json: boolean }> = {
  name: "state",
  summary: "Summarize a local copy: counts, version vector, heads, commit frontier, view and document digests",
  usage: ["state <space> [--json]"],
  details: "Two copies in step print the same vv, heads, ids, view and doc digests: what the tests compare.",
  examples: ["commons state incident-42 --json"],
  options: { json: { type: "boolean" } },
  parse: (positionals, values) => (arity("state", positionals, 1, 1), { space: space("state", positionals[0]), json: bool(values, "json") }),
  async run({ space: name, json }, io) {
    const s = await open(io, name, { lock: false }, spaceState);
    if (json) io.out(JSON.stringify(s));
    else io.out(`${s.space}: ${s.count} envelopes (${s.tentative} tentative), committed up to #${s.frontier}, ${s.heads.length} head(s); doc notes ${s.doc.notesLength} chars; last sync ${s.lastSync ?? "never"} with ${s.edge ?? "no edge"}`);
    return 0;
  },
};

const verify: CommandSpec<{ space: SpaceId }> = {
  name: "verify",
  summary: "Re-verify a local copy: every id, signature and chain, the derived tables, the Yjs rows",
  usage: ["verify <space>"],
  details: "The same check runs every time a space is opened; a copy that fails it is never used. Exit code 1 on failure.",
  examples: ["commons verify incident-42"],
  options: {},
  parse: (positionals) => (arity("verify", positionals, 1, 1), { space: space("verify", positionals[0]) }),
  async run({ space: name }, io) {
    const report = await open(io, name, { lock: false }, (local) => local.audit());
    io.out(`ok: ${report.envelopes} envelopes verified (ids, signatures, chains, tips, heads); Yjs rows decode`);
    return 0;
  },
};

export const nodeCommands = [id, join, create, spaces, sync, state, verify] as CommandSpec[];
