/**
 * Property: the stored, incremental committed state equals a full fold of the log. Random
 * histories — members writing work, claims, messages, grants, spends, revocations, member
 * changes and an occasional sequencer hand-over, forks and rejections among them — are
 * sequenced in random chunks. After every chunk the sequencer's state equals
 * `buildView(log).committed`; so does a fresh sequencer that wakes on the same storage
 * (reading only the state's rows), and one that wakes after a crash between a receipt and
 * the state's save (it folds the commits past its stored index).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { buildView, viewSnapshot, type SpaceView } from "../../../core/views/build.js";
import { applyEnvelope, type SpaceState } from "../../../core/views/state.js";
import { CHECKPOINT_EVERY, StateStore } from "../../../core/state/store.js";
import { keys, seed, signRaw, SPACE, T0 } from "../log/fixtures.js";

type Step = { who: number; kind: number; pick: number; commit: boolean };

const stepArb = fc.record({
  who: fc.integer({ min: 0, max: 2 }),
  kind: fc.integer({ min: 0, max: 9 }),
  pick: fc.nat(),
  commit: fc.boolean(),
});

/** Only the committed state, as comparable JSON (maps as sorted entries). */
function snapshotOf(state: SpaceState): unknown {
  const view = { committed: state, current: state, verdicts: new Map(), channel: { messages: [] }, frontier: 0, vector: {} } as unknown as SpaceView;
  return (viewSnapshot(view) as { committed: unknown }).committed;
}

async function history(steps: Step[]) {
  const cast = await keys();
  const sql = new NodeSql();
  const replica = LogReplica.open(sql, SPACE);
  const { alice, bob, carol, edge } = cast;
  const dave = await Ed25519Signer.fromSeed(seed(5));
  let now = T0;
  const at = () => ({ now: (now += 3) });
  await replica.append(alice, "space.created", { owners: [alice.did], sequencer: edge.did }, at());
  await replica.append(alice, "member.added", { member: bob.did, role: "human", domains: ["ops"] }, at());
  await replica.append(alice, "member.added", { member: carol.did, role: "agent", domains: ["infra"] }, at());
  let sequencerKey = edge;
  // Snapshots every 4 commits, so replay and wakes cross several of them.
  const options = { checkpointEvery: 4 };
  let sequencer = new Sequencer(replica, sequencerKey, options);
  const expiresAt = new Date(T0 + 3_600_000).toISOString();
  const writers = [alice, bob, carol];
  for (const [n, { who, kind, pick, commit }] of steps.entries()) {
    const signer = writers[who]!;
    const state = buildView(replica.since(0)).current;
    const items = [...state.work.keys()].sort();
    const item = items[pick % Math.max(1, items.length)];
    switch (kind) {
      case 0: await replica.append(signer, "work.created", { title: `task ${n}`, domains: [pick % 2 ? "ops" : "infra"], ...(pick % 3 === 0 ? { clock: "HF" as const } : {}) }, at()); break;
      case 1: if (item) await replica.append(signer, "work.claimed", { item }, at()); break;
      case 2: if (item) await replica.append(signer, "work.completed", { item, result: "done" }, at()); break;
      case 3: await replica.append(signer, "channel.message", { content: `note ${n}` }, at()); break;
      case 4: await replica.append(alice, "authority.granted", { jti: `grant-${n}-xx`, subject: writers[pick % 3]!.did, tools: ["post_message"], tier: 1, budget: { calls: 1 + (pick % 3) }, expiresAt }, at()); break;
      case 5: {
        const grants = [...state.grants.keys()].sort();
        if (grants.length > 0) await replica.append(alice, "authority.revoked", { jti: grants[pick % grants.length]! }, at());
        break;
      }
      case 6: await replica.append(alice, "member.added", { member: dave.did, role: pick % 2 ? "agent" : "observer", domains: ["ops"] }, at()); break;
      case 7: await replica.append(signer, "approval.requested", { action: { tool: "create_work_item", params: { title: "x", clock: "HF" }, summary: "HF" }, approver: "owner", expiresAt }, at()); break;
      case 8: {
        // A fork: a second envelope signed with carol's last seq, kept as evidence, never applied.
        const tip = replica.writerState(carol.did).last;
        if (tip) {
          const fork = await signRaw(carol, { type: "channel.message", body: { content: `fork ${n}` }, seq: tip.seq, prev: tip.seq === 1 ? null : replica.get(tip.id)!.envelope.prev, hlc: tip.hlc });
          await replica.ingest([fork.envelope]);
        }
        break;
      }
      case 9: {
        // An owner hands the sequencer role to bob from the next index, then back.
        const next = sequencerKey === edge ? bob : edge;
        await sequencer.sequence();
        await replica.append(alice, "sequencer.appointed", { sequencer: next.did, fromIndex: replica.commits.frontier + 1 }, at());
        sequencerKey = next;
        sequencer = new Sequencer(replica, sequencerKey, options);
        break;
      }
    }
    if (commit) {
      await sequencer.sequence();
      const expected = snapshotOf(buildView(replica.since(0)).committed);
      expect(snapshotOf(sequencer.committed())).toEqual(expected);
    }
  }
  await sequencer.sequence();
  return { sql, replica, sequencerKey, cast };
}

