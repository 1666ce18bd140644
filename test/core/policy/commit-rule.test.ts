/**
 * Policy as a commit rule: what an agent signs itself and pushes (as it would to `/log` or
 * a peer) is judged by the same tiers the tools ask, by the sequencer, in commit order.
 * Each test is an attack that succeeded when policy lived only inside the MCP tools.
 */
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { signEnvelope } from "../../../core/log/envelope.js";
import { nextHlc } from "../../../core/log/hlc.js";
import { inviteProofInput } from "../../../core/log/types/invite.js";
import { encodeBase64url } from "../../../core/identity/encoding.js";
import { buildView } from "../../../core/views/build.js";
import { formatHlc } from "../../../core/log/hlc.js";
import { seed, seededReplica, signRaw, SPACE } from "../log/fixtures.js";

const HOUR = 3_600_000;

function verdictOf(replica: LogReplica, id: EnvelopeId) {
  const status = replica.status(id);
  return status.state === "committed" ? { verdict: status.verdict, reason: status.reason } : { verdict: status.state };
}

/** alice owns, bob is a human, carol an agent in "infra"; all committed. */
async function space() {
  const { replica, cast } = await seededReplica();
  const sequencer = new Sequencer(replica, cast.edge);
  await sequencer.sequence();
  const commit = async () => void (await sequencer.sequence());
  return { replica, cast, sequencer, commit };
}

