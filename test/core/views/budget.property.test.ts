/**
 * Property: no double spending across replicas. A grant with a budget of 10 calls (and
 * two delegations beneath it, so spends by three subjects all count against it) receives
 * 50 spends written concurrently on four offline replicas: carol's node, dave's node and
 * bob's node (each author spending its own grant), and the edge's tool host spending for
 * carol. Then every replica syncs with every other, in a random order, the edge's
 * sequencer commits, and everyone syncs again. On every replica exactly 10 spends are
 * accepted — the same 10 — and the rest are rejected "budget exhausted".
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { buildView, viewSnapshot } from "../../../core/views/build.js";
import { openReplica, seed, seededReplica } from "../log/fixtures.js";

const BUDGET = 10;
const SPENDS = 50;
const EXPIRES = new Date(Date.now() + 3_600_000).toISOString();

async function syncInto(target: LogReplica, source: LogReplica): Promise<void> {
  for (let batch = source.missingFor(target.versionVector(), 20); batch.length > 0; batch = source.missingFor(target.versionVector(), 20)) {
    await target.ingest(batch);
  }
}

async function scenario(writers: number[], syncOrder: number[]) {
  const { replica: edge, cast } = await seededReplica();
  const { alice, bob, carol } = cast;
  const dave = await Ed25519Signer.fromSeed(seed(5));
  const sequencer = new Sequencer(edge, cast.edge);
  // dave is an agent of the space (only members' envelopes get past the log's door).
  await edge.append(alice, "member.added", { member: dave.did, role: "agent", domains: [] });
  // The grants cover post_message only: carol's own grants (grant_authority) spend nothing.
  await edge.append(alice, "authority.granted", { jti: "team-budget-1", subject: carol.did, tools: ["post_message"], tier: 2, budget: { calls: BUDGET }, expiresAt: EXPIRES });
  for (const [jti, subject] of [["dave-budget-1", dave.did], ["bob-budget-1", bob.did]] as const) {
    await edge.append(carol, "authority.granted", { jti, subject, tools: ["post_message"], tier: 1, budget: { calls: BUDGET }, expiresAt: EXPIRES, parent: "team-budget-1" });
  }
  await sequencer.sequence();
  const nodes = [openReplica(), openReplica(), openReplica()];
  for (const node of nodes) await syncInto(node, edge);
  // Offline from here: each replica writes its share of the spends alone.
  const spenders = [
    { replica: nodes[0]!, signer: carol, body: { grant: "team-budget-1", tool: "post_message" } },
    { replica: nodes[1]!, signer: dave, body: { grant: "dave-budget-1", tool: "post_message" } },
    { replica: nodes[2]!, signer: bob, body: { grant: "bob-budget-1", tool: "post_message" } },
    { replica: edge, signer: cast.edge, body: { grant: "team-budget-1", tool: "post_message", actor: carol.did } },
  ];
  const spends: EnvelopeId[] = [];
  for (const writer of writers) {
    const { replica, signer, body } = spenders[writer]!;
    spends.push((await replica.append(signer, "budget.spent", body)).id);
  }
  const all = [edge, ...nodes];
  for (const i of syncOrder) for (const j of syncOrder) if (i !== j) await syncInto(all[i]!, all[j]!);
  await sequencer.sequence();
  for (const replica of nodes) await syncInto(replica, edge);
  return { all, spends };
}

describe("budget spends across replicas", () => {
  it(`exactly ${BUDGET} of ${SPENDS} concurrent spends are accepted, the same everywhere`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: SPENDS, maxLength: SPENDS }),
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
        async (writers, syncOrder) => {
          const { all, spends } = await scenario(writers, syncOrder);
          let expected: unknown;
          let acceptedEverywhere: EnvelopeId[] | undefined;
          for (const replica of all) {
            expect(spends.every((id) => replica.has(id))).toBe(true);
            const view = buildView(replica.since(0));
            const accepted = spends.filter((id) => {
              const verdict = view.verdicts.get(id);
              expect(verdict?.state).toBe("committed");
              if (verdict?.verdict === "rejected") expect(verdict.reason).toBe("budget exhausted");
              return verdict?.verdict === "accepted";
            }).sort();
            expect(accepted).toHaveLength(BUDGET);
            expect(view.committed.grants.get("team-budget-1")!.spent.calls).toBe(BUDGET);
            acceptedEverywhere ??= accepted;
            expect(accepted).toEqual(acceptedEverywhere);
            expected ??= viewSnapshot(view);
            expect(viewSnapshot(view)).toEqual(expected);
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});
