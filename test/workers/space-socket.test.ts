/**
 * The space socket inside workerd: y-protocols sync and awareness through the real Worker
 * and SpaceDO, and every refusal the socket documents (docs/PROTOCOL.md).
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Refusal } from "../../core/space/yjs-room.js";
import { MAX_FRAME_BYTES, encodeAwareness, encodeUpdate } from "../../core/yjs/frames.js";
import { openSpace, presenceOf } from "./socket-client.js";

/** A space with Andy (human) and George (agent) as named members; presence names them from the log. */
const cast = () => openSpace("cast", { members: { Andy: "human", George: "agent" } });
const presenceFor = (did: string, mode: string, focus: string | null) => ({ id: did, name: "Mallory", kind: "agent", mode, focus });

describe("sync", () => {
  it("two clients converge and a third joining later receives the full state", async () => {
    const s = await openSpace("sync", { members: { Bob: "human" } });
    const a = await s.connect(s.owner);
    const b = await s.connect(s.members.Bob!);
    a.doc.getText("body").insert(0, "hello ");
    b.doc.getText("body").insert(0, "world");
    await a.until(() => a.text().length === 11);
    await b.until(() => b.text().length === 11);
    expect(a.text()).toBe(b.text());
    const c = await s.connect(s.owner);
    expect(c.text()).toBe(a.text());
  });
});

describe("bad input on the socket", () => {
  /** Sets up a space with content, a bystander and an attacker socket. */
  async function scene() {
    const s = await cast();
    const writer = await s.connect(s.members.Andy!);
    writer.doc.getText("body").insert(0, "kept");
    const bystander = await s.connect(s.owner);
    await bystander.until(() => bystander.text() === "kept");
    const attacker = await s.connect(s.members.George!);
    /** Proves nothing changed and the space still serves everyone else. */
    const unchanged = async () => {
      const fresh = await s.connect(s.owner);
      expect(Y.encodeStateAsUpdate(fresh.doc)).toEqual(Y.encodeStateAsUpdate(writer.doc));
      expect(fresh.text()).toBe("kept");
      writer.doc.getText("body").insert(4, "!");
      await bystander.until(() => bystander.text() === "kept!");
    };
    return { s, space: s.space, writer, bystander, attacker, unchanged };
  }

  const closing: Array<[string, () => Uint8Array | string, number, string]> = [
    ["an empty frame", () => new Uint8Array(0), 1007, "frame-empty"],
    ["a garbage frame", () => new Uint8Array([0x80, 0x80, 0x80]), 1007, "frame-malformed"],
    ["a frame over the size limit", () => encodeUpdate(new Uint8Array(MAX_FRAME_BYTES)), 1009, "frame-too-large"],
    ["an unknown message type", () => new Uint8Array([42, 0]), 1003, "frame-unknown-type"],
    ["an unknown sync type", () => new Uint8Array([0, 9, 0]), 1003, "frame-unknown-type"],
    ["a text frame", () => "hello", 1003, "frame-text-unsupported"],
    ["a well-framed update that is not a Yjs update", () => encodeUpdate(new Uint8Array([5, 200, 1, 7, 7, 7, 7])), 1007, "frame-malformed"],
    ["a malformed awareness update", () => encodeAwareness(new Uint8Array([3, 1])), 1007, "awareness-malformed"],
  ];

  for (const [what, frame, code, reason] of closing) {
    it(`${what} closes that socket with ${code} ${reason}; the document is unchanged`, async () => {
      const { attacker, unchanged } = await scene();
      attacker.send(frame());
      expect(await attacker.closed).toEqual({ code, reason });
      await unchanged();
    });
  }

  it("a presence with invalid fields is refused and not shown", async () => {
    const { s, attacker, unchanged } = await scene();
    attacker.setPresence({ id: s.members.George!.did, mode: "active", kind: "robot" });
    expect(await attacker.closed).toEqual({ code: 1007, reason: "awareness-invalid-state" });
    expect((await presenceOf(s.space, await s.token(s.owner))).participants).toEqual([]);
    await unchanged();
  });

  it("writes from an observer connection are refused; it still syncs and shows presence", async () => {
    const { s, writer, unchanged } = await scene();
    const george = s.members.George!;
    const observer = await s.connect(george, "?role=observer");
    expect(observer.text()).toBe("kept");
    observer.doc.getText("body").insert(0, "forged ");
    await observer.until(() => observer.denied.length === 1);
    expect(observer.denied).toEqual([Refusal.readOnly]);
    observer.setPresence(presenceFor(george.did, "monitoring", null));
    await writer.until(() => writer.awareness.getStates().size === 1);
    expect((await presenceOf(s.space, await s.token(s.owner))).participants.map((p) => [p.name, p.kind])).toEqual([["George", "agent"]]);
    await unchanged();
    await observer.until(() => observer.text().endsWith("kept!"));
  });

  it("awareness for another connection's client id is refused", async () => {
    const { s, writer, attacker, bystander } = await scene();
    const andy = presenceFor(s.members.Andy!.did, "active", "work/1");
    writer.setPresence(andy);
    await bystander.until(() => bystander.awareness.getStates().has(writer.doc.clientID));
    attacker.setPresence({ ...andy, id: s.members.George!.did, mode: "away" }, writer.doc.clientID);
    await attacker.until(() => attacker.denied.length === 1);
    expect(attacker.denied).toEqual([Refusal.awarenessNotYours]);
    attacker.setPresence(null, writer.doc.clientID);
    await attacker.until(() => attacker.denied.length === 2);
    const presence = await presenceOf(s.space, await s.token(s.owner));
    expect(presence.participants).toEqual([{ clientId: writer.doc.clientID, id: andy.id, name: "Andy", kind: "human", mode: "active", focus: "work/1" }]);
    expect(bystander.awareness.getStates().get(writer.doc.clientID)).toEqual(andy);
  });
});

describe("presence", () => {
  it("shows who is here in which mode, named by the membership, and a connection's states go when it closes", async () => {
    const s = await cast();
    const a = await s.connect(s.members.Andy!);
    const b = await s.connect(s.members.George!);
    a.setPresence(presenceFor(s.members.Andy!.did, "active", null));
    b.setPresence(presenceFor(s.members.George!.did, "monitoring", null));
    await a.until(() => a.awareness.getStates().size === 2);
    const here = await presenceOf(s.space, await s.token(s.owner));
    expect(here.participants.map((p) => [p.name, p.kind, p.mode])).toEqual([
      ["Andy", "human", "active"],
      ["George", "agent", "monitoring"],
    ]);
    b.close();
    await a.until(() => a.awareness.getStates().size === 1);
    expect((await presenceOf(s.space, await s.token(s.owner))).participants.map((p) => p.name)).toEqual(["Andy"]);
  });
});
