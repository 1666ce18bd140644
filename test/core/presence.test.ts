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
  it("lists full presences by name, counts modes and anonymous clients", () => {
    const george = { id: "did:key:george", name: "George", kind: "agent", mode: "monitoring" };
    const summary = summarizePresence([
      [2, george],
      [1, andy],
      [3, { cursor: 4 }],
    ]);
    expect(summary.participants.map((p) => [p.clientId, p.name, p.kind, p.mode])).toEqual([
      [1, "Andy", "human", "active"],
      [2, "George", "agent", "monitoring"],
    ]);
    expect(summary.anonymous).toBe(1);
    expect(summary.modes).toEqual({ active: 1, monitoring: 1, away: 0 });
  });
});
