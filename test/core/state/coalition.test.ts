/**
 * Coalitions in the committed state: formation, joins and leaves bumping the membership
 * epoch, the shared budget spent in commit order and bound to the epoch, dissolution
 * returning what was not spent — each judged by the commit rule (core/policy/coalition-rule.ts)
 * and kept in the stored state (a fresh sequencer on the same SQL reads the same team).
 */
import { describe, expect, it } from "vitest";
import { Sequencer } from "../../../core/state/sequencer.js";
import { coalitionBalance } from "../../../core/state/coalition.js";
import { buildView } from "../../../core/views/build.js";
import { coalitionSpace, EXPIRES, incidentTeam } from "./coalition-fixtures.js";

describe("coalition membership", () => {
  it("forms with its founders at epoch 1; each join and leave is a new epoch, stored", async () => {
    const space = await coalitionSpace();
    const { coalition, verdicts } = await incidentTeam(space);
    expect(verdicts.get(coalition)?.verdict).toBe("accepted");
    let team = space.sequencer.committed().coalitions.get(coalition)!;
    expect(team).toMatchObject({ epoch: 1, quorum: 2, status: "active", formedBy: space.bob.did, key: space.team });
    expect(team.members).toEqual([space.carol.did, space.dave.did, space.erin.did].sort());

    const join = await space.write(space.bob, "coalition.joined", { coalition });
    const leave = await space.write(space.erin, "coalition.left", { coalition, reason: "paged elsewhere" });
    const results = await space.commit();
    expect([results.get(join)?.verdict, results.get(leave)?.verdict]).toEqual(["accepted", "accepted"]);
    team = space.sequencer.committed().coalitions.get(coalition)!;
    expect(team.epoch).toBe(3);
    expect(team.members).toEqual([space.bob.did, space.carol.did, space.dave.did].sort());

    // A sequencer waking on the same storage reads the team from the state's rows.
    const woken = new Sequencer(space.replica, space.edge).committed().coalitions.get(coalition);
    expect(woken).toEqual(team);
    // And a fold of the log agrees.
    expect(buildView(space.replica.since(0)).committed.coalitions.get(coalition)).toEqual(team);
  });

  it("refuses a formation by an observer, with a member's key, around a stranger, or with an impossible quorum; an agent's needs approval", async () => {
    const space = await coalitionSpace();
    const { alice, bob, carol, dave, team, write, commit } = space;
    await write(alice, "member.added", { member: space.erin.did, role: "observer", domains: [] });
    await commit();
    const stranger = (await import("../../../core/identity/signer.js")).Ed25519Signer;
    const outsider = (await stranger.fromSeed(new Uint8Array(32).fill(9))).did;
    const base = { name: "t", goal: "g" };
    const byObserver = await write(space.erin, "coalition.formed", { ...base, key: team, members: [carol.did] });
    const memberKey = await write(bob, "coalition.formed", { ...base, key: carol.did, members: [carol.did] });
    const withStranger = await write(bob, "coalition.formed", { ...base, key: team, members: [carol.did, outsider] });
    const tooMany = await write(bob, "coalition.formed", { ...base, key: team, members: [carol.did], quorum: 2 });
    const byAgent = await write(dave, "coalition.formed", { ...base, key: team, members: [dave.did] });
    const verdicts = await commit();
    expect(verdicts.get(byObserver)?.reason).toBe("observers can read but not write");
    expect(verdicts.get(memberKey)?.reason).toMatch(/key is a member's key/);
    expect(verdicts.get(withStranger)?.reason).toMatch(/not a member who can act/);
    expect(verdicts.get(tooMany)?.reason).toMatch(/quorum of 2 cannot be met by 1/);
    expect(verdicts.get(byAgent)?.reason).toMatch(/form_coalition needs an approved request/);
    expect(space.sequencer.committed().coalitions.size).toBe(0);
  });

  it("a coalition's key can never become a member's key", async () => {
    const space = await coalitionSpace();
    await incidentTeam(space);
    const added = await space.write(space.alice, "member.added", { member: space.team, role: "agent", domains: [] });
    const verdicts = await space.commit();
    expect(verdicts.get(added)?.reason).toBe("that key is coalition incident-7's identity, not a member's: use another key");
    expect(space.sequencer.committed().members.has(space.team)).toBe(false);
  });

  it("refuses joining twice, leaving a team one is not in, and acting for a dissolved coalition", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space);
    const again = await space.write(space.carol, "coalition.joined", { coalition });
    const notIn = await space.write(space.bob, "coalition.left", { coalition });
    let verdicts = await space.commit();
    expect(verdicts.get(again)?.reason).toMatch(/already a member/);
    expect(verdicts.get(notIn)?.reason).toMatch(/not a member of coalition incident-7: join it first/);
    await space.write(space.bob, "coalition.dissolved", { coalition, epoch: 1, reason: "stood down" });
    const late = await space.write(space.alice, "coalition.joined", { coalition });
    verdicts = await space.commit();
    expect(verdicts.get(late)?.reason).toMatch(/dissolved: its authority ended/);
    expect(space.sequencer.committed().coalitions.get(coalition)?.members).toHaveLength(3);
  });
});

