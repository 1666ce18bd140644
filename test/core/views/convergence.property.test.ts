/**
 * Property: replicas converge. A random scenario (three members writing on their own
 * nodes with partial, random syncs — so claims and other writes are often concurrent —
 * and the edge sequencing now and then) produces a pool of envelopes. Then 3–4 fresh
 * replicas each receive the pool in their own random order and batching, looping until a
 * pass lands nothing new (seq gaps and missing deps are refused and retried). All must
 * hold the whole pool and compute identical views, equal to the view of the pool itself;
 * every work item has at most one claimant; and replay at a random consistent cut equals
 * the view of a replica that was given only that cut.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { buildView, replay, viewSnapshot } from "../../../core/views/build.js";
import { causalOrder, cutOf, type LogEntry } from "../../../core/views/causal.js";
import { CommitResolver } from "../../../core/log/commits.js";
import { keys, openReplica, seededReplica, T0 } from "../log/fixtures.js";
import { mulberry32 } from "../../../scripts/prng.mjs";

type Command = { actor: number; kind: number; pick: number; syncFrom: number };

const commandArb = fc.record({
  actor: fc.integer({ min: 0, max: 3 }),
  kind: fc.integer({ min: 0, max: 5 }),
  pick: fc.nat(),
  syncFrom: fc.integer({ min: -1, max: 3 }),
});

async function syncInto(target: LogReplica, source: LogReplica): Promise<void> {
  for (let batch = source.missingFor(target.versionVector(), 50); batch.length > 0; batch = source.missingFor(target.versionVector(), 50)) {
    await target.ingest(batch);
  }
}

async function runScenario(commands: Command[]): Promise<LogEntry[]> {
  const { replica: edge, cast } = await seededReplica();
  const sequencer = new Sequencer(edge, cast.edge);
  await sequencer.sequence();
  const writers = [cast.alice, cast.bob, cast.carol];
  const nodes = writers.map(() => openReplica());
  for (const node of nodes) await syncInto(node, edge);
  const all = [...nodes, edge];
  let clock = T0 + 1000;
  for (const { actor, kind, pick, syncFrom } of commands) {
    clock += 7;
    const self = all[actor]!;
    if (syncFrom >= 0 && syncFrom !== actor) await syncInto(self, all[syncFrom]!);
    if (actor === 3) {
      await sequencer.sequence();
      continue;
    }
    const signer = writers[actor]!;
    const items = [...buildView(self.since(0)).current.work.keys()].sort();
    const item = items.length > 0 ? items[pick % items.length]! : undefined;
    const options = { now: clock };
    if (kind === 0 || item === undefined) await self.append(signer, "work.created", { title: `task ${pick}` }, options);
    else if (kind === 1 || kind === 2) await self.append(signer, "work.claimed", { item }, options);
    else if (kind === 3) await self.append(signer, "work.released", { item }, options);
    else if (kind === 4) await self.append(signer, "work.completed", { item, result: "done" }, options);
    else await self.append(signer, "channel.message", { content: `note ${pick}`, mentions: [writers[pick % 3]!.did] }, options);
  }
  // The pool: everything any replica holds.
  const pool = openReplica();
  for (const replica of all) await syncInto(pool, replica);
  return pool.since(0).map(({ id, envelope }) => ({ id, envelope }));
}

async function deliver(pool: LogEntry[], seed: number): Promise<LogReplica> {
  const random = mulberry32(seed);
  const order = [...pool].sort(() => random() - 0.5).map((entry) => entry.envelope as unknown);
  const replica = openReplica();
  for (let landed = -1; landed !== 0; ) {
    landed = 0;
    for (let start = 0; start < order.length; ) {
      const size = 1 + Math.floor(random() * 8);
      const results = await replica.ingest(order.slice(start, start + size));
      landed += results.filter((result) => result.status === "accepted").length;
      start += size;
    }
  }
  return replica;
}

describe("convergence", () => {
  it("replicas given the same envelopes in any order compute identical views", async () => {
    await keys();
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 5, maxLength: 30 }),
        fc.array(fc.integer(), { minLength: 3, maxLength: 4 }),
        fc.nat(),
        async (commands, seeds, cutPick) => {
          const pool = await runScenario(commands);
          const expected = viewSnapshot(buildView(pool));
          const resolver = new CommitResolver();
          for (const { id, envelope } of causalOrder(pool)) resolver.add(id, envelope);
          const commits = resolver.committed().map(({ id, index, verdict, receipt }) => ({ id, index, verdict, receipt }));
          for (const seed of seeds) {
            const replica = await deliver(pool, seed);
            expect(replica.count()).toBe(pool.length);
            expect(viewSnapshot(buildView(replica.since(0)))).toEqual(expected);
            // The replica's SQL commit index, built in its own arrival order, says what the pure rule says.
            expect(replica.commits.committed().map(({ id, index, verdict, receipt }) => ({ id, index, verdict, receipt }))).toEqual(commits);
            expect(replica.commits.nextSequencer).toBe(resolver.nextSequencer);
          }
          const view = buildView(pool);
          // One holder at a time: an open item has no claimant, a claimed one exactly the
          // author of an accepted claim; a losing claim says who holds the item.
          for (const item of view.current.work.values()) {
            if (item.status === "open") expect(item.claimant).toBeUndefined();
            if (item.status === "claimed") {
              const verdict = view.verdicts.get(item.claim!);
              expect(verdict?.state === "committed" ? verdict.verdict : verdict?.verdict).toBe("accepted");
            }
          }
          for (const [id, verdict] of view.verdicts) {
            const entry = pool.find((candidate) => candidate.id === id)!;
            if (entry.envelope.type === "work.claimed" && verdict.verdict === "rejected") {
              expect(verdict.reason).toMatch(/^(already claimed by did:key:|the work item is already completed)/);
            }
          }
          const cut = cutOf(pool, [pool[cutPick % pool.length]!.id]);
          const inCut = pool.filter((entry) => entry.envelope.seq <= (cut[entry.envelope.author] ?? 0));
          const prefixReplica = await deliver(inCut, cutPick);
          expect(prefixReplica.versionVector()).toEqual(cut);
          expect(viewSnapshot(buildView(prefixReplica.since(0)))).toEqual(viewSnapshot(replay(pool, cut)));
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
