/**
 * `commons agent add|ls|show|logs|remove` as real processes against a real `wrangler dev`
 * (issue 12 item 2), and two agents racing for one item (item 3): exactly one claim commits,
 * the same on three replicas — the edge and two `commons` nodes, each synced and folding its
 * own copy — and each shows the loser's stand-down; the loser does nothing else for that item.
 *
 * Waiting is on the space: a live log socket in this process re-checks its condition after
 * every ingest from the edge. No timers.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NodeSql } from "../../client/node/sqlite.js";
import { openLogSocket, type LogSocket } from "../../client/sdk/log-socket.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, useEdge } from "../support/edge.js";

const edgeOf = useEdge();
const nodes: CliNode[] = [];
const sockets: LogSocket[] = [];
afterAll(() => {
  sockets.forEach((s) => s.close());
  for (const n of nodes) removeDir(n.home);
});
const node = (label: string) => (nodes.push(cliNode(label)), nodes.at(-1)!);
const unique = (label: string) => `${label}-${Date.now().toString(36)}`;

type Body = Record<string, any>;

/**
 * The owner's space, its CLI node, and a second replica kept live over the socket (a synced
 * node), opened by `live()` once the membership is settled: the door holds a socket to the
 * membership epoch of its token, so one opened before an agent joined stops being fed.
 */
async function ownedSpace(label: string) {
  const owner = node(label);
  const space = unique(label);
  await owner.ok(["create", `${edgeOf().http}/s/${space}`]);
  const replica = LogReplica.open(new NodeSql(), parseSpaceId(space));
  let socket: LogSocket | undefined;
  const live = async () => {
    const token = (await owner.ok(["token", space, "--ttl", "1h"])).trim();
    socket = await openLogSocket(`${edgeOf().ws}/s/${space}`, replica, { token, live: true });
    sockets.push(socket);
    await socket.synced();
  };
  const until = (predicate: () => boolean) => socket!.until(predicate);
  const committed = (type: string) =>
    replica.query({ type, limit: 1000 }).envelopes.filter((e) => e.status.state === "committed" && e.status.verdict === "accepted").map((e) => ({ id: e.id, body: e.envelope.body as Body }));
  const all = (type: string) => replica.query({ type, limit: 1000 }).envelopes.map((e) => ({ id: e.id, body: e.envelope.body as Body, status: e.status }));
  return { owner, space, replica, live, until, committed, all };
}

const didOf = (out: string) => /(did:key:z6Mk\S+)/.exec(out)![1]!;

