/**
 * Just enough of the y-protocols framing for benchmark clients, in two flavours:
 * "y" (plain y-protocols: y-websocket, @y/websocket-server, the Commons edge) and "hp"
 * (Hocuspocus: every message starts with varString(documentName), and the first one is an
 * auth token message).
 *
 * Timestamps travel inside the Yjs payload: each benchmark update stores a 12-byte binary
 * value (8 magic bytes + uint32 sequence number) in a Y.Map. Yjs copies binary content
 * verbatim into updates (and into merged updates), so a light client finds every sequence
 * number with `Buffer.indexOf` and never decodes Yjs.
 */
import * as encoding from "lib0/encoding";

export const MAGIC = Buffer.from([0xc0, 0x4d, 0x0a, 0xb5, 0x7e, 0x11, 0x9a, 0x3f]);

export function marker(seq) {
  const b = new Uint8Array(12);
  b.set(MAGIC);
  new DataView(b.buffer).setUint32(8, seq, true);
  return b;
}

/** Calls `onSeq` for every marker in `buf` (a Buffer), in order. */
export function scanMarkers(buf, onSeq) {
  let i = buf.indexOf(MAGIC);
  while (i !== -1 && i + 12 <= buf.length) {
    onSeq(buf.readUInt32LE(i + 8));
    i = buf.indexOf(MAGIC, i + 12);
  }
}

export function readVarUint(buf, pos) {
  let num = 0;
  let mult = 1;
  for (;;) {
    const b = buf[pos.i++];
    if (b === undefined) throw new RangeError("truncated varint");
    num += (b & 0x7f) * mult;
    if (b < 0x80) return num;
    mult *= 128;
  }
}

export class Framer {
  constructor(flavor, docName) {
    this.flavor = flavor;
    this.docName = docName;
  }
  #start() {
    const e = encoding.createEncoder();
    if (this.flavor === "hp") encoding.writeVarString(e, this.docName);
    return e;
  }
  auth() {
    const e = this.#start();
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, "");
    return encoding.toUint8Array(e);
  }
  sync(sub, payload) {
    const e = this.#start();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, sub);
    encoding.writeVarUint8Array(e, payload);
    return encoding.toUint8Array(e);
  }
  step1(stateVector) {
    return this.sync(0, stateVector);
  }
  step2(update) {
    return this.sync(1, update);
  }
  update(update) {
    return this.sync(2, update);
  }
  /** Frames to send when the socket opens. */
  hello(stateVector) {
    return this.flavor === "hp" ? [this.auth(), this.step1(stateVector)] : [this.step1(stateVector)];
  }
  /**
   * Parses the header of an incoming frame. Returns { kind, payloadStart, payloadEnd } where
   * kind is "step1" | "step2" | "update" | "other"; the payload is the varBytes content.
   */
  parse(buf) {
    const pos = { i: 0 };
    if (this.flavor === "hp") {
      const len = readVarUint(buf, pos);
      pos.i += len;
    }
    const type = readVarUint(buf, pos);
    if (type !== 0 && type !== 4) return { kind: "other", type };
    const sub = readVarUint(buf, pos);
    const len = readVarUint(buf, pos);
    const kind = sub === 0 ? "step1" : sub === 1 ? "step2" : sub === 2 ? "update" : "other";
    return { kind, type, payloadStart: pos.i, payloadEnd: pos.i + len };
  }
}

export const EMPTY_STATE_VECTOR = new Uint8Array([0]);
export const EMPTY_UPDATE = new Uint8Array([0, 0]);
