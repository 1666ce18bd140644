/**
 * 14. agents (issue 12): three measurements of agents as actors, on one edge (`wrangler dev`,
 * the committed code) in one run:
 *
 *   mention → claim   an owner's message mentioning one agent, from its POST over the owner's
 *                     log socket to the agent's claim committed and seen on that socket, with
 *                     the rules brain; 1 and 20 agents in the space (the other 19 are notified
 *                     of every commit too and decide not to act);
 *   A2A round trip    `SendMessage` (JSON-RPC over HTTP, a bearer token, the echo brain: a task
 *                     stored in the agent's SQLite) against a plain JSON-RPC echo through a
 *                     Worker and a Durable Object of the same runtime (bench/servers/agents-echo),
 *                     interleaved in blocks. Target: SendMessage p50 ≤ 2 × echo p50;
 *   100 subscribers   an owner's post → its commit seen on the socket, with 0 and then 100 agents
 *                     subscribed (each notified after every commit with a summary of it, which
 *                     its triggers filter before it reads anything): the socket's p50/p99
 *                     meanwhile, the runtime's CPU per commit (workerd's utime+stime) — the cost
 *                     of notifying them — and the requests the agents made to the space (each
 *                     agent's own count, `GET /agents/:name/spaces/:space`).
 */
import { build } from "esbuild";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { othersLoad } from "../lib/machine.mjs";
import { codeRoot, startEdge } from "../lib/servers.mjs";
import { round, summarize } from "../lib/stats.mjs";

export const name = "agents";
export const title = "Agents: mention → claim, A2A round trip vs a JSON-RPC echo, 100 subscribers";

let core;
async function loadAgentCore() {
  if (core) return core;
  const dir = mkdtempSync(join(tmpdir(), "commons-bench-agents-"));
  const entry = join(dir, "entry.ts");
  const from = (path) => JSON.stringify(join(codeRoot(), path));
  writeFileSync(entry, [
    `export { Ed25519Signer } from ${from("core/identity/signer.ts")};`,
    `export { issueCapability, issueAgentCapability } from ${from("core/auth/capability.ts")};`,
    `export { LogReplica } from ${from("core/log/replica.ts")};`,
    `export { encodeInviteUrl } from ${from("core/space/invite.ts")};`,
    `export { NodeSql } from ${from("client/node/sqlite.ts")};`,
    `export { pushOverHttp } from ${from("client/node/push.ts")};`,
    `export { openLogSocket } from ${from("client/sdk/log-socket.ts")};`,
  ].join("\n"));
  const outfile = join(dir, "agents-core.mjs");
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile, external: ["node:*"], logLevel: "silent" });
  core = await import(pathToFileURL(outfile).href);
  return core;
}

/** CPU seconds (user + system) the runtime's processes have used so far. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone: its time is lost with it (the runtime does not restart during a run).
    }
  }
  return ticks / 100;
}

/** A space owned by a fresh key, with the owner's replica live on its socket. */
async function openSpace(edge, space) {
  const c = await loadAgentCore();
  const owner = await c.Ed25519Signer.generate();
  const replica = c.LogReplica.open(new c.NodeSql(), space);
  const { sequencer } = await (await fetch(`${edge.http}/s/${space}/log/state`)).json();
  await replica.append(owner, "space.created", { owners: [owner.did], sequencer, title: space });
  await c.pushOverHttp(replica, edge.http);
  const token = await c.issueCapability(owner, { sub: owner.did, space, tools: ["*"], tier: 4, epoch: 1, ttlSeconds: 24 * 3600 });
  const socket = await c.openLogSocket(`${edge.ws}/s/${space}`, replica, { token });
  await socket.synced();
  /** Appends, pushes, and resolves when `done()` holds on what the edge sent back. */
  const write = async (type, body) => {
    const sent = await replica.append(owner, type, body);
    await socket.sync.push();
    return sent;
  };
  const committed = (id) => replica.status(id).state === "committed";
  return { space, owner, replica, socket, write, committed };
}

