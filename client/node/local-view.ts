/**
 * What the commands show of a local copy, without folding its log:
 *
 * - the committed state, as the sequencer keeps it (core/state/sequencer.ts `committed()`:
 *   stored beside the log, caught up by the commits since it was saved);
 * - on top of it, the tentative overlay: the copy's uncommitted envelopes, judged in causal
 *   order as `buildView` and the sequencer judge them — found in the uncommitted suffix of
 *   the log only, past the `settled` mark in node_meta (every envelope that arrived up to
 *   it is committed, or a receipt or appointment, which never are).
 *
 * The mark holds while the commit order below it cannot change, i.e. while the sequencer
 * hand-overs are the same as when it was set; after a hand-over it is found again from the
 * start (rare: an owner's `sequencer.appointed`). Work per call: the commits since the
 * state was saved, plus the suffix past the mark.
 */
import { CommonsError } from "../../core/errors.js";
import type { Did } from "../../core/identity/did.js";
import type { Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { StoredEnvelope } from "../../core/log/replica.js";
import { Sequencer } from "../../core/state/sequencer.js";
import { SEQUENCER_META_TYPES, type EnvelopeType } from "../../core/log/types/index.js";
import { CONTROL_PLANE_TYPES, judge } from "../../core/views/authority.js";
import type { Verdict } from "../../core/views/build.js";
import { causalOrder } from "../../core/views/causal.js";
import { applyEnvelope, cloneState, type SpaceState } from "../../core/views/state.js";
import type { LocalSpace } from "./local-space.js";

export interface LocalView {
  /** The committed state: what authority is judged against. Read-only. */
  committed: SpaceState;
  /** Committed plus the tentative weak effects: what to show. Read-only. */
  current: SpaceState;
  /** The verdict of each uncommitted envelope. */
  tentative: Map<EnvelopeId, Verdict>;
}

/** `committed()` only reads; a sequencer that is never asked to sequence never signs. */
const READER: Signer = {
  did: "did:key:local-view-reader" as Did,
  sign: () => Promise.reject(new CommonsError("not-a-sequencer", "A local view never signs receipts.")),
};

const sequencers = new WeakMap<LocalSpace, Sequencer>();

/** The committed state of the copy (the sequencer's stored state, caught up). */
export function committedState(local: LocalSpace): SpaceState {
  let sequencer = sequencers.get(local);
  if (sequencer === undefined) sequencers.set(local, (sequencer = new Sequencer(local.replica, READER)));
  return sequencer.committed();
}

interface Settled {
  arrival: number;
  ranges: string;
}

/** The copy's envelopes no sequencer has committed (receipts and appointments excluded), in arrival order. */
export function uncommitted(local: LocalSpace): StoredEnvelope[] {
  const commits = local.replica.commits;
  const ranges = JSON.stringify(commits.sequencerRanges());
  let mark: Settled | undefined;
  try {
    mark = JSON.parse(local.meta("settled") ?? "null") as Settled | undefined;
  } catch {
    mark = undefined; // an unreadable mark is found again from the start
  }
  const from = mark !== undefined && mark !== null && mark.ranges === ranges ? Number(mark.arrival) || 0 : 0;
  const rows = local.sql.exec<{ arrival: number; id: string; type: string }>(`SELECT arrival, id, type FROM log_envelopes WHERE arrival > ? ORDER BY arrival`, from);
  const pending = rows.filter((row) => !SEQUENCER_META_TYPES.has(row.type as EnvelopeType) && commits.statusOf(row.id as EnvelopeId) === undefined);
  const settled = pending.length > 0 ? Number(pending[0]!.arrival) - 1 : Number(rows.at(-1)?.arrival ?? from);
  if (settled !== from || mark?.ranges !== ranges) local.setMeta("settled", JSON.stringify({ arrival: settled, ranges } satisfies Settled));
  return pending.map((row) => local.replica.get(row.id as EnvelopeId)!);
}

/** Committed state, and the overlay of the uncommitted suffix on it. */
export function localView(local: LocalSpace): LocalView {
  const committed = committedState(local);
  const pending = uncommitted(local);
  const tentative = new Map<EnvelopeId, Verdict>();
  if (pending.length === 0) return { committed, current: committed, tentative };
  const current = cloneState(committed);
  for (const { id, envelope } of causalOrder(pending)) {
    const judgement = judge(current, id, envelope);
    if (!judgement.ok) tentative.set(id, { state: "tentative", verdict: "rejected", reason: judgement.reason });
    else if (CONTROL_PLANE_TYPES.has(envelope.type)) tentative.set(id, { state: "tentative", verdict: "pending-commit" });
    else {
      tentative.set(id, { state: "tentative", verdict: "accepted" });
      applyEnvelope(current, id, envelope);
    }
  }
  return { committed, current, tentative };
}
