/**
 * The space object's own door, inside workerd: a space exists only after its genesis
 * (connecting to a new name stores nothing), a genesis must name the key the edge showed, an
 * object that fails to start answers 503 and recovers, sockets per identity are capped, and a
 * wake reads the state's rows, not the history (counted in rows SQLite read, not in time).
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { chainWriter } from "./chain-writer.js";
import { call, freshSpace, openSpace, upgrade } from "./socket-client.js";

const stubFor = (space: string) => env.SPACES.get(env.SPACES.idFromName(space));
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

/** What the object holds: its SQL tables (but SQLite's and the runtime's own) and its KV keys. */
const stored = (space: string) =>
  runInDurableObject(stubFor(space), async (_instance, state) => ({
    tables: state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").toArray().map((r) => r.name),
    keys: [...(await state.storage.list()).keys()],
  }));

describe("a space exists only after its genesis", () => {
  it("sockets, reads, tool calls and junk posts to new names answer 404 space-not-found and store nothing", async () => {
    const names = Array.from({ length: 20 }, (_, i) => freshSpace(`nobody-${i}`));
    for (const [i, space] of names.entries()) {
      const res = await [
        () => upgrade(space),
        () => call(`/s/${space}/presence`),
        () => call(`/s/${space}/log?since=0`),
        () => call(`/s/${space}/mcp`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) }),
        () => call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: [{ type: "channel.message" }] }) }),
      ][i % 5]!();
      expect(res.status).toBe(404);
      expect((await errorOf(res)).code).toBe("space-not-found");
    }
    for (const space of names) expect(await stored(space)).toEqual({ tables: [], keys: [] });
  });

  it("/log/state shows the edge's key before the genesis; a genesis naming it opens a space the edge sequences", async () => {
    const space = freshSpace("opening");
    const owner = await Ed25519Signer.generate();
    const state = (await (await call(`/s/${space}/log/state`)).json()) as { exists: boolean; sequencer: string };
    expect(state).toMatchObject({ exists: false, epoch: 0 });
    // Asking again shows the same key: it is kept (in memory) until a genesis comes.
    expect(((await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string }).sequencer).toBe(state.sequencer);
    expect(await stored(space)).toEqual({ tables: [], keys: [] });
    const chain = chainWriter(space, owner);
    await chain.write("space.created", { owners: [owner.did], sequencer: state.sequencer as never });
    const opened = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: chain.envelopes }) });
    expect(((await opened.json()) as { results: Array<{ status: string; commit?: { state: string } }> }).results).toMatchObject([{ status: "accepted", commit: { state: "committed" } }]);
    expect(((await (await call(`/s/${space}/log/state`)).json()) as { exists: boolean; sequencer: string })).toMatchObject({ exists: true, sequencer: state.sequencer });
  });

  it("a genesis naming another sequencer (a node re-hosting its space) is stored and relayed, not committed", async () => {
    const space = freshSpace("rehosted");
    const owner = await Ed25519Signer.generate();
    const chain = chainWriter(space, owner);
    await chain.write("space.created", { owners: [owner.did], sequencer: owner.did });
    const res = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: chain.envelopes }) });
    expect(((await res.json()) as { results: Array<{ status: string; commit?: { state: string } }> }).results).toMatchObject([{ status: "accepted", commit: { state: "tentative" } }]);
    expect((await stored(space)).tables).toContain("log_envelopes");
  });
});

