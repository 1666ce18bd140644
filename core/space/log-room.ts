/**
 * A space's signed log as seen through its sockets and its HTTP route, independent of
 * transport (the SpaceDO and the local node's `serve` both wire into it). Ingests are
 * serialized — verify, append, sequence, fan out — so a batch never races another batch's
 * chain checks, and a catch-up never interleaves with an ingest.
 *
 * Rights (core/space/door.ts): catch-up and live pushes go only to peers that may read.
 * A push is open to every connection, as `POST /log` is — envelopes authenticate
 * themselves, the ingest door refuses strangers' and the commit rule judges the rest —
 * except one that chose to observe (`?role=observer`).
 */
import { advance, batches, decodeLogClientMessage, encodeLogMessage, LOG_BATCH_ENVELOPES, type LogServerMessage } from "../log/sync-protocol.js";
import type { Signer } from "../identity/signer.js";
import type { EnvelopeId } from "../log/ids.js";
import type { AuthorRate } from "../log/append.js";
import type { EnvelopeStatus, IngestResult, LogReplica, WireEnvelope } from "../log/replica.js";
import type { CommitEntry, Sequencer } from "../state/sequencer.js";
import type { SegmentHistory } from "../log/segment-history.js";
import { isCommonsError } from "../errors.js";
import type { BodyOf, EnvelopeType } from "../log/types/index.js";

export interface LogPeer {
  readonly id: string;
  /** May receive the log (the door's read right). */
  readonly readable: boolean;
  /** Opened with `?role=observer`: it asked not to write, so its pushes are refused. */
  readonly observing: boolean;
  /** Whether this peer asked for live pushes (remembered across hibernation by the host). */
  readonly live: boolean;
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
}

export interface LogHost {
  peers(): Iterable<LogPeer>;
  setLive(peer: LogPeer, live: boolean): void;
}

/** Writes one envelope as the replica's own key; used by hooks that run inside a write. */
export type HostWriter = <T extends EnvelopeType>(type: T, body: BodyOf<T>) => Promise<{ id: EnvelopeId; status: EnvelopeStatus }>;

export interface LogRoomOptions {
  /** The replica's own key, for envelopes the replica writes itself (tool effects, reports). */
  signer?: Signer;
  /** Runs after every sequencing run that committed something, still inside the write queue. */
  afterCommit?: (entries: readonly CommitEntry[], write: HostWriter) => Promise<void>;
  /** The per-author quota for live writing (core/space/quota.ts), asked for verified envelopes only. */
  authorRate?: AuthorRate;
  /** Lets other work in between two pages of a catch-up (a macrotask: the runtime's other events run). */
  yieldBetweenPages?: () => Promise<void>;
  /**
   * The replica's sealed history (core/log/segment-history.ts), when its storage seals: a
   * catch-up page that reaches sealed rows loads their segments between two turns of the
   * write queue, never inside one.
   */
  history?: Pick<SegmentHistory, "read">;
}