async function addAgent(edge, s, agentName, domains) {
  const c = await loadAgentCore();
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await c.Ed25519Signer.fromSeed(seed);
  const invite = await s.write("invite.created", { key: key.did, role: "agent", domains, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), uses: 1, name: agentName });
  await s.socket.until(() => s.committed(invite.id));
  const card = await (await fetch(`${edge.http}/agents/${agentName}/.well-known/agent-card.json`)).json();
  const did = card.capabilities?.extensions?.find((e) => typeof e.params?.did === "string")?.params.did ?? (await didOf(edge, s, agentName));
  const token = await c.issueAgentCapability(s.owner, { agent: did });
  const res = await fetch(`${edge.http}/agents/${agentName}/spaces`, {
    method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ invite: c.encodeInviteUrl({ edge: edge.http, space: s.space, invite: invite.id, seed }) }),
  });
  if (res.status !== 201) throw new Error(`${agentName} did not join: ${res.status} ${await res.text()}`);
  return { name: agentName, did, token };
}

/** The did the card's signature names (core/a2a/card.ts puts it in the card; read it from the JWS header as a fallback). */
async function didOf(edge, _s, agentName) {
  const card = await (await fetch(`${edge.http}/agents/${agentName}/.well-known/agent-card.json`)).json();
  const text = JSON.stringify(card);
  const did = /did:key:z[1-9A-HJ-NP-Za-km-z]+/.exec(text)?.[0];
  if (!did) throw new Error(`no did in ${agentName}'s card`);
  return did;
}

/** Owner's mention of `agent` about a fresh item → the agent's claim committed (ms). */
async function mentionToClaim(s, agent, i) {
  const item = await s.write("work.created", { title: `bench item ${i}` });
  await s.socket.until(() => s.committed(item.id));
  let scanned = s.replica.since(0).length;
  let claim;
  const t0 = performance.now();
  await s.write("channel.message", { content: `can you take this?`, mentions: [agent.did], threadRef: item.id });
  await s.socket.until(() => {
    if (claim === undefined) {
      const fresh = s.replica.since(scanned);
      scanned += fresh.length;
      claim = fresh.find((e) => e.envelope.type === "work.claimed" && e.envelope.body.item === item.id)?.id;
    }
    return claim !== undefined && s.committed(claim);
  });
  return performance.now() - t0;
}

/** Owner's post → its commit seen on the socket (ms). */
async function postToCommit(s, i) {
  const t0 = performance.now();
  const sent = await s.write("channel.message", { content: `status ${i}` });
  await s.socket.until(() => s.committed(sent.id));
  return performance.now() - t0;
}

