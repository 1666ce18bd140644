/**
 * Which envelopes are committed, at which index, with which verdict: a pure function of the
 * set of envelopes held, whatever order they arrived in.
 *
 * - The first sequencer is named by the genesis (`space.created`): its `sequencer`, or its
 *   author. A `sequencer.appointed` with `fromIndex: f` hands the role over from index f,
 *   if its author is an owner in the committed view below f. Several appointments for the
 *   same f: the lowest id whose author qualifies wins.
 * - Index i is committed by the receipt for i in a `commit` signed by the sequencer
 *   responsible for i. Indexes are gapless: the frontier stops at the first index with no
 *   receipt from its sequencer. Receipts for i from anyone else do not count (the old
 *   sequencer's receipts past a hand-over are ignored, and their envelopes re-sequenced).
 *
 * Incremental: a receipt extends the frontier in O(entries). An appointment or genesis that
 * changes the past marks the state dirty and the next read recomputes from scratch (rare).
 */
import type { Did } from "../identity/did.js";
import { applyToOwners, membershipChanges } from "../state/membership.js";
import type { Envelope, EnvelopeOf } from "./envelope.js";
import type { EnvelopeId } from "./ids.js";

export interface CommitStatus {
  index: number;
  verdict: "accepted" | "rejected";
  reason?: string;
  /** The commit envelope that carries the receipt. */
  receipt: EnvelopeId;
}

interface Receipt extends CommitStatus {
  id: EnvelopeId;
}

type MembershipEnvelope = EnvelopeOf<"space.created"> | EnvelopeOf<"member.added"> | EnvelopeOf<"member.removed">;
type Appointment = { id: EnvelopeId; author: Did; sequencer: Did; fromIndex: number };

/** Envelope types the resolver needs to see; the replica feeds it only these. */
export const COMMIT_RELEVANT_TYPES: ReadonlySet<string> = new Set([
  "space.created", "member.added", "member.removed", "commit", "sequencer.appointed",
]);

export class CommitResolver {
  private genesis: { id: EnvelopeId; envelope: EnvelopeOf<"space.created"> } | undefined;
  private readonly membership = new Map<EnvelopeId, MembershipEnvelope>();
  /** Receipts by signer, then index: the first receipt a signer gave for an index counts. */
  private readonly receipts = new Map<Did, Map<number, Receipt>>();
  private readonly appointments = new Map<number, Appointment[]>();

  // Derived state, valid while `dirty` is false.
  private dirty = true;
  private byIndex: Receipt[] = [];
  private byId = new Map<EnvelopeId, Receipt>();
  private owners = new Set<Did>();
  private current: Did | undefined;
  private activatedAt = new Set<number>();
  private ranges: { from: number; sequencer: Did }[] = [];
  /** Bumped on every full recompute, so caches built on earlier results can tell. */
  generation = 0;

  /** Feeds one envelope; ignores types that do not affect commits. */
  add(id: EnvelopeId, envelope: Envelope): void {
    switch (envelope.type) {
      case "space.created":
        if (this.genesis === undefined || id < this.genesis.id) {
          this.genesis = { id, envelope };
          this.dirty = true;
        }
        this.addMembership(id, envelope);
        return;
      case "member.added":
      case "member.removed":
        this.addMembership(id, envelope);
        return;
      case "sequencer.appointed": {
        const { sequencer, fromIndex } = envelope.body;
        const list = this.appointments.get(fromIndex) ?? [];
        list.push({ id, author: envelope.author, sequencer, fromIndex });
        list.sort((a, b) => (a.id < b.id ? -1 : 1));
        this.appointments.set(fromIndex, list);
        // An appointment at or below the next index may change decisions already made.
        if (fromIndex <= this.byIndex.length + 1) this.dirty = true;
        return;
      }
      case "commit": {
        let mine = this.receipts.get(envelope.author);
        if (mine === undefined) this.receipts.set(envelope.author, (mine = new Map()));
        for (const entry of envelope.body.entries) {
          if (!mine.has(entry.index)) mine.set(entry.index, { ...entry, receipt: id });
        }
        if (!this.dirty) this.advance();
        return;
      }
      default:
        return;
    }
  }

  statusOf(id: EnvelopeId): CommitStatus | undefined {
    this.refresh();
    const receipt = this.byId.get(id);
    if (receipt === undefined) return undefined;
    const { id: _id, ...status } = receipt;
    return status;
  }

  /** The highest index committed (0 when none). Every index up to it is committed. */
  get frontier(): number {
    this.refresh();
    return this.byIndex.length;
  }

  /** Who must sign the receipt for the next index (undefined before a genesis is held). */
  get nextSequencer(): Did | undefined {
    this.refresh();
    return this.current;
  }

  /** The committed ids in index order, with verdicts. */
  committed(): readonly Readonly<Receipt>[] {
    this.refresh();
    return this.byIndex;
  }

  /** The commit at `index` (1-based), if committed. */
  committedAt(index: number): Readonly<Receipt> | undefined {
    this.refresh();
    return this.byIndex[index - 1];
  }

  /** The receipt envelope that carries index `index`, if committed. */
  receiptFor(index: number): EnvelopeId | undefined {
    this.refresh();
    return this.byIndex[index - 1]?.receipt;
  }

  /** The owners as of the frontier (what the next appointment is checked against). */
  ownersNow(): Did[] {
    this.refresh();
    return [...this.owners];
  }

  /** Sequencer hand-overs that took effect: [from index, sequencer]. */
  sequencerRanges(): readonly { from: number; sequencer: Did }[] {
    this.refresh();
    return this.ranges;
  }

  private addMembership(id: EnvelopeId, envelope: MembershipEnvelope): void {
    this.membership.set(id, envelope);
    // Normally an envelope arrives before any receipt for it; if not, the owners derived
    // from earlier receipts were incomplete.
    if (this.byId.has(id)) this.dirty = true;
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.generation++;
    this.byIndex = [];
    this.byId = new Map();
    this.activatedAt = new Set();
    const genesis = this.genesis?.envelope;
    this.owners = new Set(genesis?.body.owners ?? []);
    this.current = genesis === undefined ? undefined : (genesis.body.sequencer ?? genesis.author);
    this.ranges = this.current === undefined ? [] : [{ from: 1, sequencer: this.current }];
    this.advance();
  }

  /** Extends the frontier as far as receipts from the responsible sequencers reach. */
  private advance(): void {
    for (;;) {
      const index = this.byIndex.length + 1;
      this.activateAppointments(index);
      if (this.current === undefined) return;
      const receipt = this.receipts.get(this.current)?.get(index);
      // A receipt for an id already committed is a sequencer bug: stop rather than guess.
      if (receipt === undefined || this.byId.has(receipt.id)) return;
      this.byIndex.push(receipt);
      this.byId.set(receipt.id, receipt);
      if (receipt.verdict === "accepted") this.applyMembership(receipt.id);
    }
  }

  private activateAppointments(index: number): void {
    if (this.activatedAt.has(index)) return;
    this.activatedAt.add(index);
    for (const appointment of this.appointments.get(index) ?? []) {
      if (this.owners.has(appointment.author)) {
        this.current = appointment.sequencer;
        this.ranges.push({ from: index, sequencer: appointment.sequencer });
        return;
      }
    }
  }

  /** Owners as the committed view has them: only what appointment checks need. */
  private applyMembership(id: EnvelopeId): void {
    const envelope = this.membership.get(id);
    if (envelope === undefined || (envelope.type === "space.created" && id !== this.genesis?.id)) return;
    applyToOwners(this.owners, membershipChanges(envelope));
  }
}
