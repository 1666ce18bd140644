/** The space socket's frame codec: golden vectors freeze the bytes; decoding is strict. */
import { describe, expect, it } from "vitest";
import {
  MAX_FRAME_BYTES,
  decodeClientFrame,
  decodePermissionDenied,
  encodeAwareness,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../../core/yjs/frames.js";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("frame encoders (golden vectors)", () => {
  it("writes the y-protocols bytes", () => {
    expect([...encodeSyncStep1(bytes(0))]).toEqual([0, 0, 1, 0]);
    expect([...encodeSyncStep2(bytes(0, 0))]).toEqual([0, 1, 2, 0, 0]);
    expect([...encodeUpdate(bytes(0, 0))]).toEqual([0, 2, 2, 0, 0]);
    expect([...encodeAwareness(bytes(1, 7, 1, 2, 123, 125))]).toEqual([1, 6, 1, 7, 1, 2, 123, 125]);
    expect([...encodeQueryAwareness()]).toEqual([3]);
    expect([...encodePermissionDenied("no")]).toEqual([2, 0, 2, 110, 111]);
  });

  it("decodes what it encodes", () => {
    expect(decodeClientFrame(encodeSyncStep1(bytes(1, 2)))).toEqual({ ok: true, frame: { kind: "sync-step1", stateVector: bytes(1, 2) } });
    expect(decodeClientFrame(encodeSyncStep2(bytes(0, 0)))).toEqual({ ok: true, frame: { kind: "sync-step2", update: bytes(0, 0) } });
    expect(decodeClientFrame(encodeUpdate(bytes(0, 0)))).toEqual({ ok: true, frame: { kind: "update", update: bytes(0, 0) } });
    expect(decodeClientFrame(encodeAwareness(bytes(0)))).toEqual({ ok: true, frame: { kind: "awareness", update: bytes(0) } });
    expect(decodeClientFrame(encodeQueryAwareness())).toEqual({ ok: true, frame: { kind: "query-awareness" } });
    expect(decodePermissionDenied(encodePermissionDenied("read-only"))).toBe("read-only");
    expect(decodePermissionDenied(encodeUpdate(bytes(0, 0)))).toBeNull();
  });
});

describe("decodeClientFrame refuses bad frames with a code and a close code", () => {
  const refused = (frame: Uint8Array, max?: number) => {
    const result = decodeClientFrame(frame, max);
    if (result.ok) throw new Error("expected a refusal");
    return [result.error.code, result.error.closeCode];
  };

  it("empty", () => expect(refused(bytes())).toEqual(["frame-empty", 1007]));
  it("over the size limit", () => {
    expect(refused(new Uint8Array(MAX_FRAME_BYTES + 1))).toEqual(["frame-too-large", 1009]);
    expect(refused(encodeUpdate(new Uint8Array(100)), 50)).toEqual(["frame-too-large", 1009]);
  });
  it("unknown message type", () => expect(refused(bytes(9, 0))).toEqual(["frame-unknown-type", 1003]));
  it("unknown sync sub-type", () => expect(refused(bytes(0, 7, 0))).toEqual(["frame-unknown-type", 1003]));
  it("auth frames from a client", () => expect(refused(encodePermissionDenied("x"))).toEqual(["frame-unknown-type", 1003]));
  it("truncated payload length", () => expect(refused(bytes(0, 2, 10, 1, 2))).toEqual(["frame-malformed", 1007]));
  it("truncated varint", () => expect(refused(bytes(0, 0x80))).toEqual(["frame-malformed", 1007]));
  it("trailing bytes", () => expect(refused(bytes(0, 2, 2, 0, 0, 99))).toEqual(["frame-malformed", 1007]));
});