describe("the coalition's budget", () => {
  async function funded(units: number) {
    const space = await coalitionSpace();
    const team = await incidentTeam(space);
    const grant = await space.write(space.alice, "authority.granted", {
      jti: "incident-7-budget", subject: space.team, tools: ["spend_coalition_budget"], tier: 1, budget: { units }, expiresAt: EXPIRES,
    });
    expect((await space.commit()).get(grant)?.verdict).toBe("accepted");
    return { space, ...team };
  }

  it("members spend in commit order; the overspend, a stale epoch and a member who left are refused, nothing changed", async () => {
    const { space, coalition } = await funded(10);
    const { carol, dave, erin, write, commit } = space;
    const a = await write(carol, "coalition.spent", { coalition, epoch: 1, units: 4, tool: "llm-tokens" });
    const b = await write(dave, "coalition.spent", { coalition, epoch: 1, units: 5, tool: "llm-tokens" });
    const over = await write(erin, "coalition.spent", { coalition, epoch: 1, units: 2, tool: "llm-tokens" });
    let verdicts = await commit();
    expect([a, b].map((id) => verdicts.get(id)?.verdict)).toEqual(["accepted", "accepted"]);
    expect(verdicts.get(over)?.reason).toMatch(/^budget exhausted: coalition incident-7 has 1 units left/);
    let state = space.sequencer.committed();
    expect(state.coalitions.get(coalition)?.spent).toBe(9);
    expect(state.grants.get("incident-7-budget")?.spent.units).toBe(9);

    await write(erin, "coalition.left", { coalition });
    await commit();
    const stale = await write(carol, "coalition.spent", { coalition, epoch: 1, units: 1, tool: "llm-tokens" });
    const leaver = await write(erin, "coalition.spent", { coalition, epoch: 2, units: 1, tool: "llm-tokens" });
    const outsider = await write(space.bob, "coalition.spent", { coalition, epoch: 2, units: 1, tool: "llm-tokens" });
    verdicts = await commit();
    expect(verdicts.get(stale)?.reason).toMatch(/^stale epoch 1: coalition incident-7 is at epoch 2/);
    expect(verdicts.get(leaver)?.reason).toMatch(/not a member of coalition incident-7 at epoch 2: a member who left cannot act for it/);
    expect(verdicts.get(outsider)?.reason).toMatch(/not a member of coalition/);
    state = space.sequencer.committed();
    expect(state.coalitions.get(coalition)?.spent).toBe(9);
    expect(coalitionBalance(state, state.coalitions.get(coalition)!, Date.parse(EXPIRES) - 1)).toBe(1);
  });

  it("a member cannot spend as another: only the tool host names an actor", async () => {
    const { space, coalition } = await funded(10);
    const forged = await space.write(space.carol, "coalition.spent", { coalition, epoch: 1, units: 5, tool: "llm-tokens", actor: space.dave.did });
    const verdicts = await space.commit();
    expect(verdicts.get(forged)?.reason).toMatch(/^only the space's tool host \(its sequencer .*\) may act on behalf of another/);
    expect(space.sequencer.committed().coalitions.get(coalition)?.spent).toBe(0);
  });

  it("a spend straight from the coalition's grant (budget.spent) is refused: only members at the epoch spend it", async () => {
    const { space } = await funded(10);
    const direct = await space.write(space.carol, "budget.spent", { grant: "incident-7-budget", units: 3, tool: "post_message" });
    const verdicts = await space.commit();
    expect(verdicts.get(direct)?.reason).toMatch(/is coalition incident-7's budget: a member spends it with spend_coalition_budget/);
    expect(space.sequencer.committed().grants.get("incident-7-budget")?.spent.units).toBe(0);
  });

  it("a grant holder funds the coalition within its own bounds; spends count against both", async () => {
    const space = await coalitionSpace();
    const { coalition } = await incidentTeam(space);
    await space.write(space.alice, "authority.granted", { jti: "bob-ops-budget", subject: space.bob.did, tools: ["*"], tier: 2, budget: { units: 6 }, expiresAt: EXPIRES });
    await space.commit();
    const wide = await space.write(space.bob, "authority.granted", { jti: "incident-7-wide", subject: space.team, tools: ["*"], tier: 2, budget: { units: 9 }, expiresAt: EXPIRES, parent: "bob-ops-budget" });
    const narrow = await space.write(space.bob, "authority.granted", { jti: "incident-7-from-bob", subject: space.team, tools: ["*"], tier: 2, budget: { units: 4 }, expiresAt: EXPIRES, parent: "bob-ops-budget" });
    let verdicts = await space.commit();
    expect(verdicts.get(wide)?.reason).toMatch(/a delegation may only narrow/);
    expect(verdicts.get(narrow)?.verdict).toBe("accepted");
    const spend = await space.write(space.dave, "coalition.spent", { coalition, epoch: 1, units: 3, tool: "ci-minutes" });
    verdicts = await space.commit();
    expect(verdicts.get(spend)?.verdict).toBe("accepted");
    const state = space.sequencer.committed();
    // 3 by the coalition, and 1 for bob's own grant_authority effect (his grant covers "*").
    expect(state.grants.get("bob-ops-budget")?.spent.units).toBe(4);
    expect(state.grants.get("incident-7-from-bob")?.spent.units).toBe(3);
  });

  it("dissolution ends the coalition's authority and returns what was not spent", async () => {
    const { space, coalition, item } = await funded(10);
    const { carol, dave, write, commit } = space;
    await write(carol, "coalition.spent", { coalition, epoch: 1, units: 3, tool: "llm-tokens" });
    // Before the goal completes, only the former or an owner dissolves it; a member votes.
    const early = await write(dave, "coalition.dissolved", { coalition, epoch: 1 });
    let verdicts = await commit();
    expect(verdicts.get(early)?.reason).toMatch(/only its former or an owner dissolves a coalition/);
    await write(space.bob, "work.claimed", { item });
    await write(space.bob, "work.completed", { item, result: "latency back to normal" });
    const done = await write(dave, "coalition.dissolved", { coalition, epoch: 1, reason: "goal completed" });
    verdicts = await commit();
    expect(verdicts.get(done)?.verdict).toBe("accepted");
    const after = await write(carol, "coalition.spent", { coalition, epoch: 1, units: 1, tool: "llm-tokens" });
    verdicts = await commit();
    expect(verdicts.get(after)?.reason).toMatch(/dissolved: its authority ended/);
    const team = space.sequencer.committed().coalitions.get(coalition)!;
    expect(team.status).toBe("dissolved");
    expect(team.dissolved).toMatchObject({ by: done, returned: 7, reason: "goal completed" });
    expect(space.sequencer.committed().grants.get("incident-7-budget")?.spent.units).toBe(3);
  });
});
