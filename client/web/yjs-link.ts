/**
 * The space's shared document and presence in the browser, on the page's one socket: the
 * space socket carries Yjs frames (y-protocols, types 0–3) beside the log's (type 100,
 * core/space/space-socket.ts), so the document rides on the SpaceNode's connection and its
 * door token instead of a second socket. Presence is the awareness state `{id, name, kind,
 * mode}` (core/space/presence.ts), bound by the edge to the socket's did; the editor adds
 * its cursor to the same state.
 *
 * The protocol is y-websocket's: on every open, sync step 1 and the local awareness; a step
 * 2 back means synced; local updates and awareness changes go out as they happen. Offline
 * (the node's socket down), edits stay in the document and sync on the next open. `dirty`
 * says whether some local edit has not yet been through a completed sync (what the
 * beforeunload warning reads).
 */
import { signal } from "@preact/signals";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import { messageYjsSyncStep2, readSyncMessage, writeSyncStep1, writeUpdate } from "y-protocols/sync";
import * as Y from "yjs";
import type { Signer } from "../../core/identity/signer.js";
import { MessageType } from "../../core/yjs/frames.js";
import type { SpaceNode } from "./space-node.js";

export type Mode = "active" | "monitoring" | "away";

export interface Participant {
  clientId: number;
  id: string;
  name: string;
  kind: string;
  mode: Mode;
}

const frame = (write: (e: encoding.Encoder) => void) => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
};

export class YjsLink {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  readonly participants = signal<Participant[]>([]);
  readonly synced = signal(false);
  readonly dirty = signal(false);
  readonly mode = signal<Mode>("active");
  private open = false;

  constructor(private readonly node: SpaceNode, signer: Signer, name: string) {
    this.awareness.setLocalState({ id: signer.did, name, kind: "human", mode: this.mode.value });
    this.awareness.on("change", () => this.readPresence());
    this.awareness.on("update", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin === this) return;
      const changed = [...added, ...updated, ...removed];
      this.node.sendFrame(frame((e) => { encoding.writeVarUint(e, MessageType.awareness); encoding.writeVarUint8Array(e, encodeAwarenessUpdate(this.awareness, changed)); }));
    });
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      // A local edit is unsent until a sync completes after it.
      this.dirty.value = !this.open || !this.synced.value || this.dirty.value;
      this.node.sendFrame(frame((e) => { encoding.writeVarUint(e, MessageType.sync); writeUpdate(e, update); }));
    });
    node.attachDocument({ open: () => this.onOpen(), close: () => this.onClose(), frame: (bytes) => this.onFrame(bytes) });
  }

  /** The name others see beside my presence and cursor (a label: the membership names me). */
  setName(name: string): void {
    this.awareness.setLocalStateField("name", name);
  }

  setMode(mode: Mode): void {
    this.mode.value = mode;
    this.awareness.setLocalStateField("mode", mode);
  }

  private onOpen(): void {
    this.open = true;
    this.node.sendFrame(frame((e) => { encoding.writeVarUint(e, MessageType.sync); writeSyncStep1(e, this.doc); }));
    if (this.awareness.getLocalState() !== null) {
      this.node.sendFrame(frame((e) => { encoding.writeVarUint(e, MessageType.awareness); encoding.writeVarUint8Array(e, encodeAwarenessUpdate(this.awareness, [this.doc.clientID])); }));
    }
  }

  private onClose(): void {
    this.open = false;
    this.synced.value = false;
    // Others' presence is only known while connected (y-websocket does the same).
    const others = [...this.awareness.getStates().keys()].filter((client) => client !== this.doc.clientID);
    removeAwarenessStates(this.awareness, others, this);
  }

  private onFrame(bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    if (type === MessageType.sync) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MessageType.sync);
      const kind = readSyncMessage(decoder, encoder, this.doc, this);
      if (encoding.length(encoder) > 1) this.node.sendFrame(encoding.toUint8Array(encoder));
      if (kind === messageYjsSyncStep2) {
        this.synced.value = true;
        this.dirty.value = false;
      }
    } else if (type === MessageType.awareness) {
      applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
    } else if (type === MessageType.queryAwareness) {
      const clients = [...this.awareness.getStates().keys()];
      this.node.sendFrame(frame((e) => { encoding.writeVarUint(e, MessageType.awareness); encoding.writeVarUint8Array(e, encodeAwarenessUpdate(this.awareness, clients)); }));
    }
  }

  private readPresence(): void {
    const list: Participant[] = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      const s = state as Partial<Participant>;
      if (typeof s.id !== "string" || typeof s.mode !== "string") continue;
      list.push({ clientId, id: s.id, name: String(s.name ?? s.id.slice(-6)), kind: String(s.kind ?? "human"), mode: s.mode as Mode });
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.clientId - b.clientId));
    this.participants.value = list;
  }

  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}
