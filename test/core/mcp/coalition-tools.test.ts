/**
 * The coalition and market MCP tools under policy, on a real replica, sequencer and LogRoom:
 * an agent's form_coalition asks a human (tier 3 by default), and once approved the very
 * same call runs and commits (its envelope is covered by the approval although the tool
 * makes the coalition's key fresh); tools refuse with registered codes what they cannot name;
 * award_work names the rule's winner; the tools' inputs are exactly the calls the commit rule
 * reads back.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { executeApproved, runTool } from "../../../core/mcp/run-tool.js";
import { LockTable, type Caller, type ToolHost } from "../../../core/mcp/tool-host.js";
import { toolNamed } from "../../../core/mcp/tools.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { Sequencer } from "../../../core/state/sequencer.js";

async function scene() {
  const replica = LogReplica.open(new NodeSql(), parseSpaceId("coalitions"));
  const [alice, carol, dave, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const sequencer = new Sequencer(replica, edge);
  const room = new LogRoom(replica, sequencer, { peers: () => [], setLive: () => undefined }, { signer: edge });
  let clock = Date.now();
  const host: ToolHost = {
    space: "coalitions", replica, hostDid: edge.did, committed: () => sequencer.committed(),
    // As LogRoom.write, but stamped by the test's clock, so a deadline can pass without waiting for one.
    write: async (type, body) => {
      const written = await replica.append(edge, type, body, { now: clock });
      await room.commitPending();
      return { id: written.id, status: replica.status(written.id) };
    },
    now: () => clock, locks: new LockTable(), presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  };
  await replica.append(alice, "space.created", { owners: [alice.did], sequencer: edge.did });
  for (const agent of [carol, dave]) await replica.append(alice, "member.added", { member: agent.did, role: "agent", domains: ["infra"] });
  await room.commitPending();
  const as = (signer: Ed25519Signer): Caller => ({ did: signer.did, grant: `self-${signer.did.slice(-8)}`, tools: ["*"], tierCeiling: 4, budgeted: false });
  const call = (who: Ed25519Signer, tool: string, args: Record<string, unknown>) => runTool(host, as(who), toolNamed(tool)!, args);
  return { replica, sequencer, room, host, alice, carol, dave, call, advance: (ms: number) => (clock += ms) };
}

const structured = (outcome: unknown) => (outcome as { result: { structured: Record<string, unknown> } }).result.structured;

describe("coalition tools under policy", () => {
  it("an agent's form_coalition waits for a human; approved, the same call commits", async () => {
    const s = await scene();
    const args = { name: "db-team", goal: "fix replication lag", members: [s.carol.did, s.dave.did], quorum: 2 };
    const asked = await s.call(s.carol, "form_coalition", args);
    expect(asked).toMatchObject({ kind: "pending", approver: "owner" });
    const request = (asked as { approval: EnvelopeId }).approval;
    await s.room.write("approval.decided", { request, decision: "approved", actor: s.alice.did });
    const ran = await executeApproved(s.host, s.sequencer.committed().approvals.get(request)!, s.alice.did);
    expect(ran).toMatchObject({ kind: "done", result: { structured: { commit: { state: "committed", verdict: "accepted" } } } });
    const coalition = s.sequencer.committed().coalitions.get(structured(ran).id as EnvelopeId);
    expect(coalition).toMatchObject({ name: "db-team", formedBy: s.carol.did, epoch: 1, quorum: 2, key: structured(ran).key });
  });

  it("refuses with codes what it cannot name: an unknown coalition, a branch of none, a market never called", async () => {
    const s = await scene();
    const missing = `sha256:${"0".repeat(64)}`;
    expect(await s.call(s.carol, "spend_coalition_budget", { coalition: missing, units: 1, tool: "x" })).toMatchObject({ kind: "refused", code: "coalition-unknown" });
    const branch = structured(await s.call(s.carol, "create_branch", { name: "loose" })).id;
    expect(await s.call(s.dave, "approve_branch", { branch })).toMatchObject({ kind: "refused", code: "branch-not-coalition" });
    const item = structured(await s.call(s.alice, "create_work_item", { title: "t", domain: "infra" })).id;
    expect(await s.call(s.alice, "award_work", { item })).toMatchObject({ kind: "refused", code: "market-unknown" });
  });

  it("a market through the tools: call, bids, an early award refused, the rule's winner after the deadline", async () => {
    const s = await scene();
    const item = structured(await s.call(s.alice, "create_work_item", { title: "rotate certs", domain: "infra" })).id;
    const deadline = new Date(Date.now() + 60_000).toISOString();
    expect(structured(await s.call(s.alice, "call_for_bids", { item, deadline, maxCost: 50 })).commit).toMatchObject({ verdict: "accepted" });
    expect(await s.call(s.carol, "claim_work_item", { item })).toMatchObject({ kind: "done", result: { structured: { commit: { verdict: "rejected" } } } });
    await s.call(s.carol, "bid", { item, cost: 30, eta: 600, confidence: 0.8 });
    const daves = structured(await s.call(s.dave, "bid", { item, cost: 20, eta: 900, confidence: 0.5 })).id;
    expect(structured(await s.call(s.alice, "award_work", { item })).commit).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(/has not passed/) });
    s.advance(61_000);
    const award = await s.call(s.alice, "award_work", { item });
    expect(structured(award)).toMatchObject({ winner: s.dave.did, commit: { verdict: "accepted" } });
    expect(s.sequencer.committed().work.get(item as EnvelopeId)).toMatchObject({ status: "claimed", claimant: s.dave.did });
    expect(s.sequencer.committed().markets.get(item as EnvelopeId)?.bid).toBe(daves);
  });
});
