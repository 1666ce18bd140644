/**
 * The sequencer: turns tentative envelopes into committed ones. Run by whichever key the
 * commit resolver says is responsible for the next index (by default the edge replica's).
 *
 * Each `sequence()` takes the replica's uncommitted envelopes (not receipts or
 * appointments) in deterministic causal order, judges each against the committed state
 * plus the verdicts already given in this run (`judge` from core/views), assigns the next
 * gapless indexes, and appends signed `commit` receipts to the replica, at most
 * {@link COMMIT_ENTRIES_PER_RECEIPT} entries each. Rejected envelopes stay in the log, with
 * their reason in the receipt.
 *
 * The committed state is kept between runs and only extended, unless the resolver had to
 * recompute (a sequencer hand-over rewrote the past), in which case it is rebuilt.
 */
import { CommonsError } from "../errors.js";
import type { Signer } from "../identity/signer.js";
import { judge } from "../views/authority.js";
import { causalOrder } from "../views/causal.js";
import { applyEnvelope, emptyState, type SpaceState } from "../views/state.js";
import type { EnvelopeId } from "./ids.js";
import type { LogReplica, StoredEnvelope } from "./replica.js";
import { SEQUENCER_META_TYPES } from "./types/index.js";

/** Small enough that a receipt with long reasons stays well under the 64 KiB cap. */
export const COMMIT_ENTRIES_PER_RECEIPT = 128;
const MAX_REASON_LENGTH = 200;

export interface CommitEntry {
  id: EnvelopeId;
  index: number;
  verdict: "accepted" | "rejected";
  reason?: string;
}

export interface SequenceResult {
  /** The entries committed by this run, in index order. */
  entries: CommitEntry[];
  /** The receipt envelopes appended. */
  receipts: EnvelopeId[];
}

export class Sequencer {
  private state: SpaceState = emptyState();
  private stateIndex = 0;
  private generation = -1;
  /** Every envelope that arrived up to here is committed (or a receipt/appointment). */
  private scannedArrival = 0;
  private running: Promise<SequenceResult> | undefined;

  constructor(
    private readonly replica: LogReplica,
    private readonly signer: Signer,
    private readonly options: { now?: () => number } = {},
  ) {}

  /** The key this sequencer signs receipts with. */
  get did() {
    return this.signer.did;
  }

  /** True when this key must sign the receipt for the next index. */
  isActive(): boolean {
    return this.replica.commits.nextSequencer === this.signer.did;
  }

  /**
   * The committed state, kept incrementally (caught up to the replica's frontier on each
   * call: O(new commits), never a fold of the log). Read-only for callers: it is the
   * sequencer's own working state.
   */
  committed(): SpaceState {
    // During a run the state already holds the run's verdicts: catching up would apply them twice.
    if (this.running === undefined) this.catchUp();
    this.state.sequencer = this.replica.commits.nextSequencer ?? this.state.sequencer;
    return this.state;
  }

  /** Commits everything pending. A no-op (empty result) when this key is not the sequencer. */
  sequence(): Promise<SequenceResult> {
    // One run at a time: two overlapping runs would give two indexes the same number.
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<SequenceResult> {
    if (!this.isActive()) return { entries: [], receipts: [] };
    this.catchUp();
    // The judge trusts the active sequencer (the tool host) to act for members; after a
    // hand-over that is this key, not the one the genesis named.
    this.state.sequencer = this.signer.did;
    const commits = this.replica.commits;
    const arrived = this.replica.since(this.scannedArrival);
    const pending = causalOrder(
      arrived.filter((stored) => !SEQUENCER_META_TYPES.has(stored.envelope.type) && commits.statusOf(stored.id) === undefined),
    );
    const entries: CommitEntry[] = [];
    let index = commits.frontier;
    for (const { id, envelope } of pending) {
      const judgement = judge(this.state, id, envelope);
      index++;
      if (judgement.ok) {
        applyEnvelope(this.state, id, envelope);
        entries.push({ id, index, verdict: "accepted" });
      } else {
        entries.push({ id, index, verdict: "rejected", reason: judgement.reason.slice(0, MAX_REASON_LENGTH) });
      }
    }
    const receipts: EnvelopeId[] = [];
    try {
      for (let start = 0; start < entries.length; start += COMMIT_ENTRIES_PER_RECEIPT) {
        const batch = entries.slice(start, start + COMMIT_ENTRIES_PER_RECEIPT);
        const receipt = await this.replica.append(this.signer, "commit", { entries: batch }, { now: this.options.now?.() ?? Date.now() });
        receipts.push(receipt.id);
      }
      if (commits.frontier !== index) {
        throw new CommonsError("sequencer-diverged", `Committed up to ${index} but the replica's frontier is ${commits.frontier}.`, { status: 500 });
      }
    } catch (error) {
      // The cached state ran ahead of what was committed: rebuild it on the next run.
      this.generation = -1;
      throw error;
    }
    this.stateIndex = index;
    this.scannedArrival = arrived.at(-1)?.arrival ?? this.scannedArrival;
    return { entries, receipts };
  }

  /** Brings the cached committed state up to the replica's frontier. */
  private catchUp(): void {
    const commits = this.replica.commits;
    void commits.frontier; // resolves pending changes, which may bump the generation
    if (commits.generation !== this.generation) {
      this.generation = commits.generation;
      this.state = emptyState();
      this.stateIndex = 0;
      this.scannedArrival = 0;
    }
    const receipts = commits.committed();
    for (let index = this.stateIndex + 1; index <= receipts.length; index++) {
      const receipt = receipts[index - 1]!;
      if (receipt.verdict !== "accepted") continue;
      const stored: StoredEnvelope | undefined = this.replica.get(receipt.id);
      if (stored !== undefined) applyEnvelope(this.state, stored.id, stored.envelope);
    }
    this.stateIndex = receipts.length;
  }
}
