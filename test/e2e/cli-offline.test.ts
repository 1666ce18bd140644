/**
 * The local node end to end: two `commons` nodes (real processes, separate homes) and a
 * real `wrangler dev` edge. They join a space, the edge goes away, each writes 500
 * envelopes and Yjs edits offline, they sync node to node with serve/peer, the edge comes
 * back and everyone converges; then the edge's storage is deleted and node A rebuilds it
 * with `commons host`, and a third node joins and receives everything. The space is
 * private: the test reads the edge with A's own token (`commons token`), as a member would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, startEdge, type Edge } from "../support/edge.js";

const SPACE = "offline-42";
let edge: Edge;
let persistTo: string;
const nodes: CliNode[] = [];
const node = (label: string) => {
  const n = cliNode(label);
  nodes.push(n);
  return n;
};

beforeAll(async () => {
  edge = await startEdge();
  persistTo = edge.persistTo;
});
afterAll(async () => {
  await edge?.stop();
  removeDir(persistTo);
  for (const n of nodes) {
    n.killAll();
    removeDir(n.home);
  }
});

type State = { count: number; vv: Record<string, number>; heads: string[]; frontier: number; tentative: number; ids: string; view: string; doc: { notes: string; notesLength: number; stateVector: unknown } };
const state = (n: CliNode) => n.json<State>(["state", SPACE]);
const comparable = (s: State) => ({ count: s.count, vv: s.vv, heads: s.heads, frontier: s.frontier, ids: s.ids, view: s.view, doc: s.doc });
/** A's capability token for the space, minted by A's own node (the first node): what the door asks of a reader. */
const tokenOfA = async () => (await nodes[0]!.ok(["token", SPACE])).trim();
const asA = async () => ({ headers: { Authorization: `Bearer ${await tokenOfA()}` } });
const edgeState = async () => (await (await fetch(`${edge.http}/s/${SPACE}/log/state`, await asA())).json()) as { vv: Record<string, number>; heads: string[]; count: number; frontier: number; sequencer: string };

/** Every envelope id the edge holds, through the HTTP log. */
async function edgeIds(): Promise<string[]> {
  const ids: string[] = [];
  const as = await asA();
  for (let since = 0; ;) {
    const page = (await (await fetch(`${edge.http}/s/${SPACE}/log?since=${since}&limit=1000`, as)).json()) as { envelopes: { id: string }[]; nextCursor: number; hasMore: boolean };
    ids.push(...page.envelopes.map((e) => e.id));
    since = page.nextCursor;
    if (!page.hasMore) return ids;
  }
}

