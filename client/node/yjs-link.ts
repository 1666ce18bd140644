/**
 * The client side of y-protocols sync for a local node: keeps a local Y.Doc (persisted by
 * LocalSpace through YUpdateStore) in step with a remote room over the space socket.
 *
 *   remote step 1 (its state vector) → we answer step 2 (what it lacks), then send our step 1
 *   remote step 2 / update           → applied to the local doc (and so stored)
 *
 * Our step 1 goes out only after our step 2, and a room handles one socket's frames in
 * order, so the remote's step 2 reply proves it has applied ours: `synced` then means both
 * sides hold both histories. A diff over the 1 MiB frame limit is sent as the stored
 * history rows instead, one update frame each.
 */
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { decodePermissionDenied, encodeSyncStep1, encodeSyncStep2, encodeUpdate, MAX_FRAME_BYTES, MessageType, SyncType } from "../../core/yjs/frames.js";
import type { YUpdateStore } from "../../core/yjs/update-store.js";

export class YjsLink {
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private sentStep1 = false;
  private live = false;
  private readonly onLocal = (update: Uint8Array, origin: unknown) => {
    if (this.live && origin !== this) this.send(encodeUpdate(update));
  };

  constructor(
    private readonly doc: Y.Doc,
    private readonly store: YUpdateStore,
    private readonly send: (frame: Uint8Array) => void,
    private readonly events: { denied?(reason: string): void } = {},
  ) {
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    doc.on("update", this.onLocal);
  }

  /** After the first sync, forward local edits as they happen (daemon, serve peers). */
  goLive(): void {
    this.live = true;
  }

  /** Restart after a reconnect: the remote will send its step 1 again. */
  reset(): void {
    this.sentStep1 = false;
  }

  onFrame(bytes: Uint8Array): void {
    const denied = decodePermissionDenied(bytes);
    if (denied !== null) return this.events.denied?.(denied);
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== MessageType.sync) return; // awareness: a node shows no presence
    const sub = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (sub === SyncType.step1) {
      this.answer(payload);
      if (!this.sentStep1) {
        this.sentStep1 = true;
        this.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
      }
    } else {
      Y.applyUpdate(this.doc, payload, this);
      if (sub === SyncType.step2) this.resolveSynced();
    }
  }

  destroy(): void {
    this.doc.off("update", this.onLocal);
  }

  private answer(stateVector: Uint8Array): void {
    const diff = Y.encodeStateAsUpdate(this.doc, stateVector);
    if (diff.byteLength < MAX_FRAME_BYTES - 64) return this.send(encodeSyncStep2(diff));
    // Too big for one frame: the stored rows are each a valid update; the remote skips what it has.
    for (const row of this.store.rows()) this.send(encodeUpdate(row.data));
    this.send(encodeSyncStep2(Y.encodeStateAsUpdate(new Y.Doc())));
  }
}
