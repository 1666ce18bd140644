/**
 * The space socket's binary frames: the standard y-protocols framing used by y-websocket,
 * y-partyserver and every stock Yjs provider. Pure encode/decode pairs, no I/O; the byte
 * grammar is in docs/PROTOCOL.md and frozen by golden vectors in test/core/yjs-frames.test.ts.
 *
 *   frame        = varUint(type) payload
 *   type 0 sync  = varUint(0) varBytes(stateVector)   ; sync step 1
 *                | varUint(1) varBytes(update)        ; sync step 2
 *                | varUint(2) varBytes(update)        ; incremental update
 *   type 1       = varBytes(awarenessUpdate)
 *   type 2 auth  = varUint(0) varString(reason)       ; permission denied (server → client)
 *   type 3       = (empty)                            ; query awareness
 *   type 100 log = varString(json)                    ; signed-log sync (core/log/sync-protocol.ts)
 *
 * Decoding is strict: trailing bytes, truncated lengths and unknown types are errors, so
 * a garbage frame can never be half-applied.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

/**
 * Type 100 carries the signed log beside y-protocols. The server sends it only to sockets
 * that said `log.hello`, so stock Yjs clients never see it.
 */
export const MessageType = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3, log: 100 } as const;
export const SyncType = { step1: 0, step2: 1, update: 2 } as const;

/**
 * The largest frame a space accepts from a client: 1 MiB, the same as Cloudflare's limit for
 * WebSocket messages received by a Worker, so a frame that works locally works deployed.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

export type ClientFrame =
  | { kind: "sync-step1"; stateVector: Uint8Array }
  | { kind: "sync-step2"; update: Uint8Array }
  | { kind: "update"; update: Uint8Array }
  | { kind: "awareness"; update: Uint8Array }
  | { kind: "query-awareness" }
  | { kind: "log"; json: string };

/** Why a frame was refused; `closeCode` is the WebSocket close code the space answers with. */
export type FrameErrorCode =
  | "frame-empty"
  | "frame-too-large"
  | "frame-malformed"
  | "frame-unknown-type"
  | "frame-text-unsupported";

export interface FrameError {
  code: FrameErrorCode;
  message: string;
  closeCode: number;
}

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; error: FrameError };

const fail = (code: FrameErrorCode, message: string, closeCode: number): DecodeResult => ({
  ok: false,
  error: { code, message, closeCode },
});

/** Decodes one binary frame from a client. Never throws. */
export function decodeClientFrame(bytes: Uint8Array, maxBytes = MAX_FRAME_BYTES): DecodeResult {
  if (bytes.byteLength === 0) return fail("frame-empty", "empty frame: every frame starts with a message type", 1007);
  if (bytes.byteLength > maxBytes) {
    return fail("frame-too-large", `frame of ${bytes.byteLength} bytes exceeds the ${maxBytes}-byte limit: split the update`, 1009);
  }
  try {
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    let frame: ClientFrame;
    switch (type) {
      case MessageType.sync: {
        const sub = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (sub === SyncType.step1) frame = { kind: "sync-step1", stateVector: payload };
        else if (sub === SyncType.step2) frame = { kind: "sync-step2", update: payload };
        else if (sub === SyncType.update) frame = { kind: "update", update: payload };
        else return fail("frame-unknown-type", `unknown sync message type ${sub}`, 1003);
        break;
      }
      case MessageType.awareness:
        frame = { kind: "awareness", update: decoding.readVarUint8Array(decoder) };
        break;
      case MessageType.queryAwareness:
        frame = { kind: "query-awareness" };
        break;
      case MessageType.log:
        frame = { kind: "log", json: decoding.readVarString(decoder) };
        break;
      default:
        return fail("frame-unknown-type", `unknown message type ${type}`, 1003);
    }
    if (decoding.hasContent(decoder)) {
      return fail("frame-malformed", "frame has trailing bytes after its payload", 1007);
    }
    return { ok: true, frame };
  } catch {
    // lib0 throws on truncated varints and lengths; any such frame is malformed.
    return fail("frame-malformed", "frame is truncated or not a y-protocols message", 1007);
  }
}

/** Text frames are not part of the protocol; the refusal is a decode error like any other. */
export const TEXT_FRAME_ERROR: FrameError = {
  code: "frame-text-unsupported",
  message: "text frames are not supported on the space socket: send binary y-protocols frames",
  closeCode: 1003,
};

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (stateVector: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SyncType.step1);
    encoding.writeVarUint8Array(e, stateVector);
  });

export const encodeSyncStep2 = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SyncType.step2);
    encoding.writeVarUint8Array(e, update);
  });

export const encodeUpdate = (update: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.sync);
    encoding.writeVarUint(e, SyncType.update);
    encoding.writeVarUint8Array(e, update);
  });

export const encodeAwareness = (awarenessUpdate: Uint8Array) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.awareness);
    encoding.writeVarUint8Array(e, awarenessUpdate);
  });

export const encodeQueryAwareness = () => frame((e) => encoding.writeVarUint(e, MessageType.queryAwareness));

export const encodeLog = (json: string) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.log);
    encoding.writeVarString(e, json);
  });

/** y-protocols' auth "permission denied": stock clients log it and stay connected. */
export const encodePermissionDenied = (reason: string) =>
  frame((e) => {
    encoding.writeVarUint(e, MessageType.auth);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, reason);
  });

/** Decodes a permission-denied frame (clients and tests read the server's refusals with it). */
export function decodePermissionDenied(bytes: Uint8Array): string | null {
  try {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== MessageType.auth) return null;
    if (decoding.readVarUint(decoder) !== 0) return null;
    return decoding.readVarString(decoder);
  } catch {
    return null; // not an auth frame: the caller treats it as some other message
  }
}
