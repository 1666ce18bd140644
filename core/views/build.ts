/**
 * Views: one pure fold of a set of envelopes into everything a UI or a tool needs —
 * members and epochs, channel, work and claims, approvals, policies, artifacts, branches —
 * and each envelope's verdict.
 *
 * 1. Commits are resolved from the set's receipts (`CommitResolver`).
 * 2. `committed`: the committed envelopes in commit-index order, the accepted ones applied.
 *    This is the state authority is judged against.
 * 3. `current`: from `committed`, the uncommitted envelopes in causal order (ties by id)
 *    are judged; weak ones that pass are applied at once (messages, work, claims…), while
 *    control-plane ones (membership, policy, approval decisions) wait for their commit.
 *    So among concurrent tentative claims every replica shows the same winner, and the
 *    sequencer, judging in the same order, normally confirms it.
 *
 * Same set of envelopes → same view, on every replica, whatever the arrival order.
 * `replay(entries, cut)` is the view of the cut's envelopes alone.
 */
import { CommonsError } from "../errors.js";
import { CommitResolver, type CommitStatus } from "../log/commits.js";
import type { EnvelopeId, VersionVector } from "../log/ids.js";
import { SEQUENCER_META_TYPES } from "../log/types/index.js";
import { CONTROL_PLANE_TYPES, judge } from "./authority.js";
import { causalOrder, cutOf, entriesAtCut, vectorClocks, type LogEntry } from "./causal.js";
import { buildChannel, type ChannelView } from "./channel.js";
import { applyEnvelope, cloneState, emptyState, type SpaceState } from "./state.js";

export type Verdict =
  | ({ state: "committed" } & CommitStatus)
  | { state: "tentative"; verdict: "accepted" | "rejected" | "pending-commit"; reason?: string };

export interface SpaceView {
  /** State from committed envelopes only: what authority is judged against. */
  committed: SpaceState;
  /** Committed state plus the tentative weak effects: what to show. */
  current: SpaceState;
  /** Every sequenced envelope's verdict (receipts and appointments have none). */
  verdicts: Map<EnvelopeId, Verdict>;
  channel: ChannelView;
  /** Highest committed index. */
  frontier: number;
  /** The version vector of the set. */
  vector: VersionVector;
}

export function buildView(entries: Iterable<LogEntry>): SpaceView {
  const ordered = causalOrder(entries);
  const byId = new Map(ordered.map((entry) => [entry.id, entry] as const));
  const resolver = new CommitResolver();
  for (const { id, envelope } of ordered) resolver.add(id, envelope);

  const verdicts = new Map<EnvelopeId, Verdict>();
  const committed = emptyState();
  for (const receipt of resolver.committed()) {
    const entry = byId.get(receipt.id);
    // A receipt for an envelope outside the set (only a faulty sequencer cites one it had not seen).
    if (entry === undefined) continue;
    const { id: _id, ...status } = receipt;
    verdicts.set(receipt.id, { state: "committed", ...status });
    if (receipt.verdict === "accepted") applyEnvelope(committed, receipt.id, entry.envelope);
  }

  // The key that judges (and hosts tools for) the next index, hand-overs included: the
  // actor rule accepts envelopes on behalf of others only from it.
  const next = resolver.nextSequencer;
  if (next !== undefined) committed.sequencer = next;
  const current = cloneState(committed);
  const vector: VersionVector = {};
  for (const { id, envelope } of ordered) {
    if ((vector[envelope.author] ?? 0) < envelope.seq) vector[envelope.author] = envelope.seq;
    if (verdicts.has(id) || SEQUENCER_META_TYPES.has(envelope.type)) continue;
    const judgement = judge(current, id, envelope);
    if (!judgement.ok) verdicts.set(id, { state: "tentative", verdict: "rejected", reason: judgement.reason });
    else if (CONTROL_PLANE_TYPES.has(envelope.type)) verdicts.set(id, { state: "tentative", verdict: "pending-commit" });
    else {
      verdicts.set(id, { state: "tentative", verdict: "accepted" });
      applyEnvelope(current, id, envelope);
    }
  }
  return { committed, current, verdicts, channel: buildChannel(ordered, vectorClocks(ordered)), frontier: resolver.frontier, vector };
}

/** The view at a consistent cut; throws `cut-not-closed` / `cut-out-of-range` otherwise. */
export function replay(entries: Iterable<LogEntry>, cut: VersionVector): SpaceView {
  return buildView(entriesAtCut(entries, cut));
}

/**
 * The cut at commit index `index`: the causal past of the receipt that stamped it. It
 * includes every envelope committed up to `index`, and may include a few more receipts
 * of the same batch (a receipt carries up to 256 entries; the cut cannot split it).
 */
export function cutAtCommitIndex(entries: Iterable<LogEntry>, index: number): VersionVector {
  const all = [...entries];
  const resolver = new CommitResolver();
  for (const { id, envelope } of causalOrder(all)) resolver.add(id, envelope);
  const receipt = resolver.receiptFor(index);
  if (receipt === undefined) {
    throw new CommonsError("cut-out-of-range", `Commit index ${index} is beyond the committed frontier ${resolver.frontier}.`);
  }
  return cutOf(all, [receipt]);
}

/** A plain, JSON-comparable form of a view: maps as sorted entries. For tests and debugging. */
export function viewSnapshot(view: SpaceView): unknown {
  const sorted = <V>(map: Map<string, V>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const state = (s: SpaceState) => ({
    genesis: s.genesis, sequencer: s.sequencer, epoch: s.epoch, members: sorted(s.members), work: sorted(s.work), approvals: sorted(s.approvals),
    policies: sorted(s.policies), artifacts: sorted(s.artifacts), branches: sorted(s.branches), savedViews: sorted(s.savedViews),
    grants: sorted(s.grants), revoked: sorted(s.revoked), coalitions: sorted(s.coalitions), markets: sorted(s.markets),
  });
  return {
    committed: state(view.committed), current: state(view.current), verdicts: sorted(view.verdicts),
    channel: view.channel, frontier: view.frontier, vector: Object.entries(view.vector).sort(),
  };
}