async function rpc(url, headers, body) {
  const t0 = performance.now();
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok || text.includes('"error"')) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 300)}`);
  return ms;
}

export async function run({ quick, log }) {
  const load = othersLoad();
  const edge = await startEdge();
  edge.ws = edge.http.replace("http:", "ws:");
  const anchor = await startEdge({ config: join(codeRoot(), "bench/servers/agents-echo/wrangler.toml"), name: "agents-echo" });
  const tag = `${process.pid}`;
  const trials = quick ? 5 : 20;
  try {
    // 1. mention → committed claim, 1 and 20 agents.
    const claims = [];
    for (const n of [1, 20]) {
      const s = await openSpace(edge, `bench-agents-${n}-${tag}`);
      const agents = [];
      for (let i = 0; i < n; i++) agents.push(await addAgent(edge, s, `bench-${n}-${i}-${tag}`, ["ops"]));
      await mentionToClaim(s, agents[0], -1); // warm: the agent's object and its first run
      const ms = [];
      for (let i = 0; i < trials; i++) ms.push(await mentionToClaim(s, agents[i % n], i));
      claims.push({ agents: n, ...summarize(ms) });
      log(`agents: mention → claim with ${n} agent(s): p50 ${round(summarize(ms).p50)} ms, p99 ${round(summarize(ms).p99)} ms`);
      s.socket.close();
    }

    // 2. A2A SendMessage round trip vs a plain JSON-RPC echo, interleaved in blocks.
    const s2 = await openSpace(edge, `bench-agents-rpc-${tag}`);
    const echoAgent = await addAgent(edge, s2, `bench-rpc-${tag}`, ["ops"]);
    s2.socket.close();
    const a2aUrl = `${edge.http}/agents/${echoAgent.name}`;
    const a2aHeaders = { Authorization: `Bearer ${echoAgent.token}`, "A2A-Version": "1.0" };
    const echoUrl = `${anchor.http}/echo/bench-rpc-${tag}`;
    const body = (i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "SendMessage", params: { message: { messageId: `bench-${i}-${tag}`, role: "ROLE_USER", parts: [{ text: `ping ${i}` }] } } });
    for (let i = 0; i < 20; i++) {
      await rpc(a2aUrl, a2aHeaders, body(-1 - i));
      await rpc(echoUrl, {}, body(-1 - i));
    }
    const a2a = [];
    const echo = [];
    const blocks = quick ? 4 : 10;
    for (let b = 0; b < blocks; b++) {
      for (let i = 0; i < 20; i++) a2a.push(await rpc(a2aUrl, a2aHeaders, body(b * 100 + i)));
      for (let i = 0; i < 20; i++) echo.push(await rpc(echoUrl, {}, body(b * 100 + i)));
    }
    const roundTrip = { sendMessage: summarize(a2a), echo: summarize(echo) };
    roundTrip.ratioP50 = round(roundTrip.sendMessage.p50 / roundTrip.echo.p50);
    log(`agents: SendMessage p50 ${round(roundTrip.sendMessage.p50)} ms vs echo ${round(roundTrip.echo.p50)} ms (${roundTrip.ratioP50}×)`);

    // 3. 0 then 100 agents subscribed to one space: post → commit on the socket, runtime CPU per commit.
    const s3 = await openSpace(edge, `bench-agents-100-${tag}`);
    const posts = quick ? 20 : 60;
    const members = [];
    /** Requests the subscribed agents have made to the space so far (each agent counts its own). */
    const requestsMade = async () => {
      let sum = 0;
      for (const a of members) {
        const res = await fetch(`${edge.http}/agents/${a.name}/spaces/${s3.space}`, { headers: { Authorization: `Bearer ${a.token}` } });
        sum += (await res.json()).requests ?? 0;
      }
      return sum;
    };
    const phase = async (label) => {
      await postToCommit(s3, -1);
      const requests0 = await requestsMade();
      const cpu0 = cpuSeconds(edge.runtimePids());
      const ms = [];
      for (let i = 0; i < posts; i++) ms.push(await postToCommit(s3, i));
      const cpu = cpuSeconds(edge.runtimePids()) - cpu0;
      // Read after the CPU: the count's own requests are not the notifies' cost.
      const requests = (await requestsMade()) - requests0;
      log(`agents: ${label}: post → commit p50 ${round(summarize(ms).p50)} ms, p99 ${round(summarize(ms).p99)} ms, runtime CPU ${round((cpu / posts) * 1000)} ms per commit, ${requests} agent requests to the space`);
      return { ...summarize(ms), cpuMsPerCommit: round((cpu / posts) * 1000), agentRequestsPerCommit: round(requests / posts) };
    };
    const without = await phase("0 subscribers");
    const subscribers = quick ? 20 : 100;
    for (let i = 0; i < subscribers; i++) members.push(await addAgent(edge, s3, `bench-sub-${i}-${tag}`, [`d${i}`]));
    const withAgents = await phase(`${subscribers} subscribers`);
    s3.socket.close();
    return {
      machine: load.stop(),
      params: { trials, blocks, posts, subscribers, brain: "rules", transport: "the owner's log socket (post) and commit receipts on it" },
      results: {
        mentionToClaim: claims,
        roundTrip,
        subscribers: { count: subscribers, without, with: withAgents, notifyCpuMsPerCommit: round(withAgents.cpuMsPerCommit - without.cpuMsPerCommit), p99Ratio: round(withAgents.p99 / without.p99) },
      },
    };
  } finally {
    await edge.stop();
    await anchor.stop();
  }
}
