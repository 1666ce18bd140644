/**
 * runTool on a real replica, sequencer and LogRoom: a read tool's own policy applies (it is
 * decided like any other tool), and a budgeted caller's effects are charged by the commit
 * rule itself — the tool writes no separate spend, and the (budget+1)-th call is refused
 * with `budget-exhausted` and nothing of it is accepted.
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
import { LogRoom } from "../../../core/space/log-room.js";

async function scene() {
  const replica = LogReplica.open(new NodeSql(), parseSpaceId("studio"));
  const [andy, george, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const sequencer = new Sequencer(replica, edge);
  const room = new LogRoom(replica, sequencer, { peers: () => [], setLive: () => undefined }, { signer: edge });
  const host: ToolHost = {
    space: "studio", replica, hostDid: edge.did, committed: () => sequencer.committed(), write: (type, body) => room.write(type, body),
    now: () => Date.now(), locks: new LockTable(), presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  };
  await replica.append(andy, "space.created", { owners: [andy.did], sequencer: edge.did });
  await replica.append(andy, "member.added", { member: george.did, role: "agent", domains: ["ops"] });
  await room.commitPending();
  const caller = (did: string, grant = `self-${did.slice(-8)}`, budgeted = false): Caller => ({ did: did as never, grant, tools: ["*"], tierCeiling: 4, budgeted });
  const call = (who: Caller, tool: string, args: Record<string, unknown>) => runTool(host, who, toolNamed(tool)!, args);
  return { replica, room, andy, george, caller, call };
}

describe("runTool", () => {
  it("a read tool's own policy applies: an owner can close the channel to agents", async () => {
    const s = await scene();
    expect(await s.call(s.caller(s.george.did), "query_channel", {})).toMatchObject({ kind: "done" });
    await s.room.write("policy.set", { tool: "query_channel", tier: 1, rules: [{ when: { roles: ["agent"] }, tier: 4, reason: "agents read through their summaries" }], actor: s.andy.did });
    expect(await s.call(s.caller(s.george.did), "query_channel", {})).toEqual({ kind: "refused", code: "tier-4-refused", message: "agents read through their summaries" });
    expect(await s.call(s.caller(s.andy.did), "query_channel", {})).toMatchObject({ kind: "done" });
  });

  it("a budgeted caller pays with its effects: call budget+1 is refused and nothing of it is accepted", async () => {
    const s = await scene();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await s.room.write("authority.granted", { jti: "george-budget-1", subject: s.george.did, tools: ["post_message"], tier: 1, budget: { calls: 2 }, expiresAt, actor: s.andy.did });
    const george = s.caller(s.george.did, "george-budget-1", true);
    const outcomes = [];
    for (const n of [1, 2, 3]) outcomes.push(await s.call(george, "post_message", { content: `update ${n}` }));
    expect(outcomes.map((o) => o.kind)).toEqual(["done", "done", "refused"]);
    expect(outcomes[2]).toMatchObject({ code: "budget-exhausted", message: expect.stringMatching(/^budget exhausted on grant george-budget-1/) });
    // No budget.spent envelopes: the effects themselves were charged.
    expect(s.replica.query({ type: "budget.spent" }).envelopes).toEqual([]);
  });
});
