/**
 * Authority from the command line: `token` (a capability token for this node's own
 * identity, for its own MCP client), `grant` (delegate part of your authority to another
 * member, recorded in the log), and `mcp` (the space's MCP tools over stdio on the local
 * copy, so a local agent harness works offline).
 */
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { issueCapability, randomJti } from "../../../core/auth/capability.js";
import type { Did } from "../../../core/identity/did.js";
import type { SpaceId } from "../../../core/ids.js";
import type { Tier } from "../../../core/log/types/index.js";
import { buildSpaceMcpServer } from "../../../core/mcp/server.js";
import { committedState } from "../../node/local-view.js";
import { requireIdentity } from "../../node/identity.js";
import { localToolHost } from "../../node/local-tool-host.js";
import { open, say } from "../common.js";
import { arity, bool, did, space, str, usage, type CommandSpec, type Values } from "../spec.js";

const tools = (values: Values) => (str(values, "tools") ?? "*").split(",").map((t) => t.trim()).filter(Boolean);

function tier(command: string, values: Values): Tier {
  const text = str(values, "tier") ?? "4";
  if (!/^[1-4]$/.test(text)) throw usage(command, "--tier is the highest tier the token may trigger: 1, 2, 3 or 4.");
  return Number(text) as Tier;
}

/** `90s`, `30m`, `12h`, `7d`, or plain seconds → seconds. */
function duration(command: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const match = /^(\d+)([smhd]?)$/.exec(text);
  if (!match) throw usage(command, `"${text}" is not a duration: use e.g. 3600, 90m, 12h or 7d.`);
  const seconds = Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "" | "s" | "m" | "h" | "d"];
  if (seconds < 60 || seconds > 90 * 86400) throw usage(command, "A token lives between 60 seconds and 90 days.");
  return seconds;
}

/** `10` (calls) or `10:500` (calls:units). */
function budget(command: string, text: string | undefined): { calls?: number; units?: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!match) throw usage(command, `--budget is CALLS or CALLS:UNITS, e.g. 10 or 10:500; got "${text}".`);
  return { calls: Number(match[1]), ...(match[2] ? { units: Number(match[2]) } : {}) };
}

const epochOf = (io: Parameters<CommandSpec["run"]>[1], name: SpaceId) =>
  open(io, name, { lock: false }, (local) => committedState(local).epoch);

const token: CommandSpec<{ space: SpaceId; tools: string[]; tier: Tier; ttl: number; json: boolean }> = {
  name: "token",
  summary: "Print a capability token for this node's own identity (for its own MCP client)",
  usage: ["token <space> [--tools a,b|*] [--tier 1-4] [--ttl 1h] [--json]"],
  details: "The token is self-issued (issuer = subject = this node) against the space's committed membership epoch: a membership change means minting a new one. Use it as `Authorization: Bearer <token>` on http://<edge>/s/<space>/mcp.",
  examples: ["commons token incident-42", "commons token incident-42 --tools post_message,query_channel --tier 1 --ttl 30m"],
  options: { tools: { type: "string" }, tier: { type: "string" }, ttl: { type: "string" }, json: { type: "boolean" } },
  parse: (positionals, values) => (
    arity("token", positionals, 1, 1),
    { space: space("token", positionals[0]), tools: tools(values), tier: tier("token", values), ttl: duration("token", str(values, "ttl"), 3600), json: bool(values, "json") }
  ),
  async run(input, io) {
    const signer = await requireIdentity(io.home);
    const epoch = await epochOf(io, input.space);
    const issued = await issueCapability(signer, { sub: signer.did as Did, space: input.space, tools: input.tools, tier: input.tier, epoch, ttlSeconds: input.ttl });
    say(io, input.json, issued, { token: issued, space: input.space, subject: signer.did, tools: input.tools, tier: input.tier, epoch, ttlSeconds: input.ttl });
    return 0;
  },
};

type GrantInput = { space: SpaceId; to: Did; tools: string[]; tier: Tier; ttl: number; budget?: { calls?: number; units?: number }; json: boolean };

