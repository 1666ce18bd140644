/**
 * The read model, inside workerd: `GET /s/:space/view` answers members, work, approvals,
 * grants, invites, policies and locks from the committed state (no fold of the log), filters
 * at the boundary, answers 304 while its ETag holds, sits behind the door like every read,
 * and a live reader on the socket is told `view.changed` when something commits.
 */
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { encodeLog } from "../../core/yjs/frames.js";
import { call, openSpace } from "./socket-client.js";

const bearer = (token: string, extra: Record<string, string> = {}) => ({ headers: { Authorization: `Bearer ${token}`, ...extra } });

describe("GET /s/:space/view", () => {
  it("answers the committed state by section and filter, with an ETag that holds until something commits", async () => {
    const s = await openSpace("view", { members: { Bob: "human", George: "agent" } });
    const token = await s.token(s.owner);
    await s.write("work.created", { title: "Rotate the cert", domains: ["ops"] });
    await s.write("work.created", { title: "Hero image", domains: ["creative"] });
    const first = await call(`/s/${s.space}/view`, bearer(token));
    expect(first.status).toBe(200);
    const etag = first.headers.get("ETag")!;
    const view = (await first.json()) as { frontier: number; members: Array<{ did: string; role: string }>; work: Array<{ title: string; status: string }>; locks: unknown[] };
    expect(view.members.map((m) => m.role).sort()).toEqual(["agent", "human", "owner"]);
    expect(view.work.map((w) => w.title).sort()).toEqual(["Hero image", "Rotate the cert"]);
    expect(view.locks).toEqual([]);

    const filtered = (await (await call(`/s/${s.space}/view?sections=work&domain=ops&status=open`, bearer(token))).json()) as Record<string, unknown>;
    expect(Object.keys(filtered).sort()).toEqual(["epoch", "frontier", "space", "visibility", "work"]);
    expect((filtered.work as Array<{ title: string }>).map((w) => w.title)).toEqual(["Rotate the cert"]);

    const unchanged = await call(`/s/${s.space}/view`, bearer(token, { "If-None-Match": etag }));
    expect(unchanged.status).toBe(304);
    await s.write("channel.message", { content: "a commit moves the frontier" });
    const moved = await call(`/s/${s.space}/view`, bearer(token, { "If-None-Match": etag }));
    expect(moved.status).toBe(200);
    expect(moved.headers.get("ETag")).not.toBe(etag);
    expect(((await moved.json()) as { frontier: number }).frontier).toBeGreaterThan(view.frontier);
  });

  it("is behind the door: no token on a private space gets nothing, a bad filter names the field", async () => {
    const s = await openSpace("view-door");
    const anonymous = await call(`/s/${s.space}/view`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("token-missing");
    const bad = await call(`/s/${s.space}/view?sections=members,secrets`, bearer(await s.token(s.owner)));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "invalid-query", message: expect.stringContaining('"secrets"') });
  });

  it("a live reader on the socket hears view.changed with the new frontier when something commits", async () => {
    const s = await openSpace("view-live");
    const reader = await s.connect(s.owner);
    // Log frames (type 100) as they come; each wait resolves on the first matching one.
    const waits: Array<{ t: string; resolve(message: { t: string; frontier?: number }): void }> = [];
    const next = (t: string) => new Promise<{ t: string; frontier?: number }>((resolve) => waits.push({ t, resolve }));
    reader.ws.addEventListener("message", (e) => {
      const decoder = decoding.createDecoder(new Uint8Array(e.data as ArrayBuffer));
      if (decoding.readVarUint(decoder) !== 100) return;
      const message = JSON.parse(decoding.readVarString(decoder)) as { t: string; frontier?: number };
      for (const wait of waits.filter((w) => w.t === message.t)) wait.resolve(message);
    });
    const synced = next("log.synced");
    reader.send(encodeLog(JSON.stringify({ t: "log.hello", vv: {}, live: true })));
    await synced;
    const changed = next("view.changed");
    const [written] = await s.write("channel.message", { content: "hello, readers" });
    expect(written).toMatchObject({ status: "accepted" });
    const change = await changed;
    const { frontier } = (await (await call(`/s/${s.space}/view?sections=members`, bearer(await s.token(s.owner)))).json()) as { frontier: number };
    expect(change.frontier).toBe(frontier);
  });
});
