/**
 * Property: two offline nodes cannot double-spend a coalition's budget. The coalition
 * (carol, dave, erin) holds a grant of 10 units. carol's node and dave's node, offline, each
 * write spends of 1–3 units at epoch 1, and the edge's tool host writes some for erin; then
 * every replica syncs with every other in a random order, the edge's sequencer commits and
 * everyone syncs again. On every replica: the same spends are accepted, exactly those a
 * walk in commit order admits (running total + units ≤ 10), so the budget is never
 * exceeded and what is left is less than every refused spend; the stored state the
 * sequencer keeps equals a fold of the log. With 1-unit spends exactly the budget is spent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { buildView, viewSnapshot } from "../../../core/views/build.js";
import { openReplica } from "../log/fixtures.js";
import { coalitionSpace, EXPIRES, incidentTeam } from "./coalition-fixtures.js";

const BUDGET = 10;

async function syncInto(target: LogReplica, source: LogReplica): Promise<void> {
  for (let batch = source.missingFor(target.versionVector(), 20); batch.length > 0; batch = source.missingFor(target.versionVector(), 20)) {
    await target.ingest(batch);
  }
}

async function scenario(spends: { writer: number; units: number }[], syncOrder: number[]) {
  const space = await coalitionSpace();
  const { coalition } = await incidentTeam(space);
  await space.write(space.alice, "authority.granted", { jti: "incident-7-budget", subject: space.team, tools: ["*"], tier: 1, budget: { units: BUDGET }, expiresAt: EXPIRES });
  await space.commit();
  const nodes = [openReplica(), openReplica()];
  for (const node of nodes) await syncInto(node, space.replica);
  // Offline from here: each writes its share alone.
  const writers = [
    { into: nodes[0]!, signer: space.carol, actor: undefined },
    { into: nodes[1]!, signer: space.dave, actor: undefined },
    { into: space.replica, signer: space.edge, actor: space.erin.did },
  ];
  const written: { id: EnvelopeId; units: number }[] = [];
  for (const { writer, units } of spends) {
    const { into, signer, actor } = writers[writer]!;
    const body = { coalition, epoch: 1, units, tool: "llm-tokens", ...(actor ? { actor } : {}) };
    written.push({ id: await space.write(signer, "coalition.spent", body, into), units });
  }
  const all = [space.replica, ...nodes];
  for (const i of syncOrder) for (const j of syncOrder) if (i !== j) await syncInto(all[i]!, all[j]!);
  await space.commit();
  for (const node of nodes) await syncInto(node, space.replica);
  return { space, coalition, all, written };
}

function check({ space, coalition, all, written }: Awaited<ReturnType<typeof scenario>>): number {
  let expected: unknown;
  let spentEverywhere: number | undefined;
  for (const replica of all) {
    const view = buildView(replica.since(0));
    const inCommitOrder = written
      .map((spend) => ({ ...spend, verdict: view.verdicts.get(spend.id) }))
      .map((spend) => {
        expect(spend.verdict?.state).toBe("committed");
        return spend as typeof spend & { verdict: { state: "committed"; index: number; verdict: string; reason?: string } };
      })
      .sort((a, b) => a.verdict.index - b.verdict.index);
    let total = 0;
    for (const spend of inCommitOrder) {
      const fits = total + spend.units <= BUDGET;
      expect(spend.verdict.verdict).toBe(fits ? "accepted" : "rejected");
      if (fits) total += spend.units;
      else expect(spend.verdict.reason).toMatch(/^budget exhausted/);
    }
    const refused = inCommitOrder.filter((spend) => spend.verdict.verdict === "rejected");
    for (const spend of refused) expect(BUDGET - total).toBeLessThan(spend.units);
    expect(view.committed.coalitions.get(coalition)?.spent).toBe(total);
    expect(view.committed.grants.get("incident-7-budget")?.spent.units).toBe(total);
    spentEverywhere ??= total;
    expect(total).toBe(spentEverywhere);
    expected ??= viewSnapshot(view);
    expect(viewSnapshot(view)).toEqual(expected);
  }
  // The sequencer's stored, incremental state says the same.
  expect(space.sequencer.committed().coalitions.get(coalition)).toEqual(buildView(space.replica.since(0)).committed.coalitions.get(coalition));
  return spentEverywhere!;
}

describe("a coalition's budget across offline nodes", () => {
  it(`spends of 1–3 units from three writers: the same ones accepted everywhere, in commit order, never over ${BUDGET}`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ writer: fc.integer({ min: 0, max: 2 }), units: fc.integer({ min: 1, max: 3 }) }), { minLength: 8, maxLength: 16 }),
        fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
        async (spends, syncOrder) => {
          const spent = check(await scenario(spends, syncOrder));
          expect(spent).toBeLessThanOrEqual(BUDGET);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it(`twenty 1-unit spends from two offline nodes: exactly ${BUDGET} are spent`, async () => {
    const spends = Array.from({ length: 20 }, (_, n) => ({ writer: n % 2, units: 1 }));
    expect(check(await scenario(spends, [1, 0, 2]))).toBe(BUDGET);
  }, 60_000);
});
