/**
 * A space's Yjs replica and presence relay, independent of transport. The SpaceDO wires
 * hibernatable WebSockets to it; the local node's `serve` wires `ws` sockets to it. The room
 * speaks standard y-protocols (sync + awareness), so stock Yjs providers work unchanged,
 * and it enforces what the socket may do:
 *
 * - every frame is decoded strictly before anything is applied (core/yjs/frames.ts);
 *   a malformed frame closes that socket with a documented close code, nobody else notices;
 * - an update is appended to durable storage before it is broadcast to anyone;
 * - the door's rights (core/space/door.ts, kept current by the host): the document and
 *   presence go only to peers that may read; an update from a peer that may not write
 *   changes nothing and is answered with permission-denied;
 * - presence is bound to identity: an anonymous peer publishes none; a state that names an
 *   `id` names the peer's verified did; a peer owns at most MAX_OWNED_CLIENTS client ids
 *   and may set or remove only those (first come, first owned); its states go when it closes.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import type { Did } from "../identity/did.js";
import {
  type ClientFrame,
  encodeAwareness,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../yjs/frames.js";
import type { YUpdateStore } from "../yjs/update-store.js";
import { decodeAwarenessUpdate, encodeAwarenessEntries, MAX_OWNED_CLIENTS, summarizePresence, type PresenceMember, type PresenceSummary } from "./presence.js";

/** The awareness states a peer owns, kept by the transport so they survive hibernation. */
export type OwnedAwareness = Record<string, { clock: number; state: Record<string, unknown> }>;

export interface RoomPeer {
  readonly id: string;
  /** The connection's verified did:key, or null when anonymous: what its presence may name. */
  readonly did: Did | null;
  /** May receive the document and presence (the door's read right). */
  readonly readable: boolean;
  /** May change the document (the door's write right). */
  readonly writable: boolean;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /** What this peer owns, as last remembered by `RoomHost.rememberAwareness`. */
  ownedAwareness(): OwnedAwareness;
}

export interface RoomHost {
  /** Every open peer, including ones restored after hibernation. */
  peers(): Iterable<RoomPeer>;
  rememberAwareness(peer: RoomPeer, owned: OwnedAwareness): void;
  /** The committed member behind a verified did (for "who is here"), or undefined for a non-member. */
  member(did: Did): PresenceMember | undefined;
}

export interface RoomOptions {
  /** Compact stored history after this many updates (and on load past it). Default 1000. */
  compactEvery?: number;
  /**
   * Coalesces updates. `schedule(flush, { quiet })` runs `flush` soon. `quiet` says the update
   * came after a pause of at least `quietMs`: nothing else is arriving, so a host should flush
   * at the end of the current turn (the SpaceDO uses a microtask: a zero-delay timer costs over
   * a millisecond in workerd). Otherwise a burst is under way and a host should wait a turn
   * (the SpaceDO uses a zero-delay timer) so the burst becomes one stored row and one frame
   * per peer, as Hocuspocus merges. Without `schedule` every update is stored and sent at once.
   */
  schedule?: (flush: () => void, hint: { quiet: boolean }) => void;
  /** Milliseconds of silence before an update counts as quiet. Default 4: a stream of up to 250 updates/s is quiet throughout. */
  quietMs?: number;
  /** The clock for `quietMs`. Default `performance.now`. */
  now?: () => number;
}

/** Flush at once past this many pending bytes: a merged row stays far under the 2 MB limit. */
const MAX_PENDING_BYTES = 512 * 1024;
/** …or this many updates: `Y.mergeUpdates` grows faster than linearly with its input count. */
const MAX_PENDING_UPDATES = 500;

/** Why a frame was refused without closing the socket (sent as y-protocols permission-denied). */
export const Refusal = {
  readOnly: "read-only: this connection may read the document but not change it (it observes with ?role=observer, or is not a writing member: connect with a member's ?token=)",
  awarenessNotYours: "awareness-not-yours: a connection may only set the awareness of client ids it owns",
  presenceAnonymous: "presence-anonymous: an anonymous connection publishes no presence; connect with ?token=<capability token> (`commons token <space>`)",
  presenceNotYours: "presence-not-yours: an awareness state's id must be this connection's verified did",
  presenceTooMany: `presence-too-many: a connection may own at most ${MAX_OWNED_CLIENTS} awareness client ids`,
} as const;

const mergeAll = (updates: Uint8Array[]) => (updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates));

/** An empty Yjs update (no structs, empty delete set): what a read-only client's first step 2 carries. */
const isEmptyUpdate = (u: Uint8Array) => u.byteLength === 2 && u[0] === 0 && u[1] === 0;

