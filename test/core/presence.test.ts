/** Presence on awareness: strict decoding, typed presence fields, "who is here". */
import { describe, expect, it } from "vitest";
import {
  MAX_AWARENESS_STATE_BYTES,
  decodeAwarenessUpdate,
  encodeAwarenessEntries,
  summarizePresence,
} from "../../core/space/presence.js";

const andy = { id: "did:key:andy", name: "Andy", kind: "human", mode: "active", focus: "work/1" };

describe("decodeAwarenessUpdate", () => {
  it("round-trips entries, including removals", () => {
    const update = encodeAwarenessEntries([
      { clientId: 7, clock: 3, state: andy },
      { clientId: 8, clock: 1, state: null },
    ]);
    const decoded = decodeAwarenessUpdate(update);
    expect(decoded.ok && decoded.entries.map((e) => [e.clientId, e.clock, e.state])).toEqual([
      [7, 3, andy],
      [8, 1, null],
    ]);
  });

  it("accepts stock editor states without presence fields", () => {
    const decoded = decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 1, clock: 0, state: { user: { color: "#f00" } } }]));
    expect(decoded.ok).toBe(true);
  });

  it("refuses presence fields of the wrong type, naming the field", () => {
    const decoded = decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 1, clock: 0, state: { ...andy, mode: "busy" } }]));
    expect(decoded).toMatchObject({ ok: false, code: "awareness-invalid-state" });
    expect(!decoded.ok && decoded.message).toContain("mode");
  });

  it("refuses non-object states, oversize states and malformed bytes", () => {
    expect(decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 1, clock: 0, state: 5 }]))).toMatchObject({ ok: false, code: "awareness-invalid-state" });
    const big = { note: "x".repeat(MAX_AWARENESS_STATE_BYTES) };
    expect(decodeAwarenessUpdate(encodeAwarenessEntries([{ clientId: 1, clock: 0, state: big }]))).toMatchObject({ ok: false, code: "awareness-invalid-state" });
    expect(decodeAwarenessUpdate(new Uint8Array([2, 1]))).toMatchObject({ ok: false, code: "awareness-malformed" });
    expect(decodeAwarenessUpdate(new Uint8Array([1, 1, 0, 1, 123]))).toMatchObject({ ok: false, code: "awareness-malformed" });
  });
});

describe("summarizePresence", () => {
  const andyDid = "did:key:z6MkAndy";
  const georgeDid = "did:key:z6MkGeorge";
  const members = new Map([
    [andyDid, { role: "owner", name: "Andy" }],
    [georgeDid, { role: "agent", name: "George" }],
  ]);
  const owned = (clientId: number, state: Record<string, unknown>, did: string | null) => ({ clientId, state, did, member: did === null ? undefined : members.get(did) });

  it("lists verified members by name, named and kinded by the membership; counts modes and the rest", () => {
    const summary = summarizePresence([
      owned(2, { id: georgeDid, name: "Not George", kind: "human", mode: "monitoring" }, georgeDid),
      owned(1, { id: andyDid, mode: "active", focus: "work/1" }, andyDid),
      owned(3, { cursor: 4 }, andyDid),
    ]);
    expect(summary.participants).toEqual([
      { clientId: 1, id: andyDid, name: "Andy", kind: "human", mode: "active", focus: "work/1" },
      { clientId: 2, id: georgeDid, name: "George", kind: "agent", mode: "monitoring" },
    ]);
    expect(summary.anonymous).toBe(1);
    expect(summary.modes).toEqual({ active: 1, monitoring: 1, away: 0 });
  });

  it("never lists a state whose connection is anonymous, a non-member, or another identity", () => {
    const summary = summarizePresence([
      owned(1, { ...andy, id: andyDid }, null),
      owned(2, { ...andy, id: "did:key:z6MkStranger" }, "did:key:z6MkStranger"),
      owned(3, { ...andy, id: andyDid }, georgeDid),
      owned(4, { id: andyDid }, andyDid),
    ]);
    expect(summary.participants).toEqual([]);
    expect(summary.anonymous).toBe(4);
  });

  it("a member without a name in the log is shown by its did", () => {
    const summary = summarizePresence([{ clientId: 1, state: { id: andyDid, mode: "away" }, did: andyDid, member: { role: "owner" } }]);
    expect(summary.participants).toEqual([{ clientId: 1, id: andyDid, name: andyDid, kind: "human", mode: "away" }]);
  });
});
