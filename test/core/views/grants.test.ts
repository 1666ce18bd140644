/**
 * Grants, revocations and budget spends in the log: who may grant and revoke, delegation
 * only narrows, spends count against every ancestor, and verdicts come in commit order.
 * Ends with the capability verifier reading a real committed view.
 */
import { describe, expect, it } from "vitest";
import { authorityFromState } from "../../../core/auth/authority.js";
import { grantBody, issueCapability, verifyCapability } from "../../../core/auth/capability.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { buildView } from "../../../core/views/build.js";
import { isRevoked } from "../../../core/views/grants.js";
import { seed, seededReplica, SPACE } from "../log/fixtures.js";

/** One expiry for every grant, so children never outlive parents by accident. */
const EXPIRES = new Date(Date.now() + 3_600_000).toISOString();
const LATER = () => EXPIRES;

function verdictOf(replica: LogReplica, id: EnvelopeId) {
  const status = replica.status(id);
  return status.state === "committed" ? { verdict: status.verdict, reason: status.reason } : { verdict: status.state };
}

async function granted() {
  const { replica, cast } = await seededReplica();
  const dave = await Ed25519Signer.fromSeed(seed(5));
  const sequencer = new Sequencer(replica, cast.edge);
  // dave is an agent of the space: only members' envelopes get past the log's door.
  await replica.append(cast.alice, "member.added", { member: dave.did, role: "agent", domains: [] });
  await sequencer.sequence();
  const root = await replica.append(cast.alice, "authority.granted", {
    jti: "root-grant-1", subject: cast.carol.did, tools: ["post_message", "create_work_item"], tier: 2, budget: { calls: 3 }, expiresAt: LATER(),
  });
  await sequencer.sequence();
  return { replica, cast, dave, sequencer, root };
}