export class LogRoom {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly replica: LogReplica,
    /** This replica's sequencer, or null when it only relays. */
    readonly sequencer: Sequencer | null,
    private readonly host: LogHost,
    private readonly options: LogRoomOptions = {},
  ) {}

  /** Writes one envelope signed by the replica's key, sequences it, and fans it out. */
  write<T extends EnvelopeType>(type: T, body: BodyOf<T>): Promise<{ id: EnvelopeId; status: EnvelopeStatus }> {
    return this.serialized(() => this.writeNow(type, body));
  }

  /** Runs `work` alone in the write queue, with a writer that does not queue again. */
  exclusive<T>(work: (write: HostWriter) => Promise<T>): Promise<T> {
    return this.serialized(() => work(this.writeNow));
  }

  private readonly writeNow: HostWriter = async (type, body) => {
    const signer = this.options.signer;
    if (!signer) throw new Error("this LogRoom has no key to write with");
    const written = await this.replica.append(signer, type, body);
    this.fanOut([written.id], null);
    this.fanOut(await this.sequence(), null);
    return { id: written.id, status: this.replica.status(written.id) };
  };

  /** Handles one log frame's JSON from a socket. */
  onMessage(peer: LogPeer, json: string): Promise<void> {
    const decoded = decodeLogClientMessage(json);
    if (!decoded.ok) {
      peer.close(1007, decoded.code);
      return Promise.resolve();
    }
    const message = decoded.message;
    if (message.t === "log.hello") {
      if (!peer.readable) {
        send(peer, { t: "log.error", code: "not-readable", message: "this connection may not read the space's log: connect with a member's ?token=" });
        return Promise.resolve();
      }
      return this.catchUp(peer, message.vv, message.live);
    }
    if (peer.observing) {
      send(peer, { t: "log.error", code: "read-only", message: "read-only: this connection observes the space and cannot write; reconnect without ?role=observer" });
      return Promise.resolve();
    }
    return this.submit(message.batch, peer.id).then((results) => send(peer, { t: "log.ack", results }));
  }

  /**
   * Verifies and appends a batch, lets the sequencer commit what it can, and pushes the new
   * envelopes (to live peers other than the sender) and the receipts (to every live peer).
   */
  submit(batch: readonly unknown[], fromPeerId: string | null = null): Promise<IngestResult[]> {
    return this.serialized(async () => {
      const rate = this.options.authorRate;
      const results = await this.replica.ingest(batch, rate === undefined ? {} : { rate });
      const accepted = results.flatMap((r) => (r.status === "accepted" && r.id ? [r.id] : []));
      // Out to the other peers before sequencing: they hold it (tentative) without waiting for
      // the commit and the after-commit hooks (most of a message's way to another browser,
      // bench/benchmarks/web.mjs), and every receipt still follows the envelope it names.
      this.fanOut(accepted, fromPeerId);
      const receipts = accepted.length > 0 ? await this.sequence() : [];
      this.fanOut(receipts, null);
      // Each stored item with its status after sequencing: a writer learns its verdict at once.
      const statuses = this.replica.statuses(results.flatMap((r) => (r.id !== undefined && r.status !== "rejected" ? [r.id] : [])));
      return results.map((r) => (r.id !== undefined && r.status !== "rejected" ? { ...r, commit: statuses.get(r.id)! } : r));
    });
  }

  /** Commits whatever is pending (after a wake, say) and pushes the receipts. */
  commitPending(): Promise<void> {
    return this.serialized(async () => this.fanOut(await this.sequence(), null));
  }

  /** Commits what is pending; runs the afterCommit hook; returns the receipts to fan out. */
  private async sequence(): Promise<EnvelopeId[]> {
    if (this.sequencer === null) return [];
    const { entries, receipts } = await this.sequencer.sequence();
    if (entries.length > 0) this.viewChanged();
    if (entries.length > 0 && this.options.afterCommit) {
      // Receipts go out before the hook writes more, so peers see commits in order.
      this.fanOut(receipts, null);
      await this.options.afterCommit(entries, this.writeNow);
      return [];
    }
    return receipts;
  }

  /**
   * Sends a peer what it lacks, one bounded page (LOG_BATCH_ENVELOPES) per turn of the write
   * queue, yielding between pages, so a peer a million envelopes behind never stalls writers
   * or other sockets. The last page and going live happen in one turn: no live push can
   * overtake the catch-up, and nothing accepted meanwhile is missed.
   */
  private async catchUp(peer: LogPeer, theirs: Record<string, number>, live: boolean): Promise<void> {
    send(peer, {
      t: "log.hello",
      space: this.replica.space,
      sequencer: this.sequencer?.did ?? this.replica.commits.nextSequencer ?? null,
      vv: this.replica.versionVector(),
      count: this.replica.count(),
    });
    let vv = theirs;
    // Sends one page; nothing is sent before missingFor returns, so a page that met sealed
    // rows not loaded yet is simply run again once they are.
    const page = (limit: number | undefined) => {
      const missing = this.replica.missingFor(vv, limit ?? LOG_BATCH_ENVELOPES);
      if (missing.length === 0) {
        this.host.setLive(peer, live);
        send(peer, { t: "log.synced", vv: this.replica.versionVector() });
        return true;
      }
      for (const envelopes of batches(missing)) send(peer, { t: "log.batch", envelopes, more: true });
      vv = advance(vv, missing);
      return false;
    };
    const history = this.options.history;
    for (;;) {
      let done: boolean;
      try {
        done = history === undefined
          ? await this.serialized(() => page(undefined))
          : await history.read(page, { limit: LOG_BATCH_ENVELOPES, turn: (run) => this.serialized(run) });
      } catch (error) {
        // Sealed history that cannot be read (a missing or altered segment): this peer is told
        // why and what to do; the space and everyone else carry on.
        if (!isCommonsError(error)) throw error;
        send(peer, { t: "log.error", code: error.code, message: error.message });
        return;
      }
      if (done) return;
      await this.options.yieldBetweenPages?.();
    }
  }

  /** Tells live readers the read model moved (after the receipts, which are fanned out first or next). */
  private viewChanged(): void {
    const frame = encodeLogMessage({ t: "view.changed", frontier: this.replica.commits.frontier });
    for (const peer of this.host.peers()) if (peer.live && peer.readable) peer.send(frame);
  }

  private fanOut(ids: readonly EnvelopeId[], exceptPeerId: string | null): void {
    if (ids.length === 0) return;
    const targets = [...this.host.peers()].filter((peer) => peer.live && peer.readable && peer.id !== exceptPeerId);
    // Nobody is listening live (an HTTP-only writer, say): do not read back what no one gets.
    if (targets.length === 0) return;
    const envelopes = ids.flatMap((id) => {
      const stored = this.replica.get(id);
      return stored ? [{ ...stored.envelope, id } as WireEnvelope] : [];
    });
    const frames = [...batches(envelopes)].map((batch) => encodeLogMessage({ t: "log.batch", envelopes: batch, more: false }));
    for (const peer of targets) for (const frame of frames) peer.send(frame);
  }

  private serialized<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    // The queue goes on after a failure; the failure goes to this call's caller.
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function send(peer: LogPeer, message: LogServerMessage): void {
  peer.send(encodeLogMessage(message));
}