describe("tiers at commit", () => {
  it("a tier-4 tool refused over MCP is refused when the agent signs the envelope itself", async () => {
    const { replica, cast, commit } = await space();
    await replica.append(cast.alice, "policy.set", { tool: "post_message", tier: 4, reason: "quiet hours: no posting" });
    await commit();
    const bypass = await replica.append(cast.carol, "channel.message", { content: "posting anyway" });
    await commit();
    expect(verdictOf(replica, bypass.id)).toEqual({ verdict: "rejected", reason: "tier 4: quiet hours: no posting" });
  });

  it("a tier-3 effect without a committed approval is rejected; with one it commits once", async () => {
    const { replica, cast, commit } = await space();
    const { alice, carol } = cast;
    // The default policy: an agent's HF work needs a human.
    const hf = { title: "Campaign brief", domains: ["infra"], clock: "HF" as const };
    const straight = await replica.append(carol, "work.created", hf);
    const request = await replica.append(carol, "approval.requested", {
      action: { tool: "create_work_item", params: { title: hf.title, domain: "infra", clock: "HF" }, summary: "HF brief" },
      approver: "owner", expiresAt: new Date(Date.now() + HOUR).toISOString(),
    });
    const early = await replica.append(carol, "work.created", { ...hf, approval: request.id });
    await commit();
    expect(verdictOf(replica, straight.id).reason).toMatch(/^create_work_item needs an approved request carried in "approval" \(ask with request_approval\): high-frequency/);
    expect(verdictOf(replica, early.id).reason).toMatch(/approval .* is pending, not approved/);
    await replica.append(alice, "approval.decided", { request: request.id, decision: "approved" });
    await commit();
    const other = await replica.append(carol, "work.created", { ...hf, title: "Something else", approval: request.id });
    const carried = await replica.append(carol, "work.created", { ...hf, approval: request.id });
    const twice = await replica.append(carol, "work.created", { ...hf, approval: request.id });
    await commit();
    expect(verdictOf(replica, other.id).reason).toMatch(/does not cover these arguments/);
    expect(verdictOf(replica, carried.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, twice.id).reason).toBe(`approval ${request.id} was already carried out by ${carried.id}`);
    expect(buildView(replica.since(0)).committed.approvals.get(request.id)).toMatchObject({ status: "approved", executedBy: carried.id });
  });

  it("an approval is decided only by whom the policy names: not the requester, not the approver it picked", async () => {
    const { replica, cast, commit } = await space();
    const { alice, bob, carol } = cast;
    await replica.append(alice, "policy.set", { tool: "deploy", tier: 3, approver: alice.did });
    await commit();
    const action = { tool: "deploy", params: { region: "eu-west" }, summary: "deploy" };
    const expiresAt = new Date(Date.now() + HOUR).toISOString();
    // carol names herself, then bob, as the approver: neither is who the policy names.
    const selfNamed = await replica.append(carol, "approval.requested", { action, approver: carol.did, expiresAt });
    const byCarol = await replica.append(carol, "approval.decided", { request: selfNamed.id, decision: "approved" });
    const bobNamed = await replica.append(carol, "approval.requested", { action, approver: bob.did, expiresAt });
    const byBob = await replica.append(bob, "approval.decided", { request: bobNamed.id, decision: "approved" });
    const byAlice = await replica.append(alice, "approval.decided", { request: bobNamed.id, decision: "approved" });
    // alice asking for herself cannot approve her own request either.
    const own = await replica.append(alice, "approval.requested", { action, approver: alice.did, expiresAt });
    const ownDecision = await replica.append(alice, "approval.decided", { request: own.id, decision: "approved" });
    await commit();
    expect(verdictOf(replica, byCarol.id).reason).toBe("a requester cannot decide its own request: another approver must");
    expect(verdictOf(replica, byBob.id).reason).toBe(`this request needs ${alice.did} to decide (by the deploy policy)`);
    expect(verdictOf(replica, byAlice.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, ownDecision.id).reason).toBe("a requester cannot decide its own request: another approver must");
  });

  it("50 self-signed effects against a budget of 10: exactly 10 commit, whoever writes them", async () => {
    const { replica, cast, commit } = await space();
    const { alice, carol, edge } = cast;
    await replica.append(alice, "authority.granted", { jti: "carol-budget-1", subject: carol.did, tools: ["post_message"], tier: 1, budget: { calls: 10 }, expiresAt: new Date(Date.now() + HOUR).toISOString() });
    await commit();
    const ids: EnvelopeId[] = [];
    for (let i = 0; i < 50; i++) {
      // Half signed by carol herself, half written by the tool host for her.
      const written = i % 2 === 0
        ? await replica.append(carol, "channel.message", { content: `self ${i}` })
        : await replica.append(edge, "channel.message", { content: `host ${i}`, actor: carol.did });
      ids.push(written.id);
    }
    // An effect the grant does not cover is not charged.
    const work = await replica.append(carol, "work.created", { title: "not a message", domains: ["infra"] });
    await commit();
    const verdicts = ids.map((id) => verdictOf(replica, id));
    expect(verdicts.filter((v) => v.verdict === "accepted")).toHaveLength(10);
    expect(verdicts.slice(0, 10).every((v) => v.verdict === "accepted")).toBe(true);
    expect(new Set(verdicts.slice(10).map((v) => v.reason))).toEqual(new Set(["budget exhausted on grant carol-budget-1: ask its issuer for more"]));
    expect(verdictOf(replica, work.id)).toMatchObject({ verdict: "accepted" });
    expect(buildView(replica.since(0)).committed.grants.get("carol-budget-1")!.spent).toEqual({ calls: 10, units: 10 });
  });

  it("membership, invites and visibility: owners only, whatever the policy", async () => {
    const { replica, cast, commit } = await space();
    const { alice, bob, carol } = cast;
    await replica.append(alice, "policy.set", { tool: "*", tier: 1 });
    const invite = await replica.append(bob, "invite.created", { key: carol.did, role: "human", domains: [], expiresAt: new Date(Date.now() + HOUR).toISOString(), uses: 1 });
    const visible = await replica.append(bob, "space.configured", { visibility: "public-read" });
    const byOwner = await replica.append(alice, "space.configured", { visibility: "public-read" });
    await commit();
    expect(verdictOf(replica, invite.id).reason).toBe("only owners can invite");
    expect(verdictOf(replica, visible.id).reason).toBe("only owners can change the space's settings");
    expect(verdictOf(replica, byOwner.id)).toMatchObject({ verdict: "accepted" });
    expect(buildView(replica.since(0)).committed.visibility).toBe("public-read");
  });
});