describe("authority.granted", () => {
  it("owners and humans grant; agents only re-delegate what they hold, narrower", async () => {
    const { replica, cast, dave, sequencer, root } = await granted();
    const { bob, carol } = cast;
    const agentRoot = await replica.append(carol, "authority.granted", { jti: "agent-root-1", subject: dave.did, tools: ["*"], tier: 1, expiresAt: LATER() });
    const child = await replica.append(carol, "authority.granted", {
      jti: "child-grant-1", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 2 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    const wider = await replica.append(carol, "authority.granted", {
      jti: "child-grant-2", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 5 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    const notHolder = await replica.append(bob, "authority.granted", {
      jti: "child-grant-3", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 1 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    const again = await replica.append(carol, "authority.granted", {
      jti: "child-grant-1", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 1 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    await sequencer.sequence();
    expect(verdictOf(replica, root.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, agentRoot.id).reason).toMatch(/^only owners and humans grant authority/);
    expect(verdictOf(replica, child.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, wider.id)).toEqual({ verdict: "rejected", reason: "a delegation may only narrow: budget.calls 5 exceeds the parent's 3" });
    expect(verdictOf(replica, notHolder.id)).toEqual({ verdict: "rejected", reason: `only the parent grant's subject ${carol.did} can delegate it` });
    expect(verdictOf(replica, again.id)).toEqual({ verdict: "rejected", reason: "grant child-grant-1 is already recorded" });
    const state = buildView(replica.since(0)).committed;
    expect(state.grants.get("child-grant-1")).toMatchObject({ issuer: carol.did, subject: dave.did, parent: "root-grant-1" });
  });
});

describe("budget.spent", () => {
  it("counts against the grant and its ancestors, in commit order", async () => {
    const { replica, cast, dave, sequencer } = await granted();
    const { carol, edge } = cast;
    await replica.append(carol, "authority.granted", {
      jti: "child-grant-1", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 2 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    await sequencer.sequence();
    // dave spends his own delegated budget.
    const byDave = await replica.append(dave, "budget.spent", { grant: "child-grant-1", tool: "post_message" });
    const byHost = await replica.append(edge, "budget.spent", { grant: "root-grant-1", tool: "post_message", actor: carol.did });
    const byCarol = await replica.append(carol, "budget.spent", { grant: "root-grant-1", tool: "post_message" });
    const over = await replica.append(dave, "budget.spent", { grant: "child-grant-1", tool: "post_message" });
    const wrongSubject = await replica.append(carol, "budget.spent", { grant: "child-grant-1", tool: "post_message" });
    const tentative = buildView(replica.since(0));
    expect(tentative.verdicts.get(byDave.id)).toEqual({ state: "tentative", verdict: "pending-commit" });
    await sequencer.sequence();
    for (const id of [byDave.id, byHost.id, byCarol.id]) expect(verdictOf(replica, id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, over.id)).toEqual({ verdict: "rejected", reason: "budget exhausted" });
    expect(verdictOf(replica, wrongSubject.id)).toEqual({ verdict: "rejected", reason: `only the grant's subject ${dave.did} spends it` });
    const state = buildView(replica.since(0)).committed;
    expect(state.grants.get("root-grant-1")!.spent).toEqual({ calls: 3, units: 3 });
    expect(state.grants.get("child-grant-1")!.spent).toEqual({ calls: 1, units: 1 });
  });

  it("units budgets, revocation (parent revokes children) and expiry", async () => {
    const { replica, cast, dave, sequencer } = await granted();
    const { alice, bob, carol } = cast;
    await replica.append(alice, "authority.granted", { jti: "units-grant-1", subject: carol.did, tools: ["write_artifact"], tier: 1, budget: { units: 5 }, expiresAt: LATER() });
    await replica.append(carol, "authority.granted", { jti: "child-grant-1", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 1 }, expiresAt: LATER(), parent: "root-grant-1" });
    await sequencer.sequence();
    const big = await replica.append(carol, "budget.spent", { grant: "units-grant-1", tool: "write_artifact", units: 4 });
    const tooBig = await replica.append(carol, "budget.spent", { grant: "units-grant-1", tool: "write_artifact", units: 2 });
    const fits = await replica.append(carol, "budget.spent", { grant: "units-grant-1", tool: "write_artifact" });
    const byBob = await replica.append(bob, "authority.revoked", { jti: "root-grant-1" });
    const byIssuer = await replica.append(alice, "authority.revoked", { jti: "root-grant-1", reason: "done" });
    const afterRevoke = await replica.append(dave, "budget.spent", { grant: "child-grant-1", tool: "post_message" });
    const unrecordedByAgent = await replica.append(carol, "authority.revoked", { jti: "never-recorded-1" });
    const unrecordedByOwner = await replica.append(alice, "authority.revoked", { jti: "never-recorded-1" });
    await sequencer.sequence();
    expect(verdictOf(replica, big.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, tooBig.id)).toEqual({ verdict: "rejected", reason: "budget exhausted" });
    expect(verdictOf(replica, fits.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, byBob.id)).toEqual({ verdict: "rejected", reason: `only the grant's issuer ${alice.did} or an owner can revoke it` });
    expect(verdictOf(replica, byIssuer.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, afterRevoke.id)).toEqual({ verdict: "rejected", reason: "grant revoked" });
    expect(verdictOf(replica, unrecordedByAgent.id)).toEqual({ verdict: "rejected", reason: "only an owner can revoke a grant the log has no record of" });
    expect(verdictOf(replica, unrecordedByOwner.id)).toMatchObject({ verdict: "accepted" });
    const state = buildView(replica.since(0)).committed;
    expect(isRevoked(state, "child-grant-1")).toBe(true);
    expect(isRevoked(state, "units-grant-1")).toBe(false);
    // A grant that expires: recorded while valid, spent after.
    const soon = new Date(Date.now() + 50).toISOString();
    await replica.append(alice, "authority.granted", { jti: "short-grant-1", subject: carol.did, tools: ["*"], tier: 1, expiresAt: soon });
    await sequencer.sequence();
    const late = await replica.append(carol, "budget.spent", { grant: "short-grant-1", tool: "post_message" }, { now: Date.now() + 60_000 });
    await sequencer.sequence();
    expect(verdictOf(replica, late.id)).toEqual({ verdict: "rejected", reason: "grant expired" });
  });
});

describe("verifyCapability against a committed view", () => {
  it("accepts a recorded budgeted delegation and refuses it once its parent is revoked", async () => {
    const { replica, cast, dave, sequencer } = await granted();
    const { alice, carol } = cast;
    await replica.append(carol, "authority.granted", {
      jti: "child-grant-1", subject: dave.did, tools: ["post_message"], tier: 1, budget: { calls: 2 }, expiresAt: LATER(), parent: "root-grant-1",
    });
    await sequencer.sequence();
    const now = Date.now();
    const state = () => buildView(replica.since(0)).committed;
    const epoch = state().epoch;
    const root = await issueCapability(alice, { sub: carol.did, space: SPACE, tools: ["post_message", "create_work_item"], tier: 2, budget: { calls: 3 }, epoch, jti: "root-grant-1", now });
    const child = await issueCapability(carol, { sub: dave.did, space: SPACE, tools: ["post_message"], tier: 1, budget: { calls: 2 }, epoch, jti: "child-grant-1", parent: root, now });
    const verified = await verifyCapability(child, { space: SPACE, now, authority: authorityFromState(state()) });
    expect(verified).toMatchObject({ subject: dave.did, root: alice.did, jti: "child-grant-1", budgeted: true });
    await replica.append(alice, "authority.revoked", { jti: "root-grant-1" });
    await sequencer.sequence();
    await expect(verifyCapability(child, { space: SPACE, now, authority: authorityFromState(state()) })).rejects.toMatchObject({ code: "token-revoked", status: 403 });
  });

  it("a caller-signed token is recorded through grantBody, then its budget is spendable", async () => {
    const { replica, cast, dave, sequencer } = await granted();
    const { alice, edge } = cast;
    const now = Date.now();
    const state = () => buildView(replica.since(0)).committed;
    const token = await issueCapability(alice, { sub: dave.did, space: SPACE, tools: ["post_message"], tier: 1, budget: { calls: 1 }, epoch: state().epoch, jti: "dave-grant-9", now });
    const options = { space: SPACE, now, authority: authorityFromState(state()) };
    await expect(verifyCapability(token, options)).rejects.toMatchObject({ code: "token-grant-unrecorded" });
    const verified = await verifyCapability(token, { ...options, recording: true });
    expect(verified.issuer).toBe(alice.did);
    // The tool host records it for alice (the caller of grant_authority).
    await replica.append(edge, "authority.granted", { ...grantBody(verified), actor: alice.did });
    await sequencer.sequence();
    await expect(verifyCapability(token, { ...options, authority: authorityFromState(state()) })).resolves.toMatchObject({ budgeted: true, subject: dave.did });
    expect(state().grants.get("dave-grant-9")).toMatchObject({ issuer: alice.did, subject: dave.did, budget: { calls: 1 } });
  });

  it("another member's change leaves a token valid; its own subject's change makes it old", async () => {
    const { replica, cast, sequencer } = await granted();
    const { alice, bob, carol } = cast;
    const now = Date.now();
    const committed = () => buildView(replica.since(0)).committed;
    const token = await issueCapability(carol, { sub: carol.did, space: SPACE, tools: ["*"], tier: 4, epoch: committed().epoch, now });
    const eve = await Ed25519Signer.fromSeed(seed(6));
    await replica.append(alice, "member.added", { member: eve.did, role: "human", domains: [] });
    await replica.append(alice, "member.added", { member: bob.did, role: "agent", domains: ["ops"] });
    await sequencer.sequence();
    const after = committed();
    expect(after.epoch).toBeGreaterThan(committed().members.get(carol.did)!.epoch);
    await expect(verifyCapability(token, { space: SPACE, now, authority: authorityFromState(after) })).resolves.toMatchObject({ subject: carol.did });
    // bob's own token from before bob's role change is old.
    const bobs = await issueCapability(bob, { sub: bob.did, space: SPACE, tools: ["*"], tier: 4, epoch: after.epoch - 1, now });
    await expect(verifyCapability(bobs, { space: SPACE, now, authority: authorityFromState(after) })).rejects.toMatchObject({ code: "token-old-epoch" });
  });

  it("a membership change makes earlier tokens old", async () => {
    const { replica, cast, sequencer } = await granted();
    const { alice, carol } = cast;
    const now = Date.now();
    const before = buildView(replica.since(0)).committed;
    const token = await issueCapability(carol, { sub: carol.did, space: SPACE, tools: ["*"], tier: 4, epoch: before.epoch, now });
    await expect(verifyCapability(token, { space: SPACE, now, authority: authorityFromState(before) })).resolves.toMatchObject({ subject: carol.did });
    await replica.append(alice, "member.added", { member: carol.did, role: "observer", domains: [] });
    await sequencer.sequence();
    const after = buildView(replica.since(0)).committed;
    await expect(verifyCapability(token, { space: SPACE, now, authority: authorityFromState(after) })).rejects.toMatchObject({ code: "token-old-epoch", status: 403 });
  });
});