const grant: CommandSpec<GrantInput> = {
  name: "grant",
  summary: "Delegate part of your authority to a member: records the grant, prints their token",
  usage: ["grant <space> --to <did> [--tools a,b|*] [--tier 1-4] [--budget calls[:units]] [--expires 24h] [--json]"],
  details: "Writes an authority.granted envelope (tentative until committed: `commons sync`) and prints a token signed by your key for the grantee. Only owners and humans grant from their own authority. Spends against the budget are judged by the sequencer in commit order.",
  examples: ["commons grant incident-42 --to did:key:z6Mk… --tools post_message --tier 1 --budget 10 --expires 2h"],
  options: { to: { type: "string" }, tools: { type: "string" }, tier: { type: "string" }, budget: { type: "string" }, expires: { type: "string" }, json: { type: "boolean" } },
  parse(positionals, values) {
    arity("grant", positionals, 1, 1);
    const to = str(values, "to");
    if (to === undefined) throw usage("grant", "--to <did> is required: the member who receives the grant.");
    const limit = budget("grant", str(values, "budget"));
    return {
      space: space("grant", positionals[0]), to: did("grant", to, "grantee"), tools: tools(values), tier: tier("grant", values),
      ttl: duration("grant", str(values, "expires"), 24 * 3600), json: bool(values, "json"), ...(limit ? { budget: limit } : {}),
    };
  },
  async run(input, io) {
    const signer = await requireIdentity(io.home);
    const epoch = await epochOf(io, input.space);
    const jti = randomJti();
    const now = Date.now();
    const issued = await issueCapability(signer, {
      sub: input.to, space: input.space, tools: input.tools, tier: input.tier, epoch, jti, ttlSeconds: input.ttl, now,
      ...(input.budget ? { budget: input.budget } : {}),
    });
    const recorded = await open(io, input.space, {}, (local) =>
      local.replica.append(signer, "authority.granted", {
        jti, subject: input.to, tools: input.tools, tier: input.tier, expiresAt: new Date((Math.floor(now / 1000) + input.ttl) * 1000).toISOString(),
        ...(input.budget ? { budget: input.budget } : {}),
      }),
    );
    io.err(`granted ${jti} to ${input.to} (tentative: \`commons sync ${input.space}\` records it at the sequencer)`);
    say(io, input.json, issued, { token: issued, jti, to: input.to, id: recorded.id, status: { state: "tentative" } });
    return 0;
  },
};

const mcp: CommandSpec<{ space: SpaceId }> = {
  name: "mcp",
  summary: "Serve the space's MCP tools over stdio on the local copy (works offline)",
  usage: ["mcp <space>"],
  details: "For a local agent harness: point its MCP client at `commons mcp <space>` as a stdio server. The caller is this node's identity; tools run under the space's policies as this node's committed copy knows them, and what they write is tentative until `commons sync` (or the daemon) reaches the sequencer. Approval requests queue in the approver's attention view.",
  examples: ["commons mcp incident-42", 'in a harness config: {"mcpServers":{"incident-42":{"command":"commons","args":["mcp","incident-42"]}}}'],
  options: {},
  parse: (positionals) => (arity("mcp", positionals, 1, 1), { space: space("mcp", positionals[0]) }),
  async run(input, io) {
    const signer = await requireIdentity(io.home);
    return open(io, input.space, { lock: false }, async (local) => {
      const host = localToolHost(local, signer);
      const caller = { did: signer.did as Did, grant: `self:${signer.did}`, tools: ["*"], tierCeiling: 4, budgeted: false };
      const handle = serveStdio(() => buildSpaceMcpServer(host, caller), { onerror: (error) => io.err(`mcp: ${error.message}`) });
      io.err(`commons mcp: serving ${input.space} over stdio as ${signer.did}`);
      await Promise.race([io.stopped, new Promise<void>((resolve) => process.stdin.once("end", () => resolve()))]);
      await handle.close();
      return 0;
    });
  },
};

export const authorityCommands = [token, grant, mcp] as CommandSpec[];