describe("joining by invite", () => {
  async function joinWith(replica: LogReplica, joiner: Ed25519Signer, inviteKey: Ed25519Signer, invite: EnvelopeId, now = Date.now()) {
    const proof = encodeBase64url(await inviteKey.sign(inviteProofInput(SPACE, invite, joiner.did)));
    const { id, envelope } = await signEnvelope(joiner, {
      space: SPACE, author: joiner.did, seq: 1, prev: null, deps: [], hlc: nextHlc(joiner.did, now, []), type: "member.joined",
      body: { invite, key: inviteKey.did, proof },
    });
    return { id, results: await replica.ingest([envelope]) };
  }

  it("a committed invite lets a newcomer in with its role and domains, as many times as it allows", async () => {
    const { replica, cast, commit } = await space();
    const key = await Ed25519Signer.fromSeed(seed(20));
    const [dave, erin] = await Promise.all([21, 22].map((byte) => Ed25519Signer.fromSeed(seed(byte))));
    const invite = await replica.append(cast.alice, "invite.created", { key: key.did, role: "agent", domains: ["infra"], expiresAt: new Date(Date.now() + HOUR).toISOString(), uses: 1 });
    await commit();
    const daveJoin = await joinWith(replica, dave!, key, invite.id);
    expect(daveJoin.results).toMatchObject([{ status: "accepted" }]);
    await commit();
    // (Concurrent joins are ordered by the sequencer; erin comes after dave's commit here.)
    const erinJoin = await joinWith(replica, erin!, key, invite.id);
    await commit();
    expect(verdictOf(replica, daveJoin.id)).toMatchObject({ verdict: "accepted" });
    expect(verdictOf(replica, erinJoin.id).reason).toMatch(/used 1 of 1 times/);
    const state = buildView(replica.since(0)).committed;
    expect(state.members.get(dave!.did)).toMatchObject({ role: "agent", domains: ["infra"] });
    expect(state.members.has(erin!.did)).toBe(false);
    // The newcomer writes from now on.
    const hello = await replica.append(dave!, "channel.message", { content: "hello" });
    await commit();
    expect(verdictOf(replica, hello.id)).toMatchObject({ verdict: "accepted" });
  });

  it("a forged proof, a revoked or an expired invite lets no one in", async () => {
    const { replica, cast, commit } = await space();
    const key = await Ed25519Signer.fromSeed(seed(20));
    const wrongKey = await Ed25519Signer.fromSeed(seed(23));
    const [dave, erin, fay] = await Promise.all([21, 22, 24].map((byte) => Ed25519Signer.fromSeed(seed(byte))));
    const expiresAt = new Date(Date.now() + HOUR).toISOString();
    const revoked = await replica.append(cast.alice, "invite.created", { key: key.did, role: "human", domains: [], expiresAt, uses: 5 });
    const shortLived = await replica.append(cast.alice, "invite.created", { key: wrongKey.did, role: "human", domains: [], expiresAt: new Date(Date.now() - HOUR).toISOString(), uses: 5 });
    await replica.append(cast.alice, "invite.revoked", { invite: revoked.id });
    await commit();
    // Signed by another key than the one it names: refused on arrival, never stored.
    const proof = encodeBase64url(await wrongKey.sign(inviteProofInput(SPACE, revoked.id, dave!.did)));
    const forged = await signEnvelope(dave!, {
      space: SPACE, author: dave!.did, seq: 1, prev: null, deps: [], hlc: nextHlc(dave!.did, Date.now(), []), type: "member.joined",
      body: { invite: revoked.id, key: key.did, proof },
    });
    expect(await replica.ingest([forged.envelope])).toMatchObject([{ status: "rejected", code: "envelope-bad-invite-proof" }]);
    const afterRevoke = await joinWith(replica, erin!, key, revoked.id);
    const afterExpiry = await joinWith(replica, fay!, wrongKey, shortLived.id);
    await commit();
    expect(verdictOf(replica, afterRevoke.id).reason).toMatch(/revoked/);
    expect(verdictOf(replica, afterExpiry.id).reason).toMatch(/expired/);
    // A rejected join let no one in: the log's door is shut to its author again.
    const sneaky = await signRaw(erin!, { type: "channel.message", body: { content: "still here" }, seq: 2, prev: afterRevoke.id, hlc: formatHlc(Date.now() + 1000, 0, erin!.did) });
    expect(await replica.ingest([sneaky.envelope])).toMatchObject([{ status: "rejected", code: "envelope-not-member" }]);
  });
});
