/**
 * Sealed history in R2, inside workerd with the real HISTORY bucket (miniflare's local R2)
 * and the SpaceDO's own SQLite: a space seals its settled history into hash-chained
 * segments, SQLite keeps no text for the sealed range, and after an eviction (nothing in
 * memory) the MCP read tool `query_channel`, replay at a commit inside a segment, `GET /log`
 * and a fresh peer's catch-up read it back from R2, every envelope identical and verifying. Attacks on the bucket — a tampered,
 * substituted or missing segment — are refused with their codes, nothing stored changes, live
 * posts keep committing, and restoring the object heals the reads.
 */
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica, type WireEnvelope } from "../../core/log/replica.js";
import { KEPT_TEXT } from "../../core/log/segment-history.js";
import type { Sequencer } from "../../core/state/sequencer.js";
import { encodeLog } from "../../core/yjs/frames.js";
import type { SpaceDO } from "../../durable-objects/space.js";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { chainWriter } from "./chain-writer.js";
import { call, freshSpace, TestClient } from "./socket-client.js";

const SEGMENT = 20;
const MESSAGES = 150;
const stubFor = (space: string) => env.SPACES.get(env.SPACES.idFromName(space));
const sequencerOf = (instance: SpaceDO) => (instance as unknown as { sequencer: Sequencer }).sequencer;

interface Sealed {
  space: string;
  token: () => Promise<string>;
  post: (envelopes: unknown[]) => Promise<Array<{ status: string; code?: string; commit?: { state: string } }>>;
  message: (content: string) => Promise<Array<{ status: string; commit?: { state: string } }>>;
  /** The whole log as the edge held it before sealing, in arrival order. */
  before: WireEnvelope[];
  /** committedAtIndex at a few indexes, before sealing. */
  replays: Map<number, unknown>;
  segments: number;
  sealedThrough: number;
}

/** A space of MESSAGES messages, all committed, then sealed in segments of SEGMENT envelopes. */
async function sealedSpace(label: string): Promise<Sealed> {
  const space = freshSpace(label);
  const owner = await Ed25519Signer.generate();
  const { sequencer } = (await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string };
  const chain = chainWriter(space, owner);
  const post = async (envelopes: unknown[]) =>
    ((await (await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) })).json()) as { results: Array<{ status: string; code?: string; commit?: { state: string } }> }).results;
  await chain.write("space.created", { owners: [owner.did], sequencer: sequencer as never });
  expect((await post(chain.envelopes.splice(0)))[0]?.status).toBe("accepted");
  for (let i = 0; i < MESSAGES; i++) {
    await chain.write("channel.message", { content: `message ${i} ${"x".repeat(40)}` });
    if (chain.envelopes.length === 50) expect((await post(chain.envelopes.splice(0))).every((r) => r.status === "accepted")).toBe(true);
  }
  const token = async () => {
    const { epoch } = (await (await call(`/s/${space}/log/state`)).json()) as { epoch: number };
    return issueCapability(owner, { sub: owner.did, space, tools: ["*"], tier: 4, epoch });
  };
  const message = async (content: string) => {
    await chain.write("channel.message", { content });
    return post(chain.envelopes.splice(0));
  };
  return runInDurableObject(stubFor(space), async (instance: SpaceDO) => {
    const replica = instance["log"].replica;
    const before = replica.since(0).map((s) => ({ ...s.envelope, id: s.id }) as WireEnvelope);
    const frontier = replica.commits.frontier;
    const replays = new Map<number, unknown>([5, 37, 77, frontier - 1].map((i) => [i, sequencerOf(instance).committedAtIndex(i)]));
    instance.history.segmentEnvelopes = SEGMENT;
    const segments = await instance.history.sealDue();
    return { space, token, post, message, before, replays, segments, sealedThrough: instance.history.sealedThrough() };
  });
}

type LogFrame = { t: string; envelopes?: WireEnvelope[]; code?: string; message?: string };

/** A fresh peer's catch-up over the socket: every batch until `log.synced`, or the `log.error` that ends it. */
async function catchUp(space: string, token: string): Promise<{ envelopes: WireEnvelope[]; error?: LogFrame }> {
  const client = await TestClient.connect(space, `?token=${token}`);
  const envelopes: WireEnvelope[] = [];
  const end = new Promise<LogFrame>((resolve, reject) => {
    void client.closed.then((closed) => reject(new Error(`the socket closed during catch-up: ${closed.code} ${closed.reason}`)));
    client.ws.addEventListener("message", (e) => {
      const decoder = decoding.createDecoder(new Uint8Array(e.data as ArrayBuffer));
      if (decoding.readVarUint(decoder) !== 100) return;
      const frame = JSON.parse(decoding.readVarString(decoder)) as LogFrame;
      if (frame.t === "log.batch") envelopes.push(...frame.envelopes!);
      if (frame.t === "log.synced" || frame.t === "log.error") resolve(frame);
    });
  });
  client.send(encodeLog(JSON.stringify({ t: "log.hello", vv: {}, live: false })));
  const last = await end.finally(() => client.close());
  await client.closed;
  return last.t === "log.error" ? { envelopes, error: last } : { envelopes };
}

