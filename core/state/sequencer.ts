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
import { CommonsError, isCommonsError } from "../errors.js";
import type { Signer } from "../identity/signer.js";
import { judge } from "../views/authority.js";
import { causalOrder } from "../views/causal.js";
import { CHECKPOINT_EVERY, StateStore, type StoredState } from "./store.js";
import { applyEnvelope, type SpaceState } from "../views/state.js";
import type { EnvelopeId } from "../log/ids.js";
import type { LogReplica, StoredEnvelope } from "../log/replica.js";
import { segmentError } from "../log/segment.js";
import { SEQUENCER_META_TYPES } from "../log/types/index.js";

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
  /** The committed state and where it stands; loaded from its tables on first use. */
  private held: StoredState | undefined;
  private readonly store: StateStore;
  private running: Promise<SequenceResult> | undefined;

  constructor(
    private readonly replica: LogReplica,
    private readonly signer: Signer,
    /** `checkpointEvery`: commits between whole snapshots (default CHECKPOINT_EVERY). */
    private readonly options: { now?: () => number; checkpointEvery?: number } = {},
  ) {
    this.store = new StateStore(replica.sql);
  }

  private get stored(): StoredState {
    return (this.held ??= this.store.load());
  }

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
    const { state } = this.stored;
    state.sequencer = this.replica.commits.nextSequencer ?? state.sequencer;
    return state;
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
    const held = this.stored;
    const state = held.state;
    // The judge trusts the active sequencer (the tool host) to act for members; after a
    // hand-over that is this key, not the one the genesis named.
    state.sequencer = this.signer.did;
    const commits = this.replica.commits;
    const arrived = this.replica.since(held.scanned);
    const candidates = arrived.filter((stored) => !SEQUENCER_META_TYPES.has(stored.envelope.type));
    // Usually none of them is committed yet (another sequencer's receipts may have said so): asked in one read per 90.
    const committedAlready = commits.statusesOf(candidates.map((stored) => stored.id));
    const pending = causalOrder(candidates.filter((stored) => !committedAlready.has(stored.id)));
    const entries: CommitEntry[] = [];
    let index = commits.frontier;
    for (const { id, envelope } of pending) {
      const judgement = judge(state, id, envelope);
      index++;
      if (judgement.ok) {
        applyEnvelope(state, id, envelope);
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
      // The state ran ahead of what was committed: reload the stored one on the next use.
      this.held = undefined;
      throw error;
    }
    const before = held.index;
    held.index = index;
    held.tip = entries.at(-1)?.id ?? held.tip;
    held.scanned = arrived.at(-1)?.arrival ?? held.scanned;
    this.save(before);
    return { entries, receipts };
  }

  /**
   * Brings the committed state up to the replica's frontier, folding only the commits past
   * the stored index. If the commit order below that index was rewritten (a sequencer
   * hand-over re-sequenced it), the stored state no longer holds and is folded again from
   * the start (rare: only an owner's appointment does it).
   */
  private catchUp(): void {
    const commits = this.replica.commits;
    let held = this.stored;
    const frontier = commits.frontier;
    if (held.index > frontier || (held.index > 0 && commits.committedAt(held.index)?.id !== held.tip)) {
      held = this.held = this.store.empty();
      this.store.dropCheckpointsAbove(0);
      this.store.save(held, { all: true });
    }
    if (held.index === frontier) return;
    try {
      for (let index = held.index + 1; index <= frontier; index++) {
        const receipt = commits.committedAt(index)!;
        if (receipt.verdict !== "accepted") continue;
        const stored: StoredEnvelope | undefined = this.replica.get(receipt.id);
        if (stored !== undefined) applyEnvelope(held.state, stored.id, stored.envelope);
      }
    } catch (error) {
      // Part-folded: the next use starts again from what is stored.
      this.held = undefined;
      // Past the stored index nothing is sealed (sealing stops at the scanned point), so only a
      // fold from the start after a hand-over can meet sealed text: say so, and what to do.
      if (isCommonsError(error) && error.code === "history-not-loaded") {
        const from = commits.sequencerRanges().at(-1)?.from;
        throw segmentError("history-resequenced", `After a hand-over from index ${from} the committed state must be folded again from index 1, through sealed history`);
      }
      throw error;
    }
    const before = held.index;
    held.index = frontier;
    held.tip = commits.committedAt(frontier)?.id ?? null;
    this.save(before);
  }

  /** Saves the state, and a whole snapshot when the index passed a multiple of CHECKPOINT_EVERY. */
  private save(before: number): void {
    const held = this.stored;
    this.store.save(held);
    const every = this.options.checkpointEvery ?? CHECKPOINT_EVERY;
    if (Math.floor(held.index / every) > Math.floor(before / every)) this.store.checkpoint(held.state, held.index);
  }

  /**
   * The committed state right after commit `index`: the snapshot at or below it, and the
   * commits since (at most about CHECKPOINT_EVERY). For replay and the evidence timeline.
   */
  committedAtIndex(index: number): SpaceState {
    const commits = this.replica.commits;
    if (index < 0 || index > commits.frontier) {
      throw new CommonsError("cut-out-of-range", `Commit index ${index} is beyond the committed frontier ${commits.frontier}.`);
    }
    const { state, index: from } = this.store.checkpointAtOrBelow(index);
    for (let at = from + 1; at <= index; at++) {
      const receipt = commits.committedAt(at)!;
      if (receipt.verdict !== "accepted") continue;
      const stored = this.replica.get(receipt.id);
      if (stored !== undefined) applyEnvelope(state, stored.id, stored.envelope);
    }
    state.sequencer = sequencerAt(commits.sequencerRanges(), index + 1) ?? state.sequencer;
    return state;
  }
}

/** Who sequenced index `index`, from the hand-overs that took effect. */
function sequencerAt(ranges: readonly { from: number; sequencer: string }[], index: number): SpaceState["sequencer"] {
  let who: string | undefined;
  for (const range of ranges) if (range.from <= index) who = range.sequencer;
  return who as SpaceState["sequencer"];
}
