/**
 * Views: channel threads, mentions and "seen by"; tentative vs committed effects; cuts
 * (closure validation, the cut at a commit index).
 */
import { describe, expect, it } from "vitest";
import { Sequencer } from "../../../core/state/sequencer.js";
import { buildView, cutAtCommitIndex, replay, viewSnapshot } from "../../../core/views/build.js";
import { causalOrder, cutOf } from "../../../core/views/causal.js";
import { openReplica, seededReplica } from "../log/fixtures.js";

describe("channel view", () => {
  it("threads replies, indexes mentions, and derives seen-by from deps", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, carol, edge } = cast;
    await new Sequencer(replica, edge).sequence();
    const root = await replica.append(bob, "channel.message", { content: "eu-west is down", mentions: [carol.did] });
    const reply = await replica.append(carol, "channel.message", { content: "on it", threadRef: root.id });
    const view = buildView(replica.since(0));
    expect(view.channel.messages.map((message) => message.id)).toEqual([root.id, reply.id]);
    expect(view.channel.threads).toEqual({ [root.id]: [reply.id] });
    expect(view.channel.mentions).toEqual({ [carol.did]: [root.id] });
    // carol's reply cited bob's message; alice has written nothing since.
    expect(view.channel.messages[0]!.seenBy).toEqual([carol.did]);
    expect(view.channel.messages[1]!.seenBy).toEqual([]);
    await replica.append(alice, "channel.message", { content: "thanks" });
    const later = buildView(replica.since(0));
    expect(later.channel.messages[0]!.seenBy).toEqual([alice.did, carol.did].sort());
  });
});

describe("tentative and committed", () => {
  it("weak effects show at once; membership waits for its commit", async () => {
    const { replica, cast } = await seededReplica();
    const { bob, edge } = cast;
    const tentative = buildView(replica.since(0));
    expect(tentative.current.members.has(bob.did)).toBe(false);
    expect([...tentative.verdicts.values()].map((verdict) => verdict.state === "tentative" && verdict.verdict)).toEqual([
      "accepted", "pending-commit", "pending-commit",
    ]);
    await new Sequencer(replica, edge).sequence();
    const item = await replica.append(bob, "work.created", { title: "Investigate" });
    const view = buildView(replica.since(0));
    expect(view.committed.members.get(bob.did)).toMatchObject({ role: "human", domains: ["ops"] });
    expect(view.committed.epoch).toBe(3);
    expect(view.committed.work.has(item.id)).toBe(false);
    expect(view.current.work.get(item.id)).toMatchObject({ status: "open", createdBy: bob.did });
  });
});

describe("cuts", () => {
  it("refuses a cut that is not closed under deps, or beyond what is held", async () => {
    const { replica, cast } = await seededReplica();
    const { alice, bob, edge } = cast;
    await new Sequencer(replica, edge).sequence();
    await replica.append(bob, "channel.message", { content: "after the commit" });
    const entries = replica.since(0);
    // bob's first envelope cites the commit receipt by edge: leaving edge out is not closed.
    expect(() => replay(entries, { [alice.did]: 3, [bob.did]: 1 })).toThrowError(expect.objectContaining({ code: "cut-not-closed" }));
    expect(() => replay(entries, { [alice.did]: 4 })).toThrowError(expect.objectContaining({ code: "cut-out-of-range" }));
    expect(replay(entries, { [alice.did]: 2 }).current.epoch).toBe(1);
  });

  it("replay at a cut equals the view of a replica that held only that cut", async () => {
    const { replica, cast } = await seededReplica();
    const { bob, carol, edge } = cast;
    const sequencer = new Sequencer(replica, edge);
    await sequencer.sequence();
    const item = await replica.append(bob, "work.created", { title: "Fix DNS" });
    await replica.append(carol, "work.claimed", { item: item.id });
    await sequencer.sequence();
    const late = await replica.append(bob, "work.claimed", { item: item.id });
    await sequencer.sequence();
    const entries = replica.since(0);
    const cut = cutAtCommitIndex(entries, 5);
    const prefix = openReplica();
    await prefix.ingest(causalOrder(entries.filter((entry) => entry.envelope.seq <= (cut[entry.envelope.author] ?? 0))).map((entry) => entry.envelope));
    expect(prefix.versionVector()).toEqual(cut);
    const atCut = replay(entries, cut);
    expect(viewSnapshot(buildView(prefix.since(0)))).toEqual(viewSnapshot(atCut));
    expect(atCut.frontier).toBe(5);
    expect(atCut.committed.work.get(item.id)).toMatchObject({ claimant: carol.did });
    expect(atCut.verdicts.has(late.id)).toBe(false);
    expect(buildView(entries).verdicts.get(late.id)).toMatchObject({ state: "committed", verdict: "rejected", reason: `already claimed by ${carol.did}` });
    expect(cutOf(entries, [late.id])[bob.did]).toBe(2);
    expect(() => cutAtCommitIndex(entries, 99)).toThrowError(expect.objectContaining({ code: "cut-out-of-range" }));
  });
});
