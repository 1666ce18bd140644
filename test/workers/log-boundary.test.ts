/**
 * The log's trust boundaries inside workerd: query strings, POST bodies and socket log
 * frames that are wrong get a specific error, and the replica is unchanged after them.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import * as decoding from "lib0/decoding";
import { beforeAll, describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { encodeLog } from "../../core/yjs/frames.js";
import { issueCapability } from "../../core/auth/capability.js";
import { chainWriter } from "./chain-writer.js";
import { call, freshSpace, openSpace, type TestSpace } from "./socket-client.js";

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
/** Envelopes the space's replica holds, read in the object itself (no door in the way); 0 when it has no log at all. */
const count = (space: string) =>
  runInDurableObject(env.SPACES.get(env.SPACES.idFromName(space)), (_i, state) => {
    if (state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'log_envelopes'").toArray().length === 0) return 0;
    return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log_envelopes").one().n;
  });

describe("GET /s/:space/log", () => {
  let s: TestSpace;
  let token: string;
  beforeAll(async () => {
    s = await openSpace("log");
    token = await s.token(s.owner);
  });

  it("a new space: /log/state names the edge's sequencer and epoch 0 to anyone, and nothing else", async () => {
    const space = freshSpace("log");
    const state = (await (await call(`/s/${space}/log/state`)).json()) as Record<string, unknown>;
    expect(state).toEqual({ space, exists: false, sequencer: expect.stringMatching(/^did:key:z6Mk/), epoch: 0 });
  });

  it("accepts a repeated type filter", async () => {
    const res = await call(`/s/${s.space}/log?type=work.created&type=work.claimed&limit=10`, bearer(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ envelopes: [], nextCursor: 0, hasMore: false });
  });

  for (const [query, field] of [
    ["since=-1", "since"],
    ["since=abc", "since"],
    ["limit=0", "limit"],
    ["limit=5000", "limit"],
    ["type=chat.message", "type"],
    ["thread=abc", "thread"],
    ["author=bob", "author"],
    ["attention=did:web:x", "attention"],
    ["colour=red", "colour"],
    ["since=1&since=2", "since"],
  ] as const) {
    it(`refuses ?${query} with 400 invalid-query naming ${field}`, async () => {
      const res = await call(`/s/${s.space}/log?${query}`, bearer(token));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid-query");
      expect(error.message).toContain(field);
    });
  }
});

describe("POST /s/:space/log", () => {
  const cases: Array<[string, string, number, string]> = [
    ["not JSON", "{envelopes:", 400, "body-malformed"],
    ["not an object", "[1,2]", 400, "body-malformed"],
    ["no envelopes", "{}", 400, "body-malformed"],
    ["an empty batch", '{"envelopes":[]}', 400, "body-malformed"],
    ["extra fields", '{"envelopes":[{}],"x":1}', 400, "body-malformed"],
    ["too many envelopes", JSON.stringify({ envelopes: new Array(257).fill({}) }), 400, "body-malformed"],
    ["an oversize body", JSON.stringify({ envelopes: ["x".repeat(5 * 1024 * 1024)] }), 413, "body-too-large"],
  ];
  for (const [what, body, status, code] of cases) {
    it(`refuses ${what} with ${status} ${code}; nothing is stored`, async () => {
      const space = freshSpace("post");
      const res = await call(`/s/${space}/log`, { method: "POST", body });
      expect(res.status).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
      expect(await count(space)).toBe(0);
    });
  }

  it("answers per-item results for envelopes that are not envelopes", async () => {
    const { space } = await openSpace("post");
    const before = await count(space);
    const res = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes: [{}, "x", { type: "chat" }] }) });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: Array<{ status: string; code: string }> };
    expect(results.map((r) => [r.status, r.code])).toEqual([
      ["rejected", "envelope-malformed"],
      ["rejected", "envelope-malformed"],
      ["rejected", "envelope-malformed"],
    ]);
    expect(await count(space)).toBe(before);
  });

  it("a full batch in DO SQLite: all accepted, a single head; posted again, every item a duplicate and nothing stored", async () => {
    // 256 ids are more than one statement may bind on Durable Object SQLite (100).
    const space = freshSpace("batch");
    const author = await Ed25519Signer.generate();
    const { sequencer } = (await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string };
    const { envelopes, write, last } = chainWriter(space, author);
    const stateOf = async () => (await call(`/s/${space}/log/state`, bearer(await issueToken(author, space)))).json();
    await write("space.created", { owners: [author.did], sequencer: sequencer as never });
    for (let i = 1; i < 256; i++) await write("channel.message", { content: `message ${i}` });
    const post = async () =>
      ((await (await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) })).json()) as { results: Array<{ status: string }> }).results;

    expect(new Set((await post()).map((r) => r.status))).toEqual(new Set(["accepted"]));
    const before = (await stateOf()) as { count: number; heads: string[]; vv: Record<string, number> };
    expect(before.vv[author.did]).toBe(256);
    // The sequencer's last receipt cites everything before it: it is the only head.
    expect(before.heads).toHaveLength(1);
    expect(before.heads).not.toContain(last()!.id);

    const again = await post();
    expect(again).toHaveLength(256);
    expect(new Set(again.map((r) => r.status))).toEqual(new Set(["duplicate"]));
    expect(await stateOf()).toEqual(before);
  });
});

describe("log frames on the socket", () => {
  for (const [what, json] of [
    ["not JSON", "{"],
    ["an unknown message", '{"t":"log.nope"}'],
    ["a hello without a vector", '{"t":"log.hello"}'],
    ["a push without a batch", '{"t":"log.push","batch":[]}'],
  ] as const) {
    it(`${what} closes that socket with 1007 log-malformed`, async () => {
      const frames = await openSpace("frame");
      const client = await frames.connect(frames.owner);
      client.send(encodeLog(json));
      expect(await client.closed).toEqual({ code: 1007, reason: "log-malformed" });
    });
  }

  it("an observer's push is answered with log.error read-only and stores nothing", async () => {
    const { space, owner, connect } = await openSpace("observer");
    const observer = await connect(owner, "?role=observer");
    const answer = new Promise<string>((resolve) =>
      observer.ws.addEventListener("message", (e) => {
        const decoder = decoding.createDecoder(new Uint8Array(e.data as ArrayBuffer));
        if (decoding.readVarUint(decoder) === 100) resolve(decoding.readVarString(decoder));
      }),
    );
    const held = await count(space);
    observer.send(encodeLog(JSON.stringify({ t: "log.push", batch: [{}] })));
    expect(JSON.parse(await answer)).toMatchObject({ t: "log.error", code: "read-only" });
    expect(await count(space)).toBe(held);
  });
});

const issueToken = (signer: Ed25519Signer, space: string) => issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch: 1 });
