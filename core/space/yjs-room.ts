/**
 * A space's Yjs replica and presence relay, independent of transport. The SpaceDO wires
 * hibernatable WebSockets to it; the local node's `serve` wires `ws` sockets to it. The room
 * speaks standard y-protocols (sync + awareness), so stock Yjs providers work unchanged,
 * and it enforces what the socket may do:
 *
 * - every frame is decoded strictly before anything is applied (core/yjs/frames.ts);
 *   a malformed frame closes that socket with a documented close code, nobody else notices;
 * - an update is appended to durable storage before it is broadcast to anyone;
 * - read-only (observer) peers may sync and show presence but not write;
 * - a peer may set or remove only the awareness client ids it owns (first come, first
 *   owned); its states go when it closes.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import {
  type ClientFrame,
  encodeAwareness,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../yjs/frames.js";
import type { YUpdateStore } from "../yjs/update-store.js";
import { decodeAwarenessUpdate, encodeAwarenessEntries, summarizePresence, type PresenceSummary } from "./presence.js";

/** The awareness states a peer owns, kept by the transport so they survive hibernation. */
export type OwnedAwareness = Record<string, { clock: number; state: Record<string, unknown> }>;

export interface RoomPeer {
  readonly id: string;
  readonly readOnly: boolean;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /** What this peer owns, as last remembered by `RoomHost.rememberAwareness`. */
  ownedAwareness(): OwnedAwareness;
}

export interface RoomHost {
  /** Every open peer, including ones restored after hibernation. */
  peers(): Iterable<RoomPeer>;
  rememberAwareness(peer: RoomPeer, owned: OwnedAwareness): void;
}

export interface RoomOptions {
  /** Compact stored history after this many updates (and on load past it). Default 1000. */
  compactEvery?: number;
  /**
   * Coalesces updates: `schedule(flush)` runs `flush` soon (the SpaceDO uses a zero-delay
   * timer, so a burst of frames becomes one stored row and one broadcast frame per peer, as
   * Hocuspocus merges). Without it every update is stored and broadcast at once.
   */
  schedule?: (flush: () => void) => void;
}

/** Flush at once past this many pending bytes: a merged row stays far under the 2 MB limit. */
const MAX_PENDING_BYTES = 512 * 1024;

/** Why a frame was refused without closing the socket (sent as y-protocols permission-denied). */
export const Refusal = {
  readOnly: "read-only: this connection observes the space and cannot write; reconnect without ?role=observer to edit",
  awarenessNotYours: "awareness-not-yours: a connection may only set the awareness of client ids it owns",
} as const;

/** An empty Yjs update (no structs, empty delete set): what a read-only client's first step 2 carries. */
const isEmptyUpdate = (u: Uint8Array) => u.byteLength === 2 && u[0] === 0 && u[1] === 0;