export class YjsRoom {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** clientId → the peer that owns it, and that peer's verified did. */
  private readonly owners = new Map<number, { peer: string; did: Did | null }>();
  private readonly schedule: RoomOptions["schedule"];
  private readonly quietMs: number;
  private readonly now: () => number;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private appendsSinceCompaction = 0;
  private readonly compactEvery: number;
  /** Validated updates from peers, not yet applied, stored or broadcast. */
  private pending: Array<{ update: Uint8Array; from: string }> = [];
  private pendingBytes = 0;
  /** Changes made on the document directly (not by a flush) since the last flush stored them. */
  private localChanges: Uint8Array[] = [];
  /** What the flush under way changed in the document (its `update` events during the flush). */
  private flushChanges: Uint8Array[] = [];
  private flushScheduled = false;
  private flushing = false;

  constructor(
    private readonly store: YUpdateStore,
    private readonly host: RoomHost,
    options: RoomOptions = {},
  ) {
    this.compactEvery = options.compactEvery ?? 1000;
    this.schedule = options.schedule;
    this.quietMs = options.quietMs ?? 4;
    this.now = options.now ?? (() => performance.now());
    // The server has no local presence and runs no timers: states leave when sockets close.
    this.awareness.setLocalState(null);
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
  }

  /** Loads stored history and re-adopts the presence of peers that outlived a hibernation. */
  load(): void {
    this.store.loadInto(this.doc);
    // Load time grows with the number of rows, so that is what triggers a compaction.
    if (this.store.stats().rows > this.compactEvery) this.store.compact();
    this.doc.on("update", (update: Uint8Array) => {
      if (this.flushing) {
        this.flushChanges.push(update);
        return;
      }
      // A change made on the document directly is stored and sent the same way.
      this.localChanges.push(update);
      this.requestFlush();
    });
    const restored: Array<{ clientId: number; clock: number; state: unknown }> = [];
    for (const peer of this.host.peers()) {
      for (const [id, entry] of Object.entries(peer.ownedAwareness())) {
        this.owners.set(Number(id), { peer: peer.id, did: peer.did });
        restored.push({ clientId: Number(id), clock: entry.clock, state: entry.state });
      }
    }
    if (restored.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(restored), "restore");
  }

