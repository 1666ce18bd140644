/**
 * A minimal y-protocols client for tests inside workerd: a real WebSocket to the Worker,
 * a real Y.Doc and Awareness, and promises that resolve on what arrives (never on time).
 * `openSpace` makes a real space first (a genesis and members posted to the edge), since
 * the door lets nobody into a space that has none, and mints its members' tokens.
 */
import { exports } from "cloudflare:workers";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { Role } from "../../core/log/ids.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import { decodePermissionDenied, encodeAwareness, encodeSyncStep1, encodeUpdate } from "../../core/yjs/frames.js";
import { chainWriter } from "./chain-writer.js";

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

  static async connect(space: string, query = "", headers: Record<string, string> = {}): Promise<TestClient> {
    const res = await upgrade(space, query, headers);
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

/** Asks for the space's socket; the Response carries either the socket or the door's refusal. */
export const upgrade = (space: string, query = "", headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://edge.test/s/${space}${query}`, { headers: { Upgrade: "websocket", ...headers } });

/** A fresh space name per test, so tests never share a Durable Object. */
export const freshSpace = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

export const call = (path: string, init?: RequestInit) => exports.default.fetch(`http://edge.test${path}`, init);

export interface TestSpace {
  space: string;
  owner: Ed25519Signer;
  /** The members added after the genesis, by the names they were given. */
  members: Record<string, Ed25519Signer>;
  /** A self-issued token for `signer` at the edge's committed epoch (claims may be overridden). */
  token(signer: Ed25519Signer, claims?: Partial<Parameters<typeof issueCapability>[1]>): Promise<string>;
  /** A synced socket as `signer` (`?token=`), or anonymous with null. */
  connect(signer: Ed25519Signer | null, query?: string): Promise<TestClient>;
  /** Writes and posts more of the owner's envelopes; their results. */
  write<T extends EnvelopeType>(type: T, body: BodyOf<T>): Promise<Array<{ status: string; code?: string }>>;
}

/** A space the edge sequences: the owner's genesis, then one member per `members` entry (name → role). */
export async function openSpace(
  label: string,
  options: { visibility?: "private" | "public-read"; members?: Record<string, Role> } = {},
): Promise<TestSpace> {
  const space = freshSpace(label);
  const owner = await Ed25519Signer.generate();
  const { sequencer } = (await (await call(`/s/${space}/log/state`)).json()) as { sequencer: string };
  const chain = chainWriter(space, owner);
  const post = async () => {
    const envelopes = chain.envelopes.splice(0);
    const res = await call(`/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) });
    return ((await res.json()) as { results: Array<{ status: string; code?: string }> }).results;
  };
  await chain.write("space.created", { owners: [owner.did], sequencer: sequencer as never, ...(options.visibility ? { visibility: options.visibility } : {}) });
  const members: Record<string, Ed25519Signer> = {};
  for (const [name, role] of Object.entries(options.members ?? {})) {
    members[name] = await Ed25519Signer.generate();
    await chain.write("member.added", { member: members[name]!.did, role, domains: [], name });
  }
  const results = await post();
  if (results.some((r) => r.status !== "accepted")) throw new Error(`the space was not set up: ${JSON.stringify(results)}`);
  const token: TestSpace["token"] = async (signer, claims = {}) => {
    const { epoch } = (await (await call(`/s/${space}/log/state`)).json()) as { epoch: number };
    return issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch, ...claims });
  };
  return {
    space, owner, members, token,
    connect: async (signer, query = "") =>
      TestClient.connect(space, signer === null ? query : `${query ? `${query}&` : "?"}token=${await token(signer)}`),
    write: async (type, body) => {
      await chain.write(type, body);
      return post();
    },
  };
}

export async function presenceOf(space: string, token?: string) {
  const res = await call(`/s/${space}/presence`, token === undefined ? undefined : { headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /presence answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as {
    participants: Array<{ clientId: number; name: string; mode: string; kind: string; id: string; focus?: string | null }>;
    anonymous: number;
  };
}
