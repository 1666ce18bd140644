/**
 * One socket, two protocols: decodes each frame strictly and routes it to the space's Yjs
 * room (y-protocols, types 0–3) or its log room (type 100). A frame that cannot be decoded
 * closes that socket with its documented code (docs/PROTOCOL.md) before anything is applied.
 * A socket that lost its read right (its host closes it: core/space/door.ts) is ignored.
 */
import { TEXT_FRAME_ERROR, decodeClientFrame } from "../yjs/frames.js";
import type { LogPeer, LogRoom } from "./log-room.js";
import type { RoomPeer, YjsRoom } from "./yjs-room.js";

export type SocketPeer = RoomPeer & LogPeer;

export function routeFrame(peer: SocketPeer, data: Uint8Array | string, yjs: YjsRoom, log: LogRoom): Promise<void> | void {
  if (!peer.readable) return;
  if (typeof data === "string") return peer.close(TEXT_FRAME_ERROR.closeCode, TEXT_FRAME_ERROR.code);
  const decoded = decodeClientFrame(data);
  if (!decoded.ok) return peer.close(decoded.error.closeCode, decoded.error.code);
  if (decoded.frame.kind === "log") return log.onMessage(peer, decoded.frame.json);
  return yjs.onFrame(peer, decoded.frame);
}
