/**
 * The space's shared document and presence in the browser: a stock y-websocket provider on
 * the space URL with the door's token (`?token=`, docs/PROTOCOL.md), so presence is bound
 * to this browser's did. Presence is the awareness state `{id, name, kind, mode}`
 * (core/space/presence.ts); the editor adds its cursor to the same state.
 *
 * Offline: the `offline` event disconnects on purpose and `online` reconnects; edits made
 * meanwhile stay in the document and sync on reconnect. `dirty` says whether some local edit
 * has not yet been through a completed sync (what the beforeunload warning reads).
 */
import { signal } from "@preact/signals";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import type { Signer } from "../../core/identity/signer.js";

export type Mode = "active" | "monitoring" | "away";

export interface Participant {
  clientId: number;
  id: string;
  name: string;
  kind: string;
  mode: Mode;
}

export class YjsLink {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly participants = signal<Participant[]>([]);
  readonly synced = signal(false);
  readonly dirty = signal(false);
  readonly mode = signal<Mode>("active");

  constructor(space: string, signer: Signer, token: string, name: string) {
    const base = new URL("/s", location.href);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    this.provider = new WebsocketProvider(base.toString(), space, this.doc, { params: { token }, disableBc: true });
    this.provider.awareness.setLocalState({ id: signer.did, name, kind: "human", mode: this.mode.value });
    this.provider.awareness.on("change", () => this.readPresence());
    this.provider.on("sync", (synced: boolean) => {
      this.synced.value = synced;
      if (synced && this.provider.wsconnected) this.dirty.value = false;
    });
    this.provider.on("status", ({ status }: { status: string }) => {
      if (status !== "connected") this.synced.value = false;
    });
    this.doc.on("update", (_update: Uint8Array, origin: unknown) => {
      // Local edits (origin is not the provider) are unsent until a sync completes after them.
      if (origin !== this.provider) this.dirty.value = !this.provider.wsconnected || !this.provider.synced || this.dirty.value;
    });
    addEventListener("offline", () => this.provider.disconnect());
    addEventListener("online", () => this.provider.connect());
  }

  /** The name others see beside my presence and cursor (a label: the membership names me). */
  setName(name: string): void {
    this.provider.awareness.setLocalStateField("name", name);
  }

  /** Replaces the door token for the next (re)connection. */
  setToken(token: string): void {
    this.provider.params = { token };
  }

  setMode(mode: Mode): void {
    this.mode.value = mode;
    this.provider.awareness.setLocalStateField("mode", mode);
  }

  private readPresence(): void {
    const list: Participant[] = [];
    for (const [clientId, state] of this.provider.awareness.getStates()) {
      const s = state as Partial<Participant>;
      if (typeof s.id !== "string" || typeof s.mode !== "string") continue;
      list.push({ clientId, id: s.id, name: String(s.name ?? s.id.slice(-6)), kind: String(s.kind ?? "human"), mode: s.mode as Mode });
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.clientId - b.clientId));
    this.participants.value = list;
  }

  destroy(): void {
    this.provider.destroy();
    this.doc.destroy();
  }
}
