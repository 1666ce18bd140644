/**
 * The owner-only `set_policy` tool on a real replica, sequencer and LogRoom: an owner's
 * call commits a policy the tier function then applies, attributed to the owner (not the
 * tool host that signed it); anyone else, or a malformed policy, is refused before
 * anything is written.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { runTool } from "../../../core/mcp/run-tool.js";
import { LockTable, type Caller, type ToolHost } from "../../../core/mcp/tool-host.js";
import { toolNamed } from "../../../core/mcp/tools.js";
import { decideTier } from "../../../core/policy/tiers.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { buildView } from "../../../core/views/build.js";

async function scene() {
  const replica = LogReplica.open(new NodeSql(), parseSpaceId("studio"));
  const [andy, george, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const room = new LogRoom(replica, new Sequencer(replica, edge), { peers: () => [], setLive: () => undefined }, { signer: edge });
  const committed = () => buildView(replica.since(0)).committed;
  const host: ToolHost = {
    space: "studio", replica, hostDid: edge.did, committed, write: (type, body) => room.write(type, body), now: () => Date.now(), locks: new LockTable(),
    presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  };
  await replica.append(andy, "space.created", { owners: [andy.did], sequencer: edge.did });
  await replica.append(andy, "member.added", { member: george.did, role: "agent", domains: ["ops"] });
  await room.commitPending();
  const caller = (did: string): Caller => ({ did: did as never, grant: `self-${did.slice(-8)}`, tools: ["*"], tierCeiling: 4, budgeted: false });
  const setPolicy = (who: string, args: Record<string, unknown>) => runTool(host, caller(who), toolNamed("set_policy")!, args);
  return { replica, room, andy, george, edge, committed, setPolicy };
}

describe("set_policy", () => {
  it("an owner's call commits the policy, attributed to the owner, and the tier function applies it", async () => {
    const s = await scene();
    const before = decideTier({ tool: "post_message", actor: s.george.did, args: { content: "hi" } }, s.committed());
    expect(before).toMatchObject({ tier: 1 });
    const outcome = await s.setPolicy(s.andy.did, { tool: "post_message", tier: 3, approver: "owner", reason: "quiet hours" });
    expect(outcome).toMatchObject({ kind: "done", result: { structured: { commit: { state: "committed", verdict: "accepted" } } } });
    const policy = s.committed().policies.get("post_message")!;
    expect(policy).toMatchObject({ tier: 3, setBy: s.andy.did, actor: s.andy.did });
    expect(s.replica.get(policy.envelope)!.envelope.author).toBe(s.edge.did);
    expect(decideTier({ tool: "post_message", actor: s.george.did, args: { content: "hi" } }, s.committed())).toMatchObject({ tier: 3, action: "ask", approver: "owner" });
  });

  it("anyone but an owner is refused before anything is written", async () => {
    const s = await scene();
    const count = s.replica.count();
    expect(await s.setPolicy(s.george.did, { tool: "*", tier: 1 })).toMatchObject({ kind: "refused", code: "not-an-owner", message: expect.stringMatching(/only owners set policy: ask an owner/) });
    expect(s.replica.count()).toBe(count);
  });

  it("a malformed policy is refused naming the field", async () => {
    const s = await scene();
    const count = s.replica.count();
    const outcome = await s.setPolicy(s.andy.did, { tool: "create_work_item", tier: 2, rules: [{ when: { match: ["HF"] }, tier: 3 }] });
    expect(outcome).toMatchObject({ kind: "refused", code: "policy-invalid", message: expect.stringMatching(/^rules\.0\.when\.match\.0: expected "field=glob"/) });
    expect(await s.setPolicy(s.andy.did, { tool: "no_such_tool", tier: 1 })).toMatchObject({ kind: "refused", code: "policy-invalid" });
    expect(s.replica.count()).toBe(count);
  });

  it("a policy.set naming an actor is accepted only from the tool host", async () => {
    const s = await scene();
    const forged = await s.replica.append(s.george, "policy.set", { tool: "*", tier: 1, actor: s.andy.did });
    await s.room.commitPending();
    expect(s.replica.status(forged.id)).toMatchObject({ state: "committed", verdict: "rejected", reason: expect.stringMatching(/only the space's tool host/) });
    expect(s.committed().policies.has("*")).toBe(false);
  });
});
