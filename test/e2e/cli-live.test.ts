/**
 * The CLI as a live tool, as processes against a real `wrangler dev`: `commons log
 * --follow` prints what exists (the newest --limit) and then each envelope as the edge
 * sends it, authors by member name and the actor a tool host wrote for, and with `--json`
 * one object per envelope and a `{id, status}` line when a tentative one commits; `commons
 * watch` prints one line per attention item and again when its state changes, an agent's
 * escalation among them (followed until someone holds the item). Both stop on SIGINT with
 * exit 0. Every wait reads the process's stdout until the line appears.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { useCliNodes, type LongRunning } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { seedSpace } from "../support/seed-space.js";

const edgeOf = useEdge();
const nodeFor = useCliNodes();

async function mcpAs(space: string, token: string): Promise<Client> {
  const client = new Client({ name: "live-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${edgeOf().http}/s/${space}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** SIGINT, as Ctrl-C sends; resolves with the exit code. */
function interrupt(running: LongRunning): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once("exit", (code) => resolve(code)));
  running.child.kill("SIGINT");
  return exited;
}

/** The envelope's line, then (unless it arrived committed) its status line. */
async function committedOn(running: LongRunning, id: string, line: string): Promise<void> {
  if (/\[committed #\d+\]$/.test(line)) return;
  await running.line(new RegExp(`↳ ${short(id)} committed #\\d+$`));
}

describe("commons log --follow and commons watch", () => {
  it("log --limit shows the newest; --follow streams a post from another node and an MCP call by name, then exits 0 on SIGINT", { timeout: 240_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "live-follow");
    const url = `${edgeOf().http}/s/${seeded.space}`;
    const [andy, george] = [nodeFor("andy-follow", seeded.andy), nodeFor("george-follow", seeded.george)];
    await Promise.all([andy.ok(["join", url]), george.ok(["join", url])]);
    await andy.ok(["post", seeded.space, "old", "--repeat", "5"]);
    await andy.ok(["sync", seeded.space]);

    // The newest two, not the oldest two.
    const newest = await andy.ok(["log", seeded.space, "--type", "channel.message", "--limit", "2"]);
    expect(newest.trim().split("\n").map((l) => /"(old #\d)"/.exec(l)?.[1])).toEqual(["old #4", "old #5"]);

    const follow = andy.start(["log", seeded.space, "--follow", "--limit", "1", "--type", "channel.message"]);
    expect(await follow.line(/"old #5"/)).toMatch(/\[committed #\d+\]$/);

    // George writes from his own node: his name, his words, then the edge's verdict.
    const posted = /^posted (sha256:\w+)/.exec(await george.ok(["post", seeded.space, "render farm is back"]))![1]!;
    await george.ok(["sync", seeded.space]);
    const line = await follow.line(/"render farm is back"/);
    expect(line).toMatch(new RegExp(`${short(posted)}\\s+\\S+ \\S+\\s+George\\s+channel\\.message`));
    await committedOn(follow, posted, line);

    // George through the edge's MCP tools: signed by the tool host, written for George.
    const client = await mcpAs(seeded.space, (await george.ok(["token", seeded.space])).trim());
    await client.callTool({ name: "post_message", arguments: { content: "via the tool host" } });
    expect(await follow.line(/"via the tool host"/)).toMatch(/George via sequencer\s+channel\.message/);
    await client.close();

    expect(await interrupt(follow)).toBe(0);
    // The one-shot log names the actor too (not the tool host's did).
    expect(await andy.ok(["log", seeded.space, "--limit", "1", "--type", "channel.message"])).toMatch(/George via sequencer\s+channel\.message\s+"via the tool host"/);
    seeded.close();
  });

  it("watch: an approval to decide appears pending and is re-printed approved; the requester sees its blocked request resolve; a refused claim is blocked", { timeout: 240_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "live-watch");
    const url = `${edgeOf().http}/s/${seeded.space}`;
    const [andy, george, michelle] = [nodeFor("andy-watch", seeded.andy), nodeFor("george-watch", seeded.george), nodeFor("michelle-watch", seeded.michelle)];
    await Promise.all([andy.ok(["join", url]), george.ok(["join", url]), michelle.ok(["join", url])]);
    const andyWatch = andy.start(["watch", seeded.space]);
    const georgeWatch = george.start(["watch"]);

    // George's HF task needs Andy's approval: Andy's watch shows it, George's shows him waiting.
    const client = await mcpAs(seeded.space, (await george.ok(["token", seeded.space])).trim());
    const hf = (await client.callTool({ name: "create_work_item", arguments: { title: "Campaign Brief: Q1 Launch", domain: "After-Image", clock: "HF" } })) as { structuredContent: { approval: string } };
    const approval = hf.structuredContent.approval;
    const id = short(approval);
    expect(await andyWatch.line(new RegExp(`approval\\s+${id}\\s.*for George\\s+\\[pending: yours to decide`))).toContain(seeded.space);
    expect(await georgeWatch.line(new RegExp(`blocked\\s+${id}\\s.*\\[waiting for `))).toContain("create_work_item");

    // A mention of Andy, from George's node.
    await george.ok(["post", seeded.space, "andy, the brief is waiting", "--mention", seeded.andy.did]);
    await george.ok(["sync", seeded.space]);
    await andyWatch.line(/mention\s+\w+\s+George: "andy, the brief is waiting"\s+\[/);

    // Andy decides in another process; both watches print the item again, decided.
    await andy.ok(["approve", seeded.space, approval]);
    await andy.ok(["sync", seeded.space]);
    expect(await andyWatch.line(new RegExp(`approval\\s+${id}\\s.*\\[approved by `))).toBeTruthy();
    expect(await georgeWatch.line(new RegExp(`blocked\\s+${id}\\s.*\\[approved by `))).toBeTruthy();

    // Michelle holds an item; George's claim of it is refused and shows as blocked.
    const created = /^work\.created (sha256:\w+)/.exec(await michelle.ok(["work", seeded.space, "create", "fix the render queue"]))![1]!;
    await michelle.ok(["sync", seeded.space]);
    await michelle.ok(["work", seeded.space, "claim", created]);
    await michelle.ok(["sync", seeded.space]);
    await george.ok(["sync", seeded.space]);
    await george.ok(["work", seeded.space, "claim", created]);
    expect(await georgeWatch.line(/blocked\s+\w+\s+claim of "fix the render queue"\s+\[blocked: /)).toMatch(/held by Michelle|already claimed/);

    await client.close();
    expect(await interrupt(andyWatch)).toBe(0);
    expect(await interrupt(georgeWatch)).toBe(0);
    seeded.close();
  });

  it("log --follow --json: one object per envelope, then an {id, status} line when a tentative one commits", { timeout: 240_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "live-json");
    const andy = nodeFor("andy-json", seeded.andy);
    await andy.ok(["join", `${edgeOf().http}/s/${seeded.space}`]);
    const follow = andy.start(["log", seeded.space, "--follow", "--json", "--limit", "1", "--type", "channel.message"]);
    // Written to the copy and not yet synced: the follower sees it (SQLite's data_version) tentative.
    const posted = /^posted (sha256:\w+)/.exec(await andy.ok(["post", seeded.space, "json follower"]))![1]!;
    const first = JSON.parse(await follow.line(new RegExp(`"id":"${posted}".*"envelope"`))) as { id: string; arrival: number; envelope: { type: string; body: { content: string } }; status: { state: string } };
    expect(first).toMatchObject({ id: posted, envelope: { type: "channel.message", body: { content: "json follower" } }, status: { state: "tentative" } });
    expect(first.arrival).toBeGreaterThan(0);
    await andy.ok(["sync", seeded.space]);
    const changed = JSON.parse(await follow.line(new RegExp(`^\\{"id":"${posted}","status"`))) as Record<string, unknown>;
    expect(changed).toEqual({ id: posted, status: expect.objectContaining({ state: "committed", verdict: "accepted", index: expect.any(Number) }) });
    expect(await interrupt(follow)).toBe(0);
    seeded.close();
  });

  it("watch: an agent's escalation is one line, printed again resolved when the owner takes the item", { timeout: 300_000 }, async () => {
    const owner = nodeFor("owner-escalation");
    const space = `live-escalation-${Date.now().toString(36)}`;
    await owner.ok(["create", `${edgeOf().http}/s/${space}`]);
    const suffix = Date.now().toString(36);
    const didOf = (out: string) => /(did:key:z6Mk\S+)/.exec(out)![1]!;
    const a = didOf(await owner.ok(["agent", "add", space, `watch-a-${suffix}`, "--domains", "ops"]));
    const b = didOf(await owner.ok(["agent", "add", space, `watch-b-${suffix}`, "--domains", "design"]));
    const item = /^work\.created (sha256:\w+)/.exec(await owner.ok(["work", space, "create", "Review the contract", "--domains", "legal"]))![1]!;
    await owner.ok(["sync", space]);
    const watch = owner.start(["watch", space]);
    let printed = "";
    watch.child.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    // Neither agent fits: they defer to each other, and the second deferral escalates to the owner.
    const client = await mcpAs(space, (await owner.ok(["token", space])).trim());
    await client.callTool({ name: "post_message", arguments: { content: "Can one of you take the legal review?", mentions: [a, b], threadRef: item } });
    await client.close();
    const line = await watch.line(/escalation\s/);
    expect(line).toMatch(new RegExp(`^${space}  escalation \\w+  watch-[ab]-${suffix}: "Escalating \\\\"Review the contract\\\\" to you: .*" +\\[open: "Review the contract" needs an owner\\]$`));
    const id = /escalation (\w+)/.exec(line)![1]!;

    await owner.ok(["work", space, "claim", item]);
    await owner.ok(["sync", space]);
    expect(await watch.line(new RegExp(`escalation ${id} .*\\[resolved: claimed by `))).toBeTruthy();
    expect(await interrupt(watch)).toBe(0);
    // One item, two states: the deferrals (which mention the agents, not the owner) never showed.
    expect(printed.trim().split("\n").map((l) => /^\S+\s+(\w+) (\S+)\s.*\[(\w+)/.exec(l)!.slice(1))).toEqual([["escalation", id, "open"], ["escalation", id, "resolved"]]);
  });
});

