/**
 * A minimal y-protocols client for tests inside workerd: a real WebSocket to the Worker,
 * a real Y.Doc and Awareness, and promises that resolve on what arrives (never on time).
 */
import { exports } from "cloudflare:workers";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { decodePermissionDenied, encodeAwareness, encodeSyncStep1, encodeUpdate } from "../../core/yjs/frames.js";

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly denied: string[] = [];
  readonly closed: Promise<Closed>;
  synced = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    this.awareness.setLocalState(null);
    this.closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    // Standard WebSockets deliver Blobs by default; y-protocols wants bytes.
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (e) => this.onMessage(new Uint8Array(e.data as ArrayBuffer)));
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== this) this.send(encodeUpdate(update));
    });
    this.closed.then(() => this.notify());
  }

  static async connect(space: string, query = ""): Promise<TestClient> {
    const res = await exports.default.fetch(`http://edge.test/s/${space}${query}`, { headers: { Upgrade: "websocket" } });
    if (!res.webSocket) throw new Error(`no socket: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    const client = new TestClient(res.webSocket);
    client.send(encodeSyncStep1(Y.encodeStateVector(client.doc)));
    await client.until(() => client.synced);
    return client;
  }

  send(frame: Uint8Array | string): void {
    this.ws.send(frame);
  }

  /** Sets this client's awareness state and sends it, as a provider would. */
  setPresence(state: Record<string, unknown> | null, clientId = this.doc.clientID): void {
    const clock = (this.awareness.meta.get(clientId)?.clock ?? 0) + 1;
    const bytes = encoding.createEncoder();
    encoding.writeVarUint(bytes, 1);
    encoding.writeVarUint(bytes, clientId);
    encoding.writeVarUint(bytes, clock);
    encoding.writeVarString(bytes, JSON.stringify(state));
    const update = encoding.toUint8Array(bytes);
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, "local");
    this.send(encodeAwareness(update));
  }

  text(name = "body"): string {
    return this.doc.getText(name).toString();
  }

  /** Resolves once `predicate` holds, re-checked after every message; rejects if the socket closes first. */
  until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) return resolve();
        if (this.ws.readyState >= WebSocket.CLOSING) return reject(new Error("socket closed while waiting"));
        this.waiters.push(check);
      };
      check();
    });
  }

  close(): void {
    this.ws.close(1000, "done");
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onMessage(data: Uint8Array): void {
    const denied = decodePermissionDenied(data);
    if (denied !== null) this.denied.push(denied);
    else {
      const decoder = decoding.createDecoder(data);
      const type = decoding.readVarUint(decoder);
      if (type === 0) {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, 0);
        const sub = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
        if (sub === syncProtocol.messageYjsSyncStep2) this.synced = true;
        if (encoding.length(encoder) > 1) this.send(encoding.toUint8Array(encoder));
      } else if (type === 1) {
        awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
      }
    }
    this.notify();
  }
}

/** A fresh space name per test, so tests never share a Durable Object. */
export const freshSpace = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

export async function presenceOf(space: string) {
  const res = await exports.default.fetch(`http://edge.test/s/${space}/presence`);
  return (await res.json()) as {
    participants: Array<{ clientId: number; name: string; mode: string; kind: string; id: string }>;
    anonymous: number;
  };
}
