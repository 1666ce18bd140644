/**
 * Promotion barriers: a coalition's branch holds staged artifact versions (branch.updated);
 * it is promoted by k-of-n approvals from the coalition, counted in commit order at one
 * epoch. The k-th approval carries the promotion in the same commit: the staged versions
 * become current, the branch is kept (merged) as history. An approval from an earlier epoch
 * does not count — a member who leaves during a vote voids the votes cast before — and a
 * vote written at a stale epoch is refused. Dissolution by quorum works the same way. The
 * quorum itself is policy: an owner's rule on form_coalition can refuse a lax one.
 */
import { describe, expect, it } from "vitest";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { coalitionSpace, incidentTeam, type CoalitionSpace } from "./coalition-fixtures.js";

async function stagedBranch(space: CoalitionSpace, coalition: EnvelopeId) {
  const artifact = await space.write(space.bob, "artifact.created", { title: "checkout runbook", content: { inline: "v1: restart the pods" } });
  const branch = await space.write(space.carol, "branch.created", { name: "runbook-fix", coalition });
  const staged = await space.write(space.carol, "branch.updated", { branch, artifact, content: { inline: "v2: drain the bad node first" } });
  const verdicts = await space.commit();
  for (const id of [artifact, branch, staged]) expect(verdicts.get(id)?.verdict).toBe("accepted");
  return { artifact, branch, staged };
}

describe("promotion barriers", () => {
  it("the 2nd approval of 3 promotes: staged content becomes current, the branch stays as history", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space, 2);
    const { artifact, branch, staged } = await stagedBranch(space, coalition);
    const first = await space.write(space.dave, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    let verdicts = await space.commit();
    expect(verdicts.get(first)?.verdict).toBe("accepted");
    let state = space.sequencer.committed();
    expect(state.branches.get(branch)?.status).toBe("open");
    expect(state.artifacts.get(artifact)?.content).toEqual({ inline: "v1: restart the pods" });

    const second = await space.write(space.erin, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    verdicts = await space.commit();
    expect(verdicts.get(second)?.verdict).toBe("accepted");
    state = space.sequencer.committed();
    expect(state.branches.get(branch)).toMatchObject({ status: "merged", promotedBy: second, coalition });
    expect(state.branches.get(branch)?.staged?.[artifact]?.envelope).toBe(staged);
    expect(state.artifacts.get(artifact)?.content).toEqual({ inline: "v2: drain the bad node first" });
    expect(state.artifacts.get(artifact)?.versions).toEqual([artifact, staged]);
    expect(state.coalitions.get(coalition)?.promoted).toEqual([branch]);

    const third = await space.write(space.carol, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const restage = await space.write(space.carol, "branch.updated", { branch, artifact, content: { inline: "v3" } });
    verdicts = await space.commit();
    expect(verdicts.get(third)?.reason).toBe("the branch is already merged");
    expect(verdicts.get(restage)?.reason).toMatch(/already merged: start a new branch/);
  });

  it("a member leaving during the vote voids the earlier approvals; a stale-epoch approval is refused", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space, 2);
    const { artifact, branch } = await stagedBranch(space, coalition);
    await space.write(space.dave, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    await space.write(space.dave, "coalition.left", { coalition, reason: "handing over" });
    await space.commit();
    // carol's approval at the new epoch is the only one that counts: no promotion yet.
    await space.write(space.carol, "coalition.voted", { coalition, epoch: 2, motion: "promote", branch });
    const stale = await space.write(space.erin, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const leaver = await space.write(space.dave, "coalition.voted", { coalition, epoch: 2, motion: "promote", branch });
    let verdicts = await space.commit();
    expect(verdicts.get(stale)?.reason).toMatch(/^stale epoch 1: coalition incident-7 is at epoch 2/);
    expect(verdicts.get(leaver)?.reason).toMatch(/a member who left cannot act for it/);
    let state = space.sequencer.committed();
    expect(state.branches.get(branch)?.status).toBe("open");
    expect(state.artifacts.get(artifact)?.content).toEqual({ inline: "v1: restart the pods" });
    const second = await space.write(space.erin, "coalition.voted", { coalition, epoch: 2, motion: "promote", branch });
    verdicts = await space.commit();
    expect(verdicts.get(second)?.verdict).toBe("accepted");
    state = space.sequencer.committed();
    expect(state.branches.get(branch)?.status).toBe("merged");
  });

  it("refuses a merge around the quorum, writes and votes by outsiders, and a second vote by the same member", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space, 2);
    const { artifact, branch } = await stagedBranch(space, coalition);
    const merge = await space.write(space.alice, "branch.merged", { branch });
    const outsiderWrite = await space.write(space.bob, "branch.updated", { branch, artifact, content: { inline: "mine" } });
    const outsiderVote = await space.write(space.bob, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const outsiderBranch = await space.write(space.bob, "branch.created", { name: "x", coalition });
    await space.write(space.carol, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const twice = await space.write(space.carol, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
    const verdicts = await space.commit();
    expect(verdicts.get(merge)?.reason).toMatch(/promoted by its coalition's quorum: members approve it with approve_branch/);
    expect(verdicts.get(outsiderWrite)?.reason).toMatch(/not a member of coalition incident-7/);
    expect(verdicts.get(outsiderVote)?.reason).toMatch(/not a member of coalition incident-7/);
    expect(verdicts.get(outsiderBranch)?.reason).toMatch(/not a member of coalition incident-7/);
    expect(verdicts.get(twice)?.reason).toMatch(/already voted to promote at epoch 1/);
    const state = space.sequencer.committed();
    expect(state.branches.get(branch)?.status).toBe("open");
    expect(state.branches.get(branch)?.staged?.[artifact]?.content).toEqual({ inline: "v2: drain the bad node first" });
  });

  it("k votes to dissolve dissolve it; fewer do not", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space, 2);
    await space.write(space.carol, "coalition.voted", { coalition, epoch: 1, motion: "dissolve" });
    await space.commit();
    expect(space.sequencer.committed().coalitions.get(coalition)?.status).toBe("active");
    const second = await space.write(space.dave, "coalition.voted", { coalition, epoch: 1, motion: "dissolve" });
    await space.commit();
    expect(space.sequencer.committed().coalitions.get(coalition)).toMatchObject({ status: "dissolved", dissolved: { by: second, reason: "dissolved by quorum" } });
  });

  it("the quorum is policy: an owner's rule refuses coalitions that promote on one approval", async () => {
    const space = await coalitionSpace();
    await space.write(space.alice, "policy.set", {
      tool: "form_coalition", tier: 1, rules: [{ when: { match: ["quorum=1"] }, tier: 4, reason: "promotions here need at least two approvals" }],
    });
    await space.commit();
    const item = await space.write(space.bob, "work.created", { title: "t" });
    const lax = await space.write(space.bob, "coalition.formed", { name: "solo", goal: "g", item, key: space.team, members: [space.carol.did, space.dave.did], quorum: 1 });
    const verdicts = await space.commit();
    expect(verdicts.get(lax)?.reason).toBe("tier 4: promotions here need at least two approvals");
  });
});