/** Every envelope through `GET /log`, page by page (or the first error body). */
async function httpLog(space: string, token: string): Promise<{ envelopes: WireEnvelope[]; status: number; error?: { code: string; message: string } }> {
  const envelopes: WireEnvelope[] = [];
  for (let since = 0; ;) {
    const res = await call(`/s/${space}/log?since=${since}&limit=1000`, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { envelopes: Array<{ id: string; envelope: object }>; nextCursor: number; hasMore: boolean; error?: { code: string; message: string } };
    if (res.status !== 200) return { envelopes, status: res.status, error: body.error! };
    envelopes.push(...body.envelopes.map((e) => ({ ...e.envelope, id: e.id }) as WireEnvelope));
    since = body.nextCursor;
    if (!body.hasMore) return { envelopes, status: 200 };
  }
}

/** The MCP tool `query_channel` at the edge (a stateless tools/call): its items. */
async function queryChannel(space: string, token: string, args: Record<string, unknown>): Promise<{ items: Array<{ id: string; body: unknown }>; nextCursor: number }> {
  const res = await exports.default.fetch(`http://127.0.0.1/s/${space}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "query_channel", arguments: args } }),
  });
  const text = await res.text();
  const json = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? text);
  const message = JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: { items: Array<{ id: string; body: unknown }>; nextCursor: number } } };
  if (message.result?.isError === true || message.result?.structuredContent?.items === undefined) throw new Error(`query_channel answered ${text.slice(0, 300)}`);
  return message.result.structuredContent;
}

/** What SQLite holds for the log, from the object's own storage. */
const stored = (space: string) =>
  runInDurableObject(stubFor(space), (_instance, state) => {
    const sql = new DurableObjectSql(state.storage);
    return {
      rows: sql.exec<{ arrival: number; id: string; type: string; text: string }>(`SELECT arrival, id, type, text FROM log_envelopes ORDER BY arrival`),
      segments: sql.exec(`SELECT idx, first, last, hash, key FROM log_segments ORDER BY idx`),
    };
  });

describe("sealed history segments in R2", () => {
  it("seals the settled history: SQLite keeps no text for it, R2 holds the chain, and replay, GET /log and a fresh peer's catch-up read it back identical", async () => {
    const s = await sealedSpace("sealed");
    // 1 genesis + 150 messages + receipts: 7 whole segments of 20, the rest stays live.
    expect(s.segments).toBe(Math.floor(s.before.length / SEGMENT));
    expect(s.sealedThrough).toBe(s.segments * SEGMENT);
    const { rows, segments } = await stored(s.space);
    const sealedRows = rows.filter((r) => Number(r.arrival) <= s.sealedThrough);
    const dropped = sealedRows.filter((r) => !(KEPT_TEXT as readonly string[]).includes(r.type));
    expect(dropped.length).toBeGreaterThan(s.segments * (SEGMENT - 2));
    expect(dropped.reduce((bytes, r) => bytes + r.text.length, 0)).toBe(0);
    // Ids, types and every other column stay; rows past the sealed range keep their text.
    expect(rows.map((r) => r.id)).toEqual(s.before.map((e) => e.id));
    expect(rows.filter((r) => Number(r.arrival) > s.sealedThrough).every((r) => r.text.length > 0)).toBe(true);
    const objects = await env.HISTORY.list({ prefix: `spaces/${s.space}/segments/` });
    expect(objects.objects.map((o) => o.key)).toEqual(segments.map((row) => row.key));

    // Nothing in memory: the next reads come from R2. First an agent's read tool, far behind.
    await evictDurableObject(stubFor(s.space));
    const token = await s.token();
    // A page reaching more segments than the cache holds comes back shorter, with the cursor to go on from.
    const tool: Array<{ id: string; body: unknown }> = [];
    for (let since = 0; tool.length < 120; ) {
      const page = await queryChannel(s.space, token, { since, limit: 120 });
      expect(page.items.length).toBeGreaterThan(0);
      tool.push(...page.items);
      since = page.nextCursor;
    }
    expect(tool.map((item) => item.id)).toEqual(s.before.slice(0, tool.length).map((e) => e.id));
    expect(tool.map((item) => item.body)).toEqual(s.before.slice(0, tool.length).map((e) => e.body));
    await evictDurableObject(stubFor(s.space));
    await call(`/s/${s.space}/log/state`); // wakes the object (it starts on a request)
    const replays = await runInDurableObject(stubFor(s.space), async (instance: SpaceDO) => {
      const out = new Map<number, unknown>();
      for (const index of s.replays.keys()) out.set(index, await instance.history.read(() => sequencerOf(instance).committedAtIndex(index)));
      return out;
    });
    expect(replays).toEqual(s.replays);

    const http = await httpLog(s.space, token);
    expect(http.status).toBe(200);
    expect(http.envelopes).toEqual(s.before);

    const peer = await catchUp(s.space, token);
    expect(peer.error).toBeUndefined();
    expect(peer.envelopes).toEqual(s.before);
    // The peer's copy verifies: every signature, chain and dep, on a storage of its own.
    const results = await runInDurableObject(stubFor(freshSpace("peer-copy")), async (_instance, state) => {
      const copy = LogReplica.open(new DurableObjectSql(state.storage), parseSpaceId(s.space));
      const out = [];
      for (let i = 0; i < peer.envelopes.length; i += 256) out.push(...(await copy.ingest(peer.envelopes.slice(i, i + 256))));
      return out;
    });
    expect(results.filter((r) => r.status !== "accepted")).toEqual([]);
    expect(results).toHaveLength(s.before.length);
  });

  it("never seals what is not settled: with another key as sequencer nothing commits here, and nothing is sealed however long the log", async () => {
    const space = freshSpace("unsettled");
    const [owner, elsewhere] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate()]);
    const chain = chainWriter(space, owner);
    await chain.write("space.created", { owners: [owner.did], sequencer: elsewhere.did });
    for (let i = 0; i < 60; i++) await chain.write("channel.message", { content: `tentative ${i}` });
    const results = ((await (await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: chain.envelopes }) })).json()) as { results: Array<{ status: string }> }).results;
    expect(results.every((r) => r.status === "accepted")).toBe(true);
    const sealed = await runInDurableObject(stubFor(space), async (instance: SpaceDO) => {
      instance.history.segmentEnvelopes = SEGMENT;
      return { sealed: await instance.history.sealDue(), count: instance["log"].replica.count() };
    });
    expect(sealed).toEqual({ sealed: 0, count: 61 });
    const { rows, segments } = await stored(space);
    expect(segments).toEqual([]);
    expect(rows.every((r) => r.text.length > 0)).toBe(true);
  });

  const attacks: Record<string, (key: string, original: string, other: string) => Promise<unknown>> = {
    "history-segment-corrupt": (key, original) => env.HISTORY.put(key, original.replace("message 2", "message X")),
    "history-segment-mismatch": (key, _original, other) => env.HISTORY.put(key, other),
    "history-segment-missing": (key) => env.HISTORY.delete(key),
  };
  it.each(Object.keys(attacks))("refuses a segment that is %s with that code, changes nothing, keeps live posts committing, and heals when the object is back", async (code) => {
    const s = await sealedSpace("attacked");
    const token = await s.token();
    const { segments, rows } = await stored(s.space);
    const key = String(segments[1]!.key);
    const original = await (await env.HISTORY.get(key))!.text();
    const other = await (await env.HISTORY.get(String(segments[2]!.key)))!.text();
    await attacks[code]!(key, original, other);
    // Whatever was loaded is gone: the object must read R2 again.
    await evictDurableObject(stubFor(s.space));
    const http = await httpLog(s.space, token);
    expect({ status: http.status, error: http.error?.code }).toEqual({ status: 503, error: code });
    expect(http.error?.message).toContain("commons host");
    const peer = await catchUp(s.space, token);
    expect(peer.error?.code).toBe(code);
    // Live traffic carries on: a new message is accepted and committed, and reads past the sealed range work.
    const [posted] = await s.message(`still live after ${code}`);
    expect(posted).toMatchObject({ status: "accepted", commit: { state: "committed" } });
    const after = await call(`/s/${s.space}/log?since=${s.sealedThrough}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(after.status).toBe(200);
    // Nothing stored changed: the sealed rows and the segment records are as they were.
    const now = await stored(s.space);
    expect(now.segments).toEqual(segments);
    expect(now.rows.slice(0, rows.length)).toEqual(rows);
    // A refused object is never kept in memory: put back, the same object serves it.
    await env.HISTORY.put(key, original);
    const healed = await httpLog(s.space, token);
    expect(healed.status).toBe(200);
    expect(healed.envelopes.slice(0, s.before.length)).toEqual(s.before);
  });
});
