/**
 * The client side of log sync (core/log/sync-protocol.ts), over any transport that sends
 * frames: the local node uses it against the edge and against other nodes, tests use it in
 * workerd. It keeps a local LogReplica in step with a remote one: the remote's catch-up is
 * ingested, then everything the remote lacks is pushed and acknowledged, then (when live)
 * new envelopes flow both ways.
 */
import { CommonsError } from "../errors.js";
import type { VersionVector } from "./ids.js";
import type { IngestResult, LogReplica } from "./replica.js";
import { advance, batches, decodeLogServerMessage, encodeLogMessage, type LogServerMessage } from "./sync-protocol.js";

export interface LogSyncEvents {
  /** Catch-up from the remote progressed: `received` envelopes so far. */
  progress?(received: number, remoteCount: number): void;
  /** A pushed item the remote rejected (it stays local, marked by the caller if it likes). */
  rejected?(result: IngestResult): void;
  /** Something from the remote was ingested (catch-up or live). */
  changed?(): void;
  /** The remote committed something: its read model (GET /s/:space/view) is now at `frontier`. */
  viewChanged?(frontier: number): void;
}

export class LogSyncClient {
  /** What the remote holds, as far as this client knows. */
  remoteVector: VersionVector = {};
  remoteSequencer: string | null = null;
  remoteCount = 0;
  received = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private pushes: Promise<unknown> = Promise.resolve();
  private acks: Array<(results: IngestResult[]) => void> = [];
  private syncedWaiters: Array<{ resolve(): void; reject(e: Error): void }> = [];
  private isSynced = false;

  constructor(
    private readonly replica: LogReplica,
    private readonly send: (frame: Uint8Array) => void,
    private readonly options: { live?: boolean; events?: LogSyncEvents } = {},
  ) {}

  /** Starts (or restarts, after a reconnect) a catch-up. */
  hello(): void {
    this.isSynced = false;
    this.send(encodeLogMessage({ t: "log.hello", vv: this.replica.versionVector(), live: this.options.live ?? false }));
  }

  /** Resolves when the last catch-up finished both ways. */
  synced(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    return new Promise((resolve, reject) => this.syncedWaiters.push({ resolve, reject }));
  }

  /** Feeds one log frame's JSON from the remote. */
  onMessage(json: string): Promise<void> {
    const decoded = decodeLogServerMessage(json);
    if (!decoded.ok) return Promise.reject(new CommonsError(decoded.code, decoded.message));
    // Acks settle a push in flight; they must not queue behind the ingests that wait on it.
    if (decoded.message.t === "log.ack") {
      this.acks.shift()?.(decoded.message.results);
      return Promise.resolve();
    }
    const message = decoded.message;
    return this.serialized(() => this.handle(message));
  }

  /** Pushes everything the remote lacks; resolves once acknowledged. Pushes run one at a time. */
  push(): Promise<void> {
    const run = this.pushes.then(() => this.pushMissing());
    this.pushes = run.catch(() => undefined);
    return run;
  }

  /** Fails pending waits (the transport closed). */
  fail(error: Error): void {
    for (const waiter of this.syncedWaiters.splice(0)) waiter.reject(error);
    for (const ack of this.acks.splice(0)) ack([]);
  }

  private async handle(message: LogServerMessage): Promise<void> {
    switch (message.t) {
      case "log.hello":
        this.remoteVector = message.vv;
        this.remoteSequencer = message.sequencer;
        this.remoteCount = message.count;
        return;
      case "log.batch": {
        const results = await this.replica.ingest(message.envelopes);
        this.received += results.filter((r) => r.status === "accepted").length;
        this.remoteVector = advance(this.remoteVector, message.envelopes);
        this.options.events?.progress?.(this.received, this.remoteCount);
        this.options.events?.changed?.();
        // A live batch we cannot place (we missed something): ask for a fresh catch-up.
        if (!message.more && results.some((r) => r.code === "envelope-seq-gap" || r.code === "envelope-deps-missing")) this.hello();
        return;
      }
      case "log.synced":
        this.remoteVector = message.vv;
        // Not awaited: the push waits for acks, and the catch-up queue must stay free.
        void this.push().then(() => this.markSynced(), (error: Error) => this.fail(error));
        return;
      case "log.ack":
        return; // handled in onMessage
      case "log.error":
        this.fail(new CommonsError(message.code, message.message));
        return;
      case "view.changed":
        // The receipts that changed it arrive as a batch too; a reader of the read model asks again.
        this.options.events?.viewChanged?.(message.frontier);
        return;
    }
  }

  private async pushMissing(): Promise<void> {
    for (;;) {
      const missing = this.replica.missingFor(this.remoteVector);
      if (missing.length === 0) return;
      for (const batch of batches(missing)) {
        const acked = new Promise<IngestResult[]>((resolve) => this.acks.push(resolve));
        this.send(encodeLogMessage({ t: "log.push", batch }));
        const results = await acked;
        if (results.length === 0) throw new CommonsError("log-sync-closed", "The connection closed before the push was acknowledged: sync again.");
        for (const result of results) if (result.status === "rejected") this.options.events?.rejected?.(result);
        this.remoteVector = advance(this.remoteVector, batch);
      }
    }
  }

  private markSynced(): void {
    this.isSynced = true;
    for (const waiter of this.syncedWaiters.splice(0)) waiter.resolve();
  }

  private serialized<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