  onOpen(peer: RoomPeer): void {
    if (!peer.readable) return;
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const clients = [...this.awareness.getStates().keys()];
    if (clients.length > 0) peer.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)));
  }

  /** Handles one decoded y-protocols frame (core/space/space-socket.ts decodes and routes). */
  onFrame(peer: RoomPeer, frame: Exclude<ClientFrame, { kind: "log" }>): void {
    // A peer without the read right is being closed by its host: it gets nothing more.
    if (!peer.readable) return;
    switch (frame.kind) {
      case "sync-step1": {
        // Never hand out state that is not stored yet.
        this.flush();
        let reply: Uint8Array;
        try {
          reply = Y.encodeStateAsUpdate(this.doc, frame.stateVector);
        } catch {
          return this.refuse(peer, { code: "frame-malformed", message: "state vector is malformed", closeCode: 1007 });
        }
        return peer.send(encodeSyncStep2(reply));
      }
      case "sync-step2":
      case "update":
        return this.applyUpdate(peer, frame.update);
      case "awareness":
        return this.applyAwareness(peer, frame.update);
      case "query-awareness": {
        const clients = [...this.awareness.getStates().keys()];
        return peer.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)));
      }
    }
  }

  onClose(peer: RoomPeer): void {
    const owned = [...this.owners].filter(([, owner]) => owner.peer === peer.id).map(([clientId]) => clientId);
    for (const clientId of owned) this.owners.delete(clientId);
    const present = owned.filter((id) => this.awareness.getStates().has(id));
    if (present.length === 0) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, present, "close");
    this.broadcast(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, present)), peer.id);
  }

  /** Who is here: verified members' presence, named by the committed membership (core/space/presence.ts). */
  presence(): PresenceSummary {
    const states = [...(this.awareness.getStates() as Map<number, Record<string, unknown>>)].map(([clientId, state]) => {
      const did = this.owners.get(clientId)?.did ?? null;
      return { clientId, state, did, member: did === null ? undefined : this.host.member(did) };
    });
    return summarizePresence(states);
  }

  private applyUpdate(peer: RoomPeer, update: Uint8Array): void {
    if (!peer.writable) {
      if (!isEmptyUpdate(update)) peer.send(encodePermissionDenied(Refusal.readOnly));
      return;
    }
    try {
      // Parse the whole update before queueing it, so garbage is refused whole and alone.
      Y.decodeUpdate(update);
    } catch {
      return this.refuse(peer, { code: "frame-malformed", message: "update is not a valid Yjs update", closeCode: 1007 });
    }
    this.pending.push({ update, from: peer.id });
    this.pendingBytes += update.byteLength;
    this.requestFlush();
  }

  private requestFlush(): void {
    const now = this.now();
    const quiet = now - this.lastArrival >= this.quietMs;
    this.lastArrival = now;
    if (this.schedule === undefined || this.pendingBytes >= MAX_PENDING_BYTES || this.pending.length >= MAX_PENDING_UPDATES) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush(), { quiet });
    }
  }

  /**
   * Applies what the peers sent, then stores what changed, then tells everyone else.
   *
   * A burst is applied in one Yjs transaction (one transaction per update was most of the
   * edge's cost in a burst). What is stored is the document's own change: compact, with a
   * value overwritten later in the same burst already collected, so history and cold loads
   * stay small. What is sent is the peers' updates merged as they sent them, as Hocuspocus
   * and y-websocket relay them, so every value reaches every peer; both lead to the same
   * state. A batch that changed nothing (every update already known) stores and sends
   * nothing. One peer's lone update goes to everyone but that peer; a merged batch goes to
   * everyone (receiving one's own edit back is a no-op in Yjs).
   */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushChanges = [];
    if (batch.length > 0) {
      this.flushing = true;
      try {
        Y.transact(this.doc, () => {
          for (const { update } of batch) Y.applyUpdate(this.doc, update);
        });
      } finally {
        this.flushing = false;
      }
    }
    const changed = this.flushChanges.length > 0;
    const stored = [...this.flushChanges, ...this.localChanges];
    const sent = [...(changed ? batch.map((p) => p.update) : []), ...this.localChanges];
    this.flushChanges = [];
    this.localChanges = [];
    if (stored.length === 0) return;
    // The row stands for every update sent, the peers' and the document's own.
    this.store.append(mergeAll(stored), sent.length);
    this.broadcast(encodeUpdate(mergeAll(sent)), sent.length === 1 && changed ? batch[0]!.from : null);
    this.appendsSinceCompaction += sent.length;
    if (this.appendsSinceCompaction >= this.compactEvery) {
      this.appendsSinceCompaction = 0;
      this.store.compact();
    }
  }

  private applyAwareness(peer: RoomPeer, update: Uint8Array): void {
    const decoded = decodeAwarenessUpdate(update);
    if (!decoded.ok) {
      return this.refuse(peer, { code: decoded.code, closeCode: 1007 });
    }
    const refusal = this.awarenessRefusal(peer, decoded.entries);
    if (refusal !== null) return peer.send(encodePermissionDenied(refusal));
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, peer);
    const owned: OwnedAwareness = { ...peer.ownedAwareness() };
    const states = this.awareness.getStates();
    for (const { clientId } of decoded.entries) {
      const state = states.get(clientId);
      const meta = this.awareness.meta.get(clientId);
      if (state && meta) {
        this.owners.set(clientId, { peer: peer.id, did: peer.did });
        owned[clientId] = { clock: meta.clock, state };
      } else {
        this.owners.delete(clientId);
        delete owned[clientId];
      }
    }
    this.host.rememberAwareness(peer, owned);
    this.broadcast(encodeAwareness(update), peer.id);
  }

  /** Why a whole awareness frame is refused (nothing of it is applied), or null. */
  private awarenessRefusal(peer: RoomPeer, entries: ReadonlyArray<{ clientId: number; state: Record<string, unknown> | null }>): string | null {
    if (peer.did === null) return Refusal.presenceAnonymous;
    const owned = new Set(Object.keys(peer.ownedAwareness()).map(Number));
    for (const { clientId, state } of entries) {
      const owner = this.owners.get(clientId);
      if (owner !== undefined && owner.peer !== peer.id) return Refusal.awarenessNotYours;
      if (state === null) {
        owned.delete(clientId);
        continue;
      }
      if (state.id !== undefined && state.id !== peer.did) return Refusal.presenceNotYours;
      owned.add(clientId);
    }
    return owned.size > MAX_OWNED_CLIENTS ? Refusal.presenceTooMany : null;
  }

  /** Sends to every peer that may read, except one (the sender of a lone update). */
  private broadcast(frame: Uint8Array, exceptPeerId: string | null): void {
    for (const peer of this.host.peers()) {
      if (peer.id !== exceptPeerId && peer.readable) peer.send(frame);
    }
  }

  private refuse(peer: RoomPeer, error: { code: string; closeCode: number; message?: string }): void {
    // A close reason is limited to 123 bytes, so it carries the stable code only.
    peer.close(error.closeCode, error.code);
  }
}
