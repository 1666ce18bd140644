/**
 * Contract-net claiming: a call for bids with a deadline, twenty agents bidding from four
 * replicas (offline from each other), and the award — every replica shows the same winner,
 * the one the documented rule picks (lowest cost, then shorter estimate, then higher
 * confidence, then the smaller bid id), and the winner holds the claim. A bid stamped after
 * the deadline is refused, and so is one stamped before it that only arrives after the
 * award committed (bidding closes in commit order). The call's criteria and the award's
 * timing and winner are judged by the commit rule.
 */
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { buildView } from "../../../core/views/build.js";
import { openReplica, seed } from "../log/fixtures.js";
import { coalitionSpace, type CoalitionSpace } from "./coalition-fixtures.js";

async function syncInto(target: LogReplica, source: LogReplica): Promise<void> {
  for (let batch = source.missingFor(target.versionVector(), 50); batch.length > 0; batch = source.missingFor(target.versionVector(), 50)) {
    await target.ingest(batch);
  }
}

async function market(space: CoalitionSpace, options: { maxCost?: number } = {}) {
  const item = await space.write(space.bob, "work.created", { title: "rotate the TLS certificates", domains: ["infra"] });
  await space.commit();
  const deadline = new Date(space.clock.now + 60_000).toISOString();
  const dueBy = new Date(space.clock.now + 60_000 + 3_600_000).toISOString();
  const call = await space.write(space.bob, "work.bids_called", { item, deadline, criteria: "done within the hour", dueBy, ...options });
  expect((await space.commit()).get(call)?.verdict).toBe("accepted");
  return { item, deadline };
}

