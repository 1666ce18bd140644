/**
 * End to end: a real `wrangler dev` and stock Yjs clients, some in their own OS processes,
 * over real WebSockets on loopback. The spaces are private: each client shows the door a
 * member's capability token in the URL (`params: { token }`), as a stock client can.
 */
import { describe, expect, it } from "vitest";
import YProvider from "y-partyserver/provider";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { useEdge } from "../support/edge.js";
import { startEditor } from "../support/editor-process.js";
import { ownedSpace } from "../support/owned-space.js";

const edgeOf = useEdge();

/** Resolves when `provider` has completed its first sync with the edge. */
const synced = (provider: { on(event: "sync", f: (s: boolean) => void): void; synced: boolean }) =>
  new Promise<void>((resolve) => (provider.synced ? resolve() : provider.on("sync", (s) => s && resolve())));

/** Resolves when `predicate` holds for `doc`, re-checked on every update. */
const docUntil = (doc: Y.Doc, predicate: () => boolean) =>
  new Promise<void>((resolve) => {
    if (predicate()) return resolve();
    const check = () => {
      if (!predicate()) return;
      doc.off("update", check);
      resolve();
    };
    doc.on("update", check);
  });

describe("a space through wrangler dev", () => {
  it("two editors in separate processes converge; a third joining later receives the full state", async () => {
    const base = `${edgeOf().ws}/s`;
    const s = await ownedSpace(edgeOf().http, "converge", { members: { Bob: "human", Carol: "agent" } });
    const a = startEditor(base, "converge", "alice", await s.token(s.owner));
    const b = startEditor(base, "converge", "bob", await s.token(s.members.Bob!));
    await Promise.all([a.synced, b.synced]);
    await Promise.all([a.request({ op: "edit", count: 300 }), b.request({ op: "edit", count: 300 })]);
    const [fromA, fromB] = await Promise.all([
      a.request<{ entries: string[] }>({ op: "await", count: 600 }),
      b.request<{ entries: string[] }>({ op: "await", count: 600 }),
    ]);
    expect(fromA.entries).toHaveLength(600);
    expect(fromA.entries).toEqual(fromB.entries);
    a.kill();
    b.kill();

    const c = startEditor(base, "converge", "carol", await s.token(s.members.Carol!));
    await c.synced;
    const fromC = await c.request<{ entries: string[] }>({ op: "await", count: 600 });
    expect(fromC.entries).toEqual(fromA.entries);
    c.kill();
  });

  it("a stock y-websocket WebsocketProvider syncs, and awareness carries the presence fields", async () => {
    const s = await ownedSpace(edgeOf().http, "incident-42", { members: { Andy: "human", George: "agent" } });
    const andy = { id: s.members.Andy!.did, name: "Andy", kind: "human", mode: "active", focus: "work/7" };
    const george = { id: s.members.George!.did, name: "George", kind: "agent", mode: "monitoring", focus: null };
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    // disableBc: both providers live in this process; they must meet only through the edge.
    const a = new WebsocketProvider(`${edgeOf().ws}/s`, "incident-42", docA, { disableBc: true, params: { token: await s.token(s.members.Andy!) } });
    const b = new WebsocketProvider(`${edgeOf().ws}/s`, "incident-42", docB, { disableBc: true, params: { token: await s.token(s.members.George!) } });
    try {
      await Promise.all([synced(a), synced(b)]);
      docA.getText("notes").insert(0, "root cause: expired cert");
      await docUntil(docB, () => docB.getText("notes").toString() === "root cause: expired cert");

      a.awareness.setLocalState(andy);
      b.awareness.setLocalState(george);
      await new Promise<void>((resolve) => {
        const check = () => a.awareness.getStates().size === 2 && b.awareness.getStates().size === 2 && resolve();
        a.awareness.on("change", check);
        b.awareness.on("change", check);
        check();
      });
      expect(b.awareness.getStates().get(docA.clientID)).toEqual(andy);
      const res = await fetch(`${edgeOf().http}/s/incident-42/presence`, await s.as(s.owner));
      const presence = (await res.json()) as { participants: unknown[]; modes: Record<string, number> };
      expect(presence.participants).toEqual([
        { clientId: docA.clientID, ...andy },
        { clientId: docB.clientID, ...george },
      ]);
      expect(presence.modes).toEqual({ active: 1, monitoring: 1, away: 0 });
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it("y-partyserver's YProvider syncs with the same space (prefix /s/<space>)", async () => {
    const host = `127.0.0.1:${edgeOf().port}`;
    const s = await ownedSpace(edgeOf().http, "shared");
    const docP = new Y.Doc();
    const docW = new Y.Doc();
    // YProvider asks for its params before every connection: a fresh token each time.
    const party = new YProvider(host, "shared", docP, { prefix: "/s/shared", disableBc: true, params: async () => ({ token: await s.token(s.owner) }) });
    const stock = new WebsocketProvider(`${edgeOf().ws}/s`, "shared", docW, { disableBc: true, params: { token: await s.token(s.owner) } });
    try {
      await Promise.all([synced(party), synced(stock)]);
      docP.getMap("meta").set("title", "Q1 launch");
      await docUntil(docW, () => docW.getMap("meta").get("title") === "Q1 launch");
      docW.getMap("meta").set("owner", "andy");
      await docUntil(docP, () => docP.getMap("meta").get("owner") === "andy");
      // What both providers wrote is the edge's, stored: a third, fresh client gets all of it.
      const docF = new Y.Doc();
      const fresh = new WebsocketProvider(`${edgeOf().ws}/s`, "shared", docF, { disableBc: true, params: { token: await s.token(s.owner) } });
      await synced(fresh);
      fresh.destroy();
      expect(docF.getMap("meta").toJSON()).toEqual({ title: "Q1 launch", owner: "andy" });
      expect(docP.getMap("meta").toJSON()).toEqual(docW.getMap("meta").toJSON());
    } finally {
      party.destroy();
      stock.destroy();
    }
  });
});
