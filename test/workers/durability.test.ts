/**
 * Durability inside workerd: an evicted SpaceDO reloads everything from SQLite, and sockets
 * that outlive a hibernation keep their presence and their ownership of it.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Refusal } from "../../core/space/yjs-room.js";
import { openSpace, presenceOf } from "./socket-client.js";

const stubFor = (space: string) => env.SPACES.get(env.SPACES.idFromName(space));

describe("eviction", () => {
  it("every update is in SQLite before anyone sees it, and an evicted space reloads it", async () => {
    const s = await openSpace("evict");
    const space = s.space;
    const writer = await s.connect(s.owner);
    const reader = await s.connect(s.owner);
    const text = writer.doc.getText("body");
    for (let i = 0; i < 200; i++) text.insert(text.length, `${i};`);
    await reader.until(() => reader.text() === text.toString());
    // The reader has seen all 200 updates, so all 200 must already be stored (bursts share rows).
    const stored = await runInDurableObject(stubFor(space), (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT SUM(updates) AS n FROM y_updates").one().n,
    );
    expect(stored).toBe(200);

    await evictDurableObject(stubFor(space), { webSockets: "close" });
    await writer.closed;
    const after = await s.connect(s.owner);
    expect(after.text()).toBe(text.toString());
  });

  it("sockets that hibernate through an eviction keep syncing, presence and awareness ownership", async () => {
    const s = await openSpace("hibernate", { members: { Andy: "human", Bob: "human" } });
    const space = s.space;
    const andy = { id: s.members.Andy!.did, mode: "active", focus: null };
    const a = await s.connect(s.members.Andy!);
    const b = await s.connect(s.members.Bob!);
    a.setPresence(andy);
    await b.until(() => b.awareness.getStates().has(a.doc.clientID));
    a.doc.getText("body").insert(0, "before");
    await b.until(() => b.text() === "before");

    await evictDurableObject(stubFor(space), { webSockets: "hibernate" });

    // Presence and identities were restored from the socket attachments, not lost with the instance.
    expect((await presenceOf(space, await s.token(s.owner))).participants).toEqual([{ clientId: a.doc.clientID, ...andy, name: "Andy", kind: "human" }]);
    b.setPresence({ ...andy, id: s.members.Bob!.did }, a.doc.clientID);
    await b.until(() => b.denied.length === 1);
    expect(b.denied).toEqual([Refusal.awarenessNotYours]);
    // Rights too: after the wake, Bob's own presence must still name Bob.
    b.setPresence(andy);
    await b.until(() => b.denied.length === 2);
    expect(b.denied[1]).toBe(Refusal.presenceNotYours);
    a.doc.getText("body").insert(6, " and after");
    await b.until(() => b.text() === "before and after");
  });

  it("a space with 10,000 stored updates wakes with all of them, compacted into chunks", async () => {
    const s = await openSpace("bulk");
    const space = s.space;
    const writer = await s.connect(s.owner);
    const list = writer.doc.getArray<number>("items");
    for (let i = 0; i < 10_000; i++) list.push([i]);
    const reader = await s.connect(s.owner);
    await reader.until(() => reader.doc.getArray("items").length === 10_000);
    writer.close();
    reader.close();
    await evictDurableObject(stubFor(space), { webSockets: "close" });
    const after = await s.connect(s.owner);
    expect(after.doc.getArray<number>("items").toArray()).toEqual(list.toArray());
    const stats = await runInDurableObject(stubFor(space), (_i, state) =>
      state.storage.sql
        .exec<{ rows: number; merged: number; biggest: number }>(
          "SELECT COUNT(*) AS rows, SUM(updates) AS merged, MAX(LENGTH(data)) AS biggest FROM y_updates",
        )
        .one(),
    );
    expect(stats.merged).toBe(10_000);
    expect(stats.rows).toBeLessThan(100);
    expect(stats.biggest).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 240_000);
});