// Each test runs a dozen CLI processes against a shared, loaded machine: heavy work, explicit timeouts.
describe("commons agent", { timeout: 300_000 }, () => {
  it("add: invites the agent, hands it the invite, waits for its committed join; ls, show, logs, remove", async () => {
    const s = await ownedSpace("agent-cli");
    const name = unique("ops-bot");
    const added = await s.owner.run(["agent", "add", s.space, name, "--domains", "ops,infra", "--keywords", "cert", "--near", "weur", "--unclaimed-after", "5m"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^added agent ${name} to ${s.space} as agent in ops,infra: did:key:z6Mk\\S+\\n$`));
    expect(added.stderr).toContain("its join is committed");
    const did = didOf(added.stdout);
    // The card names the same did, and the owner's copy already holds the committed member.
    expect(await s.owner.ok(["a2a", "card", `${edgeOf().http}/agents/${name}`])).toContain(did);
    const members = await s.owner.json<Array<{ did: string; role: string; domains: string[]; name?: string }>>(["agent", "ls", s.space]);
    expect(members).toEqual([expect.objectContaining({ did, role: "agent", domains: ["ops", "infra"], name })]);
    expect(await s.owner.ok(["agent", "ls", s.space])).toMatch(new RegExp(`^${name}\\s+${did}\\s+ops,infra$`, "m"));
    const shown = await s.owner.ok(["agent", "show", s.space, name]);
    expect(shown).toContain(`${name} in ${s.space}: ${did}`);
    expect(shown).toMatch(/domains\s+ops,infra\s+keywords cert/);
    expect(shown).toMatch(/brain\s+rules/);
    // What it has asked of the space (its join, subscription and first read): a count, shown.
    expect(shown).toMatch(/requests \d+$/m);
    expect((await s.owner.json<{ options: Body }>(["agent", "show", s.space, name])).options).toEqual({ brain: "rules", unclaimedAfterMs: 300_000 });

    // Adding it twice is refused with what to do instead.
    const twice = await s.owner.run(["agent", "add", s.space, name, "--domains", "ops"]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(`is already a member of ${s.space}: \`commons agent show ${s.space} ${name}\``);

    // It self-selects: an item in its domain is claimed, reported and traced.
    await s.live();
    await s.owner.ok(["work", s.space, "create", "Rotate the cert", "--domains", "ops"]);
    await s.owner.ok(["sync", s.space]);
    await s.until(() => s.committed("trace.recorded").some((t) => t.body.kind === "agent.claimed" && t.body.data?.agent === did));
    const logs = await s.owner.ok(["agent", "logs", s.space, name]);
    expect(logs).toMatch(/^decided  \w{12}  claim\s+domain: a work item in my domain ops$/m);
    expect(logs).toMatch(/^work\.claimed\s+\w{12}\s+\w{12}\s+\[#\d+ accepted\]$/m);
    expect(logs).toMatch(/^trace\.recorded\s+\w{12}\s+agent\.claimed: claimed "Rotate the cert"/m);
    expect(logs).toMatch(/^channel\.message\s+\w{12}\s+"Claimed \\"Rotate the cert\\"/m);

    // remove: it stops watching, then its membership ends (the publish waits for the commit).
    expect(await s.owner.ok(["agent", "remove", s.space, name])).toContain(`removed agent ${name}`);
    expect(await s.owner.json(["agent", "ls", s.space])).toEqual([]);
    expect(await s.owner.ok(["log", s.space, "--type", "member.removed"])).toMatch(/member\.removed\s+.*\[committed #\d+\]/);
    const gone = await s.owner.run(["agent", "show", s.space, name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`this agent is not in ${s.space}`);
  });

  it("two agents race for one item: one committed claim on every replica; the loser stands down and does nothing else", async () => {
    const s = await ownedSpace("agent-race");
    const [a, b] = [unique("race-a"), unique("race-b")];
    const dids = [didOf(await s.owner.ok(["agent", "add", s.space, a, "--domains", "ops"])), didOf(await s.owner.ok(["agent", "add", s.space, b, "--domains", "ops"]))];
    await s.live();
    await s.owner.ok(["work", s.space, "create", "Page the on-call", "--domains", "ops"]);
    await s.owner.ok(["sync", s.space]);
    const item = s.committed("work.created")[0]!.id;
    const decided = (did: string) => s.committed("trace.recorded").some((t) => t.body.data?.agent === did && t.body.ref === item);
    await s.until(() => dids.every(decided));

    const won = s.committed("work.claimed").filter((c) => c.body.item === item);
    expect(won).toHaveLength(1);
    const winner = won[0]!.body.actor as string;
    const loser = dids.find((d) => d !== winner)!;
    expect(dids).toContain(winner);
    // The loser's claim, if it made one, committed rejected: first by commit order wins.
    expect(s.all("work.claimed").filter((c) => c.body.item === item && c.body.actor === loser).every((c) => c.status.state === "committed" && c.status.verdict === "rejected")).toBe(true);
    const loserSaid = s.committed("channel.message").filter((m) => m.body.actor === loser);
    expect(loserSaid).toHaveLength(1);
    expect(loserSaid[0]!.body).toMatchObject({ threadRef: item, content: expect.stringMatching(/^Standing down on "Page the on-call": .*claimed it first/) });
    expect(s.committed("work.updated").filter((u) => u.body.actor === loser)).toEqual([]);
    const loserTrace = s.committed("trace.recorded").filter((t) => t.body.data?.agent === loser);
    expect(loserTrace.map((t) => t.body.kind)).toEqual(["agent.stood-down"]);

    // Three replicas agree: the edge, the owner's node and a second node with the owner's key,
    // each synced with `commons sync` and folding its own copy.
    const auth = { headers: { Authorization: `Bearer ${(await s.owner.ok(["token", s.space])).trim()}` } };
    const edgeView = await (await fetch(`${edgeOf().http}/s/${s.space}/view?sections=work`, auth)).json();
    const edgeSaid = (await (await fetch(`${edgeOf().http}/s/${s.space}/log?type=channel.message&limit=1000`, auth)).json()) as { envelopes: Array<{ envelope: { body: Body }; status: { state: string } }> };
    const second = node("agent-race-2");
    mkdirSync(second.home, { recursive: true });
    copyFileSync(join(s.owner.home, "identity.json"), join(second.home, "identity.json"));
    await second.ok(["join", `${edgeOf().http}/s/${s.space}`]);
    const replicas = [
      { name: "edge", claimant: edgeView.work.find((w: Body) => w.id === item)?.claimant, standDowns: edgeSaid.envelopes.filter((e) => e.status.state === "committed").map((e) => e.envelope.body) },
    ];
    for (const [name, n] of [["owner's node", s.owner], ["second node", second]] as const) {
      await n.ok(["sync", s.space]);
      const work = await n.json<Array<Body>>(["work", s.space, "ls"]);
      const said = (await n.ok(["log", s.space, "--type", "channel.message", "--json"])).trim().split("\n").map((l) => JSON.parse(l) as { envelope: { body: Body }; status: { state: string } });
      replicas.push({ name, claimant: work.find((w) => w.id === item)?.claimant, standDowns: said.filter((e) => e.status.state === "committed").map((e) => e.envelope.body) });
    }
    for (const r of replicas) {
      expect(r.claimant, r.name).toBe(winner);
      const loserSays = r.standDowns.filter((b) => b.actor === loser);
      expect(loserSays.map((b) => String(b.content).replace(/ \(.*$/, "")), r.name).toEqual([`Standing down on "Page the on-call": ${winner} claimed it first`]);
    }
  });

  it("refusals: bad usage exits 2; a bad region is refused at the edge too", async () => {
    const o = node("agent-usage");
    expect((await o.run(["agent"])).code).toBe(2);
    expect((await o.run(["agent", "add", "some-space", "bot"])).stderr).toContain("--domains is required");
    expect((await o.run(["agent", "add", "some-space", "bot", "--domains", "ops", "--near", "mars"])).stderr).toContain("--near takes one of wnam, enam");
    expect((await o.run(["agent", "add", "some-space", "Bad Name!", "--domains", "ops"])).code).toBe(2);
    expect((await o.run(["agent", "add", "some-space", "bot", "--domains", "ops", "--gap-after", "1ms"])).code).toBe(2);
    const refused = await fetch(`${edgeOf().http}/agents/near-test/.well-known/agent-card.json`, { headers: { "X-Commons-Near": "mars" } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Body).error.code).toBe("invalid-location-hint");
    // A named region is accepted (local workerd ignores where it puts the object).
    expect((await fetch(`${edgeOf().http}/agents/near-test/.well-known/agent-card.json?near=weur`)).status).toBe(200);
  });
});
