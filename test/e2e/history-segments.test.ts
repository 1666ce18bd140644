/**
 * Sealed history end to end: `commons` nodes (real processes) and a real `wrangler dev` edge
 * whose space seals its history into R2 every 40 envelopes (COMMONS_SEGMENT_ENVELOPES). Node
 * A writes past several segments; the edge restarts (nothing in memory); a NEW node joins and
 * receives the whole log from the edge — most of it read back from R2 — and its copy verifies
 * and replays as A's does. Then the edge's storage is wiped, Durable Object and R2 alike (a
 * new persist directory), A rebuilds it with `commons host` from its full copy, and the new
 * edge holds every envelope, seals its own history again, and serves a later node the lot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCliNodes, type CliNode } from "../support/cli.js";
import { removeDir, startEdge, type Edge } from "../support/edge.js";

const SPACE = "sealed-history";
const SEGMENT = 40;
const vars = { COMMONS_SEGMENT_ENVELOPES: String(SEGMENT) };
let edge: Edge;
// Made here, killed and removed after the file (test/support/cli.ts).
const node = useCliNodes();

beforeAll(async () => {
  edge = await startEdge({ vars });
});
afterAll(async () => {
  await edge?.stop();
  if (edge) removeDir(edge.persistTo);
});

type State = { count: number; vv: Record<string, number>; heads: string[]; frontier: number; tentative: number; ids: string; view: string };
const comparable = (s: State) => ({ count: s.count, vv: s.vv, heads: s.heads, frontier: s.frontier, ids: s.ids, view: s.view });
type EdgeState = { count: number; frontier: number; sealed: { segments: number; through: number } };

describe("sealed history: a new node syncs from R2, a wiped edge is rebuilt with nothing lost", () => {
  const a = node("a");
  const url = () => `${edge.http}/s/${SPACE}`;
  const token = async () => (await a.ok(["token", SPACE])).trim();
  const edgeState = async () => (await (await fetch(`${url()}/log/state`, { headers: { Authorization: `Bearer ${await token()}` } })).json()) as EdgeState;
  /** Every envelope the edge holds, through `GET /log` (sealed pages come from R2). */
  const edgeLog = async () => {
    const ids: string[] = [];
    const headers = { Authorization: `Bearer ${await token()}` };
    for (let since = 0; ;) {
      const res = await fetch(`${url()}/log?since=${since}&limit=1000`, { headers });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { envelopes: { id: string }[]; nextCursor: number; hasMore: boolean };
      ids.push(...page.envelopes.map((e) => e.id));
      since = page.nextCursor;
      if (!page.hasMore) return ids;
    }
  };
  const logIds = async (n: CliNode) => (await n.ok(["log", SPACE, "--json"])).trim().split("\n").map((line) => (JSON.parse(line) as { id: string }).id);
  const join = async (label: string) => {
    const n = node(label);
    const did = (await n.json<{ did: string }>(["id"])).did;
    // The edge may have moved (a restart takes a new port): tell A where it is now.
    await a.ok(["sync", SPACE, "--edge", url()]);
    await a.ok(["members", SPACE, "add", did, "--role", "human", "--name", label]);
    await a.ok(["sync", SPACE]);
    await n.ok(["join", url()]);
    return n;
  };

  it("A writes past several segments; the edge seals them into R2 and keeps serving the whole log", async () => {
    expect(await a.ok(["create", url(), "--title", "sealed history"])).toMatch(/created sealed-history/);
    await a.ok(["post", SPACE, "before the seal", "--repeat", "300"]);
    await a.ok(["sync", SPACE]);
    const state = await edgeState();
    expect(state.sealed.segments).toBeGreaterThanOrEqual(Math.floor(300 / SEGMENT) - 1);
    expect(state.sealed.through).toBe(state.sealed.segments * SEGMENT);
    // The same envelopes (each replica numbers its own arrivals, so receipts may interleave differently).
    expect((await edgeLog()).sort()).toEqual((await logIds(a)).sort());
  }, 300_000);

  it("after a restart (nothing in memory), a new node joins and holds the whole log, verified, replaying as A does", async () => {
    const persistTo = edge.persistTo;
    await edge.stop();
    edge = await startEdge({ persistTo, vars });
    const c = await join("c");
    const [sa, sc] = [await a.json<State>(["state", SPACE]), await c.json<State>(["state", SPACE])];
    expect(comparable(sc)).toEqual(comparable(sa));
    expect(sc.tentative).toBe(0);
    expect(await c.ok(["verify", SPACE])).toMatch(/^ok: /);
    // Replay at a commit inside the first sealed segment, and at the head.
    for (const at of ["10", String(sa.frontier)]) expect(await c.json(["replay", SPACE, "--at", at, "--json"])).toEqual(await a.json(["replay", SPACE, "--at", at, "--json"]));
  }, 300_000);

  it("the edge's storage is wiped (object and R2); `commons host` from A rebuilds it with nothing lost, and it seals and serves again", async () => {
    const before = await logIds(a);
    await edge.stop();
    removeDir(edge.persistTo);
    edge = await startEdge({ vars });
    expect((await edgeState()).count).toBeUndefined(); // no space here any more: the door answers a newcomer
    expect(await a.ok(["host", url()])).toMatch(/appointed did:key:\S+ sequencer from #/);
    await a.ok(["post", SPACE, "after the rebuild", "--repeat", "60"]);
    await a.ok(["sync", SPACE, "--edge", url()]);
    const state = await edgeState();
    const sa = await a.json<State>(["state", SPACE]);
    expect({ count: state.count, frontier: state.frontier }).toEqual({ count: sa.count, frontier: sa.frontier });
    expect(sa.tentative).toBe(0);
    expect(state.sealed.segments).toBeGreaterThanOrEqual(Math.floor(sa.count / SEGMENT) - 1);
    const held = await edgeLog();
    for (const id of before) expect(held).toContain(id);
    expect(held.sort()).toEqual((await logIds(a)).sort());
    // A node that joins the rebuilt edge gets all of it, the old history read back from the new edge's R2.
    const d = await join("d");
    expect(comparable(await d.json<State>(["state", SPACE]))).toEqual(comparable(await a.json<State>(["state", SPACE])));
    expect(await d.ok(["verify", SPACE])).toMatch(/^ok: /);
  }, 400_000);
});