describe("an object that fails to start", () => {
  it("answers 503 space-unavailable saying why, and starts on the next request once the cause is gone", async () => {
    const s = await openSpace("broken");
    const token = await s.token(s.owner);
    // A log written by a newer Commons: this one must not start on it.
    await runInDurableObject(stubFor(s.space), (_i, state) => void state.storage.sql.exec("UPDATE log_meta SET value = '99' WHERE key = 'schema_version'"));
    await evictDurableObject(stubFor(s.space));
    const refused = await call(`/s/${s.space}/log/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(503);
    expect(await errorOf(refused)).toMatchObject({ code: "space-unavailable", message: expect.stringMatching(/newer Commons .*try again/) });
    // Still refused while the cause stands: it never answers 500 or hangs.
    expect((await call(`/s/${s.space}/presence`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(503);
    await runInDurableObject(stubFor(s.space), (_i, state) => void state.storage.sql.exec("UPDATE log_meta SET value = '2' WHERE key = 'schema_version'"));
    const recovered = await call(`/s/${s.space}/log/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(recovered.status).toBe(200);
    expect(((await recovered.json()) as { exists: boolean }).exists).toBe(true);
  });
});

describe("quotas at the door", () => {
  it("caps sockets per identity (8 here) with 429 rate-limited, and frees a place when one closes", async () => {
    const s = await openSpace("crowd");
    const open = [];
    for (let i = 0; i < 8; i++) open.push(await s.connect(s.owner));
    const ninth = await upgrade(s.space, `?token=${await s.token(s.owner)}`);
    expect(ninth.status).toBe(429);
    expect(await errorOf(ninth)).toMatchObject({ code: "rate-limited", message: expect.stringMatching(/8 sockets per identity.*retry/) });
    expect(ninth.headers.get("Retry-After")).toBe("1");
    // Someone else is not affected by the owner's crowd.
    const [name] = Object.keys((await openSpace("crowd-other", { members: { Bob: "human" } })).members);
    expect(name).toBe("Bob");
    open[0]!.close();
    await open[0]!.closed;
    const again = await s.connect(s.owner);
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("waking", () => {
  /** A space whose owner posted `messages` messages, evicted; the rows SQLite read to wake it and answer one request. */
  async function wakeCost(messages: number): Promise<number> {
    const space = freshSpace(`wake-${messages}`);
    const owner = await Ed25519Signer.generate();
    const { sequencer } = (await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string };
    const chain = chainWriter(space, owner);
    await chain.write("space.created", { owners: [owner.did], sequencer: sequencer as never });
    for (let i = 0; i < messages; i++) {
      await chain.write("channel.message", { content: `note ${i}` });
      if (chain.envelopes.length === 256 || i === messages - 1) {
        const res = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: chain.envelopes.splice(0) }) });
        // Read to the end: an unread response keeps the object referenced (and unevictable).
        const { results } = (await res.json()) as { results: Array<{ status: string }> };
        expect(results.every((r) => r.status === "accepted")).toBe(true);
      }
    }
    const token = await issueCapability(owner, { sub: owner.did, space, tools: ["*"], tier: 4, epoch: 1 });
    await evictDurableObject(stubFor(space));
    const res = await call(`/s/${space}/log/state`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { count: number }).count).toBeGreaterThan(messages);
    return runInDurableObject(stubFor(space), (instance) => (instance as unknown as { storage: { rowsRead: number } }).storage.rowsRead);
  }

  it("reads the same few rows for 3,000 envelopes as for 100: the state, not the history", async () => {
    const small = await wakeCost(100);
    const large = await wakeCost(3_000);
    expect(large).toBeLessThan(small + 200);
    expect(large).toBeLessThan(1_000);
  }, 180_000);
});

describe("another author's clock", () => {
  it("an envelope stamped 100 years ahead is refused hlc-in-future and stored nowhere; the space keeps committing, across a restart", async () => {
    const s = await openSpace("clock", { members: { Mallory: "agent" } });
    const mallory = s.members.Mallory!;
    const { createEnvelope } = await import("../../core/log/writer.js");
    const { parseSpaceId } = await import("../../core/ids.js");
    const ahead = await createEnvelope(mallory, { space: parseSpaceId(s.space), last: null, heads: [] }, "channel.message", { content: "from 2126" }, Date.now() + 100 * 365 * 24 * 3600 * 1000);
    const res = await call(`/s/${s.space}/log`, { method: "POST", body: JSON.stringify({ envelopes: [{ ...ahead.envelope, id: ahead.id }] }) });
    expect(((await res.json()) as { results: Array<{ code?: string }> }).results).toMatchObject([{ code: "envelope-hlc-in-future" }]);
    await evictDurableObject(stubFor(s.space));
    // The owner still writes, and the edge still commits what comes.
    const [posted] = await s.write("channel.message", { content: "still fine" });
    expect(posted).toMatchObject({ status: "accepted", commit: { state: "committed", verdict: "accepted" } });
  });
});