/** The edge's "notes" text, read with a stock y-websocket client. */
async function edgeNotes(expectedLength: number): Promise<string> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${edge.ws}/s`, SPACE, doc, { disableBc: true, params: { token: await tokenOfA() } });
  await new Promise<void>((resolve) => provider.on("sync", (synced: boolean) => synced && resolve()));
  const text = doc.getText("notes").toString();
  provider.destroy();
  expect(text.length).toBe(expectedLength);
  return text;
}

const ids = (logJson: string) => logJson.trim().split("\n").map((line) => JSON.parse(line) as { id: string; status: { state: string; index?: number } });

describe("commons: offline work, node-to-node sync, rebuilding the edge", () => {
  const a = node("a");
  const b = node("b");

  it("A creates the space and adds B; B joins", async () => {
    const url = `${edge.http}/s/${SPACE}`;
    expect(await a.ok(["create", url, "--title", "offline drill"])).toMatch(/created offline-42/);
    const bDid = (await b.json<{ did: string }>(["id"])).did;
    await a.ok(["members", SPACE, "add", bDid, "--role", "human", "--name", "bob"]);
    await a.ok(["sync", SPACE]);
    expect(await b.ok(["join", url])).toMatch(/synced offline-42: received/);
    expect((await state(a)).tentative).toBe(0);
    expect(comparable(await state(b))).toEqual(comparable(await state(a)));
  });

  it("with the edge down, each node writes 500 envelopes and Yjs edits; sync says offline", async () => {
    await edge.stop();
    await a.ok(["post", SPACE, "from A", "--repeat", "500"]);
    await b.ok(["post", SPACE, "from B", "--repeat", "500"]);
    await a.ok(["doc", SPACE, "append", "a", "--repeat", "30"]);
    await b.ok(["doc", SPACE, "append", "b", "--repeat", "20"]);
    const sync = await a.run(["sync", SPACE]);
    expect(sync.code).toBe(3);
    expect(sync.stderr).toMatch(/offline: could not reach .*; 500 tentative/);
    const spaces = await a.json<Array<{ space: string; tentative: number; reachable: boolean }>>(["spaces"]);
    expect(spaces).toEqual([expect.objectContaining({ space: SPACE, tentative: 500, reachable: false })]);
    const mine = ids(await a.ok(["log", SPACE, "--type", "channel.message", "--json"]));
    expect(mine).toHaveLength(500);
    expect(mine.every((e) => e.status.state === "tentative")).toBe(true);
  });

  it("A serves, B peers: both hold the same log, document and views with no edge", async () => {
    const served = a.start(["serve", "--port", "0"]);
    const port = /127\.0\.0\.1:(\d+)/.exec(await served.line(/^serving/))![1];
    expect(await b.ok(["peer", `ws://127.0.0.1:${port}/s/${SPACE}`])).toMatch(/received 500, pushed 500/);
    expect(await served.stop()).toBe(0);
    const [sa, sb] = [await state(a), await state(b)];
    expect(sa.count).toBe(sb.count);
    expect(comparable(sb)).toEqual(comparable(sa));
    expect(sa.tentative).toBe(1000);
    // `doc append x --repeat n` appends "x1\n" … "xn\n".
    const appended = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join("").length;
    expect(sa.doc.notesLength).toBe(appended("a", 30) + appended("b", 20));
  });

  it("the edge comes back; after `commons sync` the edge, A and B hold identical logs, documents and views", async () => {
    edge = await startEdge({ persistTo });
    const url = `${edge.http}/s/${SPACE}`;
    await a.ok(["sync", SPACE, "--edge", url]);
    await b.ok(["sync", SPACE, "--edge", url]);
    await a.ok(["sync"]);
    const [sa, sb, se] = [await state(a), await state(b), await edgeState()];
    expect(comparable(sb)).toEqual(comparable(sa));
    expect(sa.tentative).toBe(0);
    expect({ vv: se.vv, heads: se.heads, count: se.count, frontier: se.frontier }).toEqual({ vv: sa.vv, heads: sa.heads, count: sa.count, frontier: sa.frontier });
    expect((await edgeIds()).sort()).toEqual(ids(await a.ok(["log", SPACE, "--json"])).map((e) => e.id).sort());
    await edgeNotes(sa.doc.notesLength);
  });

  it("the edge's storage is deleted; `commons host` from A rebuilds it; C joins and gets everything, old commit indexes kept", async () => {
    const before = ids(await a.ok(["log", SPACE, "--json"]));
    const oldFrontier = (await state(a)).frontier;
    await edge.stop();
    removeDir(persistTo);
    edge = await startEdge();
    persistTo = edge.persistTo;
    const url = `${edge.http}/s/${SPACE}`;
    await a.ok(["post", SPACE, "written while the edge was gone"]);
    const hosted = await a.ok(["host", url]);
    expect(hosted).toMatch(new RegExp(`appointed did:key:\\S+ sequencer from #${oldFrontier + 1}`));
    // C is a member before it joins: the rebuilt edge's door reads the same committed membership.
    const c = node("c");
    const cDid = (await c.json<{ did: string }>(["id"])).did;
    await a.ok(["members", SPACE, "add", cDid, "--role", "human", "--name", "carol"]);
    await a.ok(["sync", SPACE]);
    await c.ok(["join", url]);
    await b.ok(["sync", SPACE, "--edge", url]);
    const [sa, sb, sc, se] = [await state(a), await state(b), await state(c), await edgeState()];
    expect(comparable(sc)).toEqual(comparable(sa));
    expect(comparable(sb)).toEqual(comparable(sa));
    expect(sa.tentative).toBe(0);
    // The post written while the edge was gone, then C's membership.
    expect(sa.frontier).toBe(oldFrontier + 2);
    expect(se.count).toBe(sa.count);
    const after = new Map(ids(await c.ok(["log", SPACE, "--json"])).map((e) => [e.id, e.status] as const));
    for (const e of before) expect(after.get(e.id)).toEqual(e.status);
    expect((await c.ok(["doc", SPACE, "cat"])).trim().length).toBe(sa.doc.notesLength - 1);
  });
});
