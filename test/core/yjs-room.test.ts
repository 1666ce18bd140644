/**
 * YjsRoom's update path in Node, over node:sqlite: how queued updates are applied, stored
 * and sent, and the hint it gives its host's scheduler. The socket behaviour around it is
 * tested inside workerd (test/workers/space-socket.test.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { NodeSql } from "../../client/node/sqlite.js";
import type { Did } from "../../core/identity/did.js";
import { YjsRoom, type RoomPeer } from "../../core/space/yjs-room.js";
import { decodeClientFrame } from "../../core/yjs/frames.js";
import { YUpdateStore } from "../../core/yjs/update-store.js";

/** A peer that records what the room sends it (the transport's side of RoomPeer). */
class RecordingPeer implements RoomPeer {
  readonly sent: Uint8Array[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly did = "did:key:z6MkRecording" as Did;
  readonly readable = true;
  readonly writable = true;
  constructor(readonly id: string) {}
  send(frame: Uint8Array): void {
    this.sent.push(frame);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  ownedAwareness() {
    return {};
  }
  updates(): Uint8Array[] {
    // Server and client frames share the y-protocols layout.
    return this.sent.map((f) => decodeClientFrame(f)).flatMap((d) => (d.ok && d.frame.kind === "update" ? [d.frame.update] : []));
  }
}

let open: NodeSql[] = [];
afterEach(() => {
  for (const db of open) db.close();
  open = [];
});

function roomWith(peers: RecordingPeer[], options: ConstructorParameters<typeof YjsRoom>[2] = {}) {
  const sql = new NodeSql(":memory:");
  open.push(sql);
  const store = new YUpdateStore(sql);
  const room = new YjsRoom(store, { peers: () => peers, rememberAwareness: () => {}, member: () => undefined }, options);
  room.load();
  return { room, store };
}

/** `count` separate edits from one client, each as the update its doc emitted. */
function edits(count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => out.push(u));
  for (let i = 0; i < count; i++) doc.getText("body").insert(i, "x");
  return out;
}

describe("YjsRoom: queued updates", () => {
  it("a burst between two flushes is applied in one transaction, stored as one row, sent as one frame to every peer", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const flushes: Array<() => void> = [];
    const { room, store } = roomWith([a, b], { schedule: (flush) => flushes.push(flush) });
    let transactions = 0;
    room.doc.on("afterTransaction", () => transactions++);

    for (const update of edits(100)) room.onFrame(a, { kind: "update", update });
    expect(room.doc.getText("body").length).toBe(0); // queued, not applied yet
    expect(flushes).toHaveLength(1);
    flushes[0]!();

    expect(transactions).toBe(1);
    expect(room.doc.getText("body").toString()).toBe("x".repeat(100));
    expect(store.rows().map((r) => r.updates)).toEqual([100]);
    expect(a.updates()).toHaveLength(1);
    expect(b.updates()).toHaveLength(1);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, b.updates()[0]!);
    expect(replica.getText("body").toString()).toBe("x".repeat(100));
  });

  it("a value overwritten later in the same burst still reaches the peers as sent; storage keeps only the outcome", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const flushes: Array<() => void> = [];
    const { room, store } = roomWith([a, b], { schedule: (flush) => flushes.push(flush) });
    const writer = new Y.Doc();
    const sent: Uint8Array[] = [];
    writer.on("update", (u: Uint8Array) => sent.push(u));
    for (const value of [1, 2, 3]) writer.getMap("m").set("k", value);
    for (const update of sent) room.onFrame(a, { kind: "update", update });
    flushes[0]!();
    const valuesIn = (update: Uint8Array) =>
      Y.decodeUpdate(update).structs.flatMap((s) => (s instanceof Y.Item && s.content instanceof Y.ContentAny ? s.content.getContent() : []));
    const [frame] = b.updates();
    expect(valuesIn(frame!)).toEqual([1, 2, 3]);
    expect(room.doc.getMap("m").get("k")).toBe(3);
    // What is stored is the document's change: the overwritten values are already collected.
    const [row] = store.rows();
    expect(valuesIn(row!.data)).toEqual([3]);
    expect(row!.updates).toBe(3);
  });

  it("a burst longer than 500 updates is flushed in parts of at most 500 (Y.mergeUpdates grows superlinearly)", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const flushes: Array<() => void> = [];
    const { room, store } = roomWith([a, b], { schedule: (flush) => flushes.push(flush), compactEvery: 10_000 });
    for (const update of edits(1200)) room.onFrame(a, { kind: "update", update });
    flushes.forEach((flush) => flush());
    expect(store.rows().map((r) => r.updates)).toEqual([500, 500, 200]);
    expect(room.doc.getText("body").length).toBe(1200);
  });

  it("a lone update goes to everyone but its sender", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const { room } = roomWith([a, b]);
    room.onFrame(a, { kind: "update", update: edits(1)[0]! });
    expect(a.updates()).toHaveLength(0);
    expect(b.updates()).toHaveLength(1);
  });

  it("an update the document already has stores and sends nothing", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const { room, store } = roomWith([a, b]);
    const [update] = edits(1);
    room.onFrame(a, { kind: "update", update: update! });
    room.onFrame(a, { kind: "update", update: update! });
    room.onFrame(b, { kind: "sync-step2", update: Y.encodeStateAsUpdate(room.doc) });
    expect(store.rows()).toHaveLength(1);
    expect(b.updates()).toHaveLength(1);
    expect(a.updates()).toHaveLength(0);
  });

  it("garbage in a burst closes only its sender; the others' queued updates still land", () => {
    const a = new RecordingPeer("a");
    const b = new RecordingPeer("b");
    const flushes: Array<() => void> = [];
    const { room, store } = roomWith([a, b], { schedule: (flush) => flushes.push(flush) });
    const good = edits(3);
    room.onFrame(a, { kind: "update", update: good[0]! });
    room.onFrame(b, { kind: "update", update: new Uint8Array([5, 200, 1, 2, 3]) });
    room.onFrame(a, { kind: "update", update: good[1]! });
    flushes.forEach((flush) => flush());
    expect(b.closed).toEqual({ code: 1007, reason: "frame-malformed" });
    expect(a.closed).toBeNull();
    expect(room.doc.getText("body").toString()).toBe("xx");
    expect(store.rows().map((r) => r.updates)).toEqual([2]);
  });

  it("tells the scheduler whether an update came after a pause (flush now) or inside a burst (wait a turn)", () => {
    const a = new RecordingPeer("a");
    let clock = 1000;
    const hints: boolean[] = [];
    const { room } = roomWith([a], {
      now: () => clock,
      quietMs: 2,
      schedule: (flush, { quiet }) => {
        hints.push(quiet);
        flush();
      },
    });
    const updates = edits(4);
    room.onFrame(a, { kind: "update", update: updates[0]! }); // first ever: quiet
    clock += 0.5;
    room.onFrame(a, { kind: "update", update: updates[1]! }); // 0.5 ms later: a burst
    clock += 1.9;
    room.onFrame(a, { kind: "update", update: updates[2]! }); // still under 2 ms since the last
    clock += 5;
    room.onFrame(a, { kind: "update", update: updates[3]! }); // after a pause: quiet again
    expect(hints).toEqual([true, false, false, true]);
  });
});
