/**
 * Being online: `serve` and `peer` (node to node, no edge), `daemon` (stay connected to
 * the edges), `host` (rebuild an edge replica from this node's copy).
 */
import { CommonsError } from "../../../core/errors.js";
import type { SpaceId } from "../../../core/ids.js";
import { connectSpace, type DaemonLink } from "../../node/daemon.js";
import { hasSpace, listSpaces } from "../../node/home.js";
import { hostSpace } from "../../node/host.js";
import { requireIdentity } from "../../node/identity.js";
import { parseRemote, parseSpaceUrl, type SpaceUrl } from "../../node/remote.js";
import { serveSpaces } from "../../node/serve.js";
import { syncOnce } from "../../node/sync.js";
import { open } from "../common.js";
import { progressBar } from "../io.js";
import { arity, port, str, usage, type CommandSpec } from "../spec.js";

const serve: CommandSpec<{ port: number; host: string }> = {
  name: "serve",
  summary: "Host this node's spaces for other nodes at ws://host:port/s/<space> (no edge needed)",
  usage: ["serve [--port <n>] [--host <address>]"],
  details: "Runs the same space rooms as the edge (Yjs + signed log), so `commons peer` and stock Yjs clients sync with it. Listens on 127.0.0.1 unless --host (e.g. --host 0.0.0.0 for a LAN). Peers authenticate as at the edge (a capability token; `commons peer` sends its own): this node's committed membership decides who reads and writes, and a private space refuses everyone else. --port 0 picks a free port. Holds the spaces it serves until stopped (Ctrl-C).",
  examples: ["commons serve --port 7878", "commons serve --host 0.0.0.0 --port 7878"],
  options: { port: { type: "string" }, host: { type: "string" } },
  parse: (positionals, values) => (arity("serve", positionals, 0, 0), { port: port("serve", str(values, "port")) ?? 7878, host: str(values, "host") ?? "127.0.0.1" }),
  async run(input, io) {
    const signer = await requireIdentity(io.home);
    const served = await serveSpaces(io.home, signer, input);
    io.out(`serving ${listSpaces(io.home).length} space(s) on ws://${input.host}:${served.port}/s/<space> as ${signer.did}`);
    await io.stopped;
    await served.close();
    io.out("stopped");
    return 0;
  },
};

const peer: CommandSpec<{ url: string; space: SpaceId | null; wsBase: string }> = {
  name: "peer",
  summary: "Sync with another node's `commons serve` directly (log + document), e.g. two laptops with no edge",
  usage: ["peer <ws-url>"],
  details: "With a space in the URL (ws://host:port/s/<space>) syncs that space, making a local copy if there is none; with a bare URL (ws://host:port) syncs every local copy the other node also has.",
  examples: ["commons peer ws://192.168.1.20:7878/s/incident-42", "commons peer ws://192.168.1.20:7878"],
  options: {},
  parse(positionals) {
    arity("peer", positionals, 1, 1);
    try {
      const remote = parseRemote(positionals[0]!);
      return { url: positionals[0]!, space: remote.space, wsBase: remote.wsBase };
    } catch (error) {
      throw usage("peer", (error as Error).message);
    }
  },
  async run(input, io) {
    const names = input.space ? [input.space] : listSpaces(io.home);
    if (names.length === 0) throw new CommonsError("unknown-space", "No local copies to sync: give a space, e.g. commons peer ws://host:7878/s/incident-42.");
    for (const name of names) {
      await open(io, name, { create: input.space !== null && !hasSpace(io.home, name) }, async (local) => {
        const bar = progressBar(io, `peer ${name}`);
        try {
          const result = await syncOnce(local, `${input.wsBase}/s/${name}`, { progress: (d, t) => bar.update(d, t) });
          bar.end();
          io.out(`synced ${name} with ${input.wsBase}: received ${result.received}, pushed ${result.pushed}; ${local.tentative()} tentative`);
        } finally {
          bar.end();
        }
      });
    }
    return 0;
  },
};

const daemon: CommandSpec<Record<string, never>> = {
  name: "daemon",
  summary: "Stay connected to every joined space's edge: sync log and document live, reconnect with backoff",
  usage: ["daemon"],
  details: "Prints one line per change of state (online/offline). Other commands keep working meanwhile; what they write is pushed within a moment. Stop with Ctrl-C.",
  examples: ["commons daemon"],
  options: {},
  parse: (positionals) => (arity("daemon", positionals, 0, 0), {}),
  async run(_input, io) {
    const links: DaemonLink[] = [];
    for (const name of listSpaces(io.home)) {
      const link = await connectSpace(io.home, name, (line) => io.out(line));
      if (link) links.push(link);
    }
    io.out(`daemon: watching ${links.length} space(s); Ctrl-C stops`);
    await io.stopped;
    for (const link of links) link.close();
    io.out("daemon: stopped");
    return 0;
  },
};

const host: CommandSpec<SpaceUrl> = {
  name: "host",
  summary: "Rebuild an edge replica from this node's full copy (after a wipe, or onto a new deployment)",
  usage: ["host <space-url>"],
  details: "Pushes every envelope and the document, then (as an owner) appoints the edge's new key as sequencer from the next commit index; old commit indexes are kept. Also points this copy at that edge.",
  examples: ["commons host http://127.0.0.1:8787/s/incident-42"],
  options: {},
  parse(positionals) {
    arity("host", positionals, 1, 1);
    try {
      return parseSpaceUrl(positionals[0]!);
    } catch (error) {
      throw usage("host", (error as Error).message);
    }
  },
  async run(target, io) {
    const signer = await requireIdentity(io.home);
    return open(io, target.space, {}, async (local) => {
      const bar = progressBar(io, `host ${target.space}`);
      const result = await hostSpace(local, signer, target, { progress: (d, t) => bar.update(d, t) }).finally(() => bar.end());
      io.out(`hosted ${target.space} at ${target.http}: pushed ${result.pushed} envelopes${result.appointed ? `; appointed ${result.appointed.sequencer} sequencer from #${result.appointed.fromIndex}` : ""}; committed up to #${result.frontier}; ${local.tentative()} tentative`);
      return 0;
    });
  },
};

export const netCommands = [serve, peer, daemon, host] as CommandSpec[];