describe("the stored committed state", () => {
  it("equals a full fold after every commit, after a wake, and after a crash between a receipt and the save", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), async (steps) => {
        const { sql, replica, sequencerKey } = await history(steps);
        const full = () => snapshotOf(buildView(replica.since(0)).committed);
        // A wake: a new replica object and sequencer on the same storage.
        const woken = new Sequencer(LogReplica.open(sql, SPACE), sequencerKey);
        expect(snapshotOf(woken.committed())).toEqual(full());
        // A crash mid-commit: a receipt lands, but the state is not saved (as if the process
        // died between the two). The next wake folds the commits past the stored index.
        const reopened = LogReplica.open(sql, SPACE);
        await reopened.append(sequencerKey, "channel.message", { content: "after the crash" });
        const pending = reopened.since(0).filter((e) => reopened.status(e.id).state === "tentative").map((e) => e.id);
        if (pending.length > 0) {
          const entries = pending.map((id, i) => ({ id, index: reopened.commits.frontier + 1 + i, verdict: "accepted" as const }));
          await reopened.append(sequencerKey, "commit", { entries });
        }
        const afterCrash = new Sequencer(LogReplica.open(sql, SPACE), sequencerKey);
        expect(snapshotOf(afterCrash.committed())).toEqual(snapshotOf(buildView(reopened.since(0)).committed));
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe("replay from checkpoints", () => {
  it("the committed state at any commit index equals the fold of the commits up to it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 60 }), fc.nat(), async (steps, pick) => {
        const { replica, sequencerKey } = await history(steps.map((step) => ({ ...step, commit: true })));
        const sequencer = new Sequencer(replica, sequencerKey);
        const frontier = replica.commits.frontier;
        const index = pick % (frontier + 1);
        // The reference: a fresh fold of the accepted commits 1..index, from nothing.
        const reference = new Sequencer(LogReplica.open(new NodeSql(), SPACE), sequencerKey);
        const naive = reference.committed();
        for (const entry of replica.commits.committed().slice(0, index)) {
          if (entry.verdict === "accepted") applyEnvelope(naive, entry.id, replica.get(entry.id)!.envelope);
        }
        naive.sequencer = sequencer.committedAtIndex(index).sequencer;
        expect(snapshotOf(sequencer.committedAtIndex(index))).toEqual(snapshotOf(naive));
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it("replay starts from the nearest snapshot at or below the index", async () => {
    const { replica } = await history(Array.from({ length: 30 }, (_, i) => ({ who: i % 3, kind: 3, pick: i, commit: true })));
    const store = new StateStore(replica.sql);
    const frontier = replica.commits.frontier;
    expect(frontier).toBeGreaterThan(20);
    // One commit per step: a snapshot at least every 4 commits, so none is further back than that.
    for (let index = 0; index <= frontier; index++) expect(index - store.checkpointAtOrBelow(index).index).toBeLessThan(4 + 3);
    expect(CHECKPOINT_EVERY).toBe(1000);
  });
});
