/**
 * Opens a space's socket for its signed log: a standard WebSocket (browsers, Node ≥ 22,
 * workerd) driving a LogSyncClient against a local LogReplica. The Yjs frames the space
 * also sends on this socket are handed to `onYjsFrame` (or ignored). A private space's door
 * wants a capability token: `token` rides as `?token=` (the one credential every WebSocket
 * client can send; docs/PROTOCOL.md).
 */
import { MessageType } from "../../core/yjs/frames.js";
import * as decoding from "lib0/decoding";
import { LogSyncClient, type LogSyncEvents } from "../../core/log/sync-client.js";
import type { LogReplica } from "../../core/log/replica.js";

export interface LogSocket {
  readonly sync: LogSyncClient;
  readonly ws: WebSocket;
  /** Resolves when the first catch-up finished both ways. */
  synced(): Promise<void>;
  /** Resolves the next time `predicate` holds, re-checked after every ingest from the edge. */
  until(predicate: () => boolean): Promise<void>;
  close(): void;
  /** Resolves with the close code and reason when the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
}

export interface LogSocketOptions {
  /** A capability token whose subject is who connects (e.g. self-issued: `commons token <space>`). */
  token?: string;
  live?: boolean;
  events?: LogSyncEvents;
  onYjsFrame?: (frame: Uint8Array) => void;
}

/** `url` is the space's socket URL, e.g. `ws://127.0.0.1:8787/s/incident-42`. */
export function openLogSocket(url: string, replica: LogReplica, options: LogSocketOptions = {}): Promise<LogSocket> {
  const target = new URL(url);
  if (options.token !== undefined) target.searchParams.set("token", options.token);
  const ws = new WebSocket(target);
  ws.binaryType = "arraybuffer";
  const waiters = new Set<() => void>();
  const sync = new LogSyncClient(replica, (frame) => ws.send(frame), {
    live: options.live ?? true,
    events: { ...options.events, changed: () => { options.events?.changed?.(); for (const w of [...waiters]) w(); } },
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener("close", (event) => {
      sync.fail(new Error(`the space socket closed (${event.code} ${event.reason})`));
      resolve({ code: event.code, reason: event.reason });
    }),
  );
  ws.addEventListener("message", (event) => {
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) === MessageType.log) void sync.onMessage(decoding.readVarString(decoder));
    else options.onYjsFrame?.(bytes);
  });
  return new Promise((resolve, reject) => {
    ws.addEventListener("error", () => reject(new Error(`could not open ${url}: is the edge running?`)), { once: true });
    ws.addEventListener("open", () => {
      sync.hello();
      resolve({
        sync,
        ws,
        closed,
        synced: () => sync.synced(),
        until: (predicate) =>
          new Promise((done) => {
            const check = () => {
              if (!predicate()) return;
              waiters.delete(check);
              done();
            };
            waiters.add(check);
            check();
          }),
        close: () => ws.close(1000, "done"),
      });
    }, { once: true });
  });
}