describe("contract-net claiming", () => {
  it("twenty agents bid from four replicas; every replica awards the same winner, who holds the claim; late bids are refused", async () => {
    const space = await coalitionSpace();
    const agents = await Promise.all(Array.from({ length: 20 }, (_, n) => Ed25519Signer.fromSeed(seed(40 + n))));
    for (const agent of agents) await space.write(space.alice, "member.added", { member: agent.did, role: "agent", domains: ["infra"] });
    await space.commit();
    const { item, deadline } = await market(space);
    const nodes = [openReplica(), openReplica(), openReplica()];
    // carol's node stays offline until the award has committed.
    const carolsNode = openReplica();
    for (const node of [...nodes, carolsNode]) await syncInto(node, space.replica);
    const replicas = [space.replica, ...nodes];
    // Costs 40–52; agents 3 and 16 tie on everything (cost 40, eta 600, confidence 0.9): the bid id decides.
    const bids: EnvelopeId[] = [];
    for (const [n, agent] of agents.entries()) {
      const cost = n === 3 || n === 16 ? 40 : 41 + ((n * 7) % 12);
      bids.push(await space.write(agent, "work.bid", { item, cost, eta: 600, confidence: 0.9, note: `agent ${n}` }, replicas[n % 4]!));
    }
    // A bid stamped after the deadline, and one stamped before it that is held back until the award committed.
    const heldBack = await space.write(space.carol, "work.bid", { item, cost: 1, eta: 60, confidence: 1 }, carolsNode);
    space.clock.advance(61_000);
    const late = await space.write(space.dave, "work.bid", { item, cost: 1, eta: 60, confidence: 1 }, nodes[0]!);
    for (const node of nodes) await syncInto(space.replica, node);
    let verdicts = await space.commit();
    expect(bids.every((id) => verdicts.get(id)?.verdict === "accepted")).toBe(true);
    expect(verdicts.get(late)?.reason).toBe(`bid stamped after the deadline ${deadline}: bidding is closed`);

    const committedBids = space.sequencer.committed().markets.get(item)!.bids;
    expect(committedBids).toHaveLength(20);
    const expected = [...committedBids].sort((a, b) => a.cost - b.cost || a.eta - b.eta || b.confidence - a.confidence || (a.id < b.id ? -1 : 1))[0]!;
    expect([agents[3]!.did, agents[16]!.did]).toContain(expected.bidder);

    // The award: by the tool host for bob (as award_work writes it), after the deadline.
    const award = await space.write(space.edge, "work.awarded", { item, winner: expected.bidder, bid: expected.id, actor: space.bob.did });
    verdicts = await space.commit();
    expect(verdicts.get(award)?.verdict).toBe("accepted");
    await syncInto(space.replica, carolsNode);
    verdicts = await space.commit();
    expect(verdicts.get(heldBack)?.reason).toBe(`bidding is closed: the item was awarded (${award})`);

    replicas.push(carolsNode);
    for (const replica of replicas) await syncInto(replica, space.replica);
    for (const replica of replicas) {
      const state = buildView(replica.since(0)).committed;
      expect(state.markets.get(item)).toMatchObject({ status: "awarded", winner: expected.bidder, bid: expected.id, award });
      expect(state.work.get(item)).toMatchObject({ status: "claimed", claimant: expected.bidder, claim: award });
    }
    expect(space.sequencer.committed().markets.get(item)).toEqual(buildView(space.replica.since(0)).committed.markets.get(item));
  }, 60_000);

  it("refuses an early award, a wrong winner, a claim on a market item, and bids that miss the call", async () => {
    const space = await coalitionSpace();
    const { item } = await market(space, { maxCost: 100 });
    const claim = await space.write(space.carol, "work.claimed", { item });
    const pricey = await space.write(space.carol, "work.bid", { item, cost: 101, eta: 60, confidence: 0.5 });
    const slow = await space.write(space.carol, "work.bid", { item, cost: 10, eta: 2 * 3600, confidence: 0.5 });
    const good = await space.write(space.carol, "work.bid", { item, cost: 10, eta: 600, confidence: 0.5 });
    const twice = await space.write(space.carol, "work.bid", { item, cost: 9, eta: 600, confidence: 0.5 });
    const cheaper = await space.write(space.dave, "work.bid", { item, cost: 5, eta: 900, confidence: 0.2 });
    const early = await space.write(space.bob, "work.awarded", { item, winner: space.dave.did, bid: cheaper });
    let verdicts = await space.commit();
    expect(verdicts.get(claim)?.reason).toMatch(/^this item is awarded by market: bid on it \(bid\) before/);
    expect(verdicts.get(pricey)?.reason).toBe("cost 101 is over the call's maxCost 100");
    expect(verdicts.get(slow)?.reason).toMatch(/^an estimate of 7200 s from the deadline ends after dueBy/);
    expect(verdicts.get(good)?.verdict).toBe("accepted");
    expect(verdicts.get(twice)?.reason).toMatch(/already bid on this item: one bid per bidder/);
    expect(verdicts.get(early)?.reason).toMatch(/has not passed at this award's stamp: award after it/);
    space.clock.advance(61_000);
    const wrong = await space.write(space.bob, "work.awarded", { item, winner: space.carol.did, bid: good });
    verdicts = await space.commit();
    expect(verdicts.get(wrong)?.reason).toBe(`the award rule gives bid ${cheaper} by ${space.dave.did}: award that`);
    const state = space.sequencer.committed();
    expect(state.markets.get(item)?.status).toBe("open");
    expect(state.work.get(item)?.status).toBe("open");
  });

  it("bids are called only on an open, unclaimed item, by its creator or an owner, with a deadline ahead", async () => {
    const space = await coalitionSpace();
    const item = await space.write(space.bob, "work.created", { title: "t" });
    await space.write(space.carol, "work.claimed", { item });
    const other = await space.write(space.bob, "work.created", { title: "u" });
    await space.commit();
    const ahead = new Date(space.clock.now + 60_000).toISOString();
    const claimed = await space.write(space.bob, "work.bids_called", { item, deadline: ahead });
    const notCreator = await space.write(space.carol, "work.bids_called", { item: other, deadline: ahead });
    const past = await space.write(space.bob, "work.bids_called", { item: other, deadline: new Date(space.clock.now - 1).toISOString() });
    const bidNoCall = await space.write(space.dave, "work.bid", { item: other, cost: 1, eta: 1, confidence: 1 });
    const verdicts = await space.commit();
    expect(verdicts.get(claimed)?.reason).toBe("the item is claimed: only an open, unclaimed item goes to market");
    expect(verdicts.get(notCreator)?.reason).toBe("only the item's creator or an owner calls for bids on it");
    expect(verdicts.get(past)?.reason).toBe("the deadline is not after this call's own stamp: set a later deadline");
    expect(verdicts.get(bidNoCall)?.reason).toBe("no call for bids on this item: it is first-claim-wins (claim_work_item)");
  });
});