export class YjsRoom {
  readonly doc = new Y.Doc({ gc: true });
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** clientId → id of the peer that owns it. */
  private readonly owners = new Map<number, string>();
  private readonly schedule: RoomOptions["schedule"];
  private appendsSinceCompaction = 0;
  private readonly compactEvery: number;
  /** Updates applied to the document but not yet stored or broadcast, with their origins. */
  private pending: Array<{ update: Uint8Array; from: string | null }> = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly store: YUpdateStore,
    private readonly host: RoomHost,
    options: RoomOptions = {},
  ) {
    this.compactEvery = options.compactEvery ?? 1000;
    this.schedule = options.schedule;
    // The server has no local presence and runs no timers: states leave when sockets close.
    this.awareness.setLocalState(null);
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
  }

  /** Loads stored history and re-adopts the presence of peers that outlived a hibernation. */
  load(): void {
    this.store.loadInto(this.doc);
    // Load time grows with the number of rows, so that is what triggers a compaction.
    if (this.store.stats().rows > this.compactEvery) this.store.compact();
    this.doc.on("update", (update: Uint8Array, origin: unknown) => this.onDocUpdate(update, origin));
    const restored: Array<{ clientId: number; clock: number; state: unknown }> = [];
    for (const peer of this.host.peers()) {
      for (const [id, entry] of Object.entries(peer.ownedAwareness())) {
        this.owners.set(Number(id), peer.id);
        restored.push({ clientId: Number(id), clock: entry.clock, state: entry.state });
      }
    }
    if (restored.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(restored), "restore");
  }

  onOpen(peer: RoomPeer): void {
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const clients = [...this.awareness.getStates().keys()];
    if (clients.length > 0) peer.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)));
  }

  /** Handles one decoded y-protocols frame (core/space/space-socket.ts decodes and routes). */
  onFrame(peer: RoomPeer, frame: Exclude<ClientFrame, { kind: "log" }>): void {
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
    const owned = [...this.owners].filter(([, owner]) => owner === peer.id).map(([clientId]) => clientId);
    for (const clientId of owned) this.owners.delete(clientId);
    const present = owned.filter((id) => this.awareness.getStates().has(id));
    if (present.length === 0) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, present, "close");
    this.broadcast(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, present)), peer.id);
  }

  presence(): PresenceSummary {
    return summarizePresence(this.awareness.getStates() as Map<number, Record<string, unknown>>);
  }

  private applyUpdate(peer: RoomPeer, update: Uint8Array): void {
    if (peer.readOnly) {
      if (!isEmptyUpdate(update)) peer.send(encodePermissionDenied(Refusal.readOnly));
      return;
    }
    try {
      // Parse the whole update before integrating any of it, so garbage is refused whole.
      Y.decodeUpdate(update);
    } catch {
      return this.refuse(peer, { code: "frame-malformed", message: "update is not a valid Yjs update", closeCode: 1007 });
    }
    Y.applyUpdate(this.doc, update, peer);
  }

  /** Queues the update; stored and broadcast together by `flush`. */
  private onDocUpdate(update: Uint8Array, origin: unknown): void {
    const from = origin && typeof origin === "object" && "id" in origin ? String((origin as RoomPeer).id) : null;
    this.pending.push({ update, from });
    this.pendingBytes += update.byteLength;
    if (this.schedule === undefined || this.pendingBytes >= MAX_PENDING_BYTES) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /**
   * Durable first, then everyone else. One update goes to everyone but its sender; a merged
   * batch goes to everyone (a sender receiving its own edit back is a no-op in Yjs).
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const merged = batch.length === 1 ? batch[0]!.update : Y.mergeUpdates(batch.map((p) => p.update));
    this.store.append(merged, batch.length);
    this.broadcast(encodeUpdate(merged), batch.length === 1 ? batch[0]!.from : null);
    this.appendsSinceCompaction += batch.length;
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
    for (const entry of decoded.entries) {
      const owner = this.owners.get(entry.clientId);
      if (owner !== undefined && owner !== peer.id) return peer.send(encodePermissionDenied(Refusal.awarenessNotYours));
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, peer);
    const owned: OwnedAwareness = { ...peer.ownedAwareness() };
    const states = this.awareness.getStates();
    for (const { clientId } of decoded.entries) {
      const state = states.get(clientId);
      const meta = this.awareness.meta.get(clientId);
      if (state && meta) {
        this.owners.set(clientId, peer.id);
        owned[clientId] = { clock: meta.clock, state };
      } else {
        this.owners.delete(clientId);
        delete owned[clientId];
      }
    }
    this.host.rememberAwareness(peer, owned);
    this.broadcast(encodeAwareness(update), peer.id);
  }

  private broadcast(frame: Uint8Array, exceptPeerId: string | null): void {
    for (const peer of this.host.peers()) {
      if (peer.id !== exceptPeerId) peer.send(frame);
    }
  }

  private refuse(peer: RoomPeer, error: { code: string; closeCode: number; message?: string }): void {
    // A close reason is limited to 123 bytes, so it carries the stable code only.
    peer.close(error.closeCode, error.code);
  }
}
