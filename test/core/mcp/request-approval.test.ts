/**
 * `request_approval` names the approver the space's policy names (approverFor in
 * core/policy/commit-rule.ts), never the one the caller picked: a requester cannot route its
 * own request to itself or to an accomplice, and the request lands in the real approver's
 * attention. On a real replica, sequencer and LogRoom over node:sqlite, the seed's policy.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { runTool } from "../../../core/mcp/run-tool.js";
import { LockTable, type Caller, type ToolHost } from "../../../core/mcp/tool-host.js";
import { toolNamed } from "../../../core/mcp/tools.js";
import { demoMembers, demoPolicy } from "../../../core/policy/demo.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { buildView } from "../../../core/views/build.js";

async function scene() {
  const sql = new NodeSql();
  const replica = LogReplica.open(sql, parseSpaceId("studio"));
  const [andy, michelle, george, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const room = new LogRoom(replica, new Sequencer(replica, edge), { peers: () => [], setLive: () => undefined }, { signer: edge });
  await replica.append(andy, "space.created", { owners: [andy.did], sequencer: edge.did });
  for (const body of demoMembers({ andy: andy.did, michelle: michelle.did, george: george.did })) await replica.append(andy, "member.added", body);
  for (const body of demoPolicy({ andy: andy.did })) await replica.append(andy, "policy.set", body);
  await room.commitPending();
  const host: ToolHost = {
    space: "studio", replica, hostDid: edge.did, committed: () => buildView(replica.since(0)).committed, write: (type, body) => room.write(type, body),
    now: () => Date.now(), locks: new LockTable(), presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  };
  const caller = (did: typeof george.did): Caller => ({ did, grant: `self-${did}`, tools: ["*"], tierCeiling: 4, budgeted: false });
  return { replica, host, andy, michelle, george, caller };
}

describe("request_approval", () => {
  it("writes the policy's approver, not the one the caller named, into the request and its attention", async () => {
    const s = await scene();
    const tool = toolNamed("request_approval")!;
    // George names himself, then Michelle: the seed's policy says Andy approves cross-domain work.
    for (const approver of [s.george.did, s.michelle.did, "agent"]) {
      const outcome = await runTool(s.host, s.caller(s.george.did), tool, {
        tool: "create_work_item", params: { title: "Night shoot", domain: "Governance" }, summary: "a task outside my domain", approver,
      });
      expect(outcome.kind).toBe("done");
    }
    const requests = s.replica.query({ type: "approval.requested" }).envelopes;
    expect(requests).toHaveLength(3);
    for (const r of requests) expect((r.envelope.body as { approver: string }).approver).toBe(s.andy.did);
    expect(s.replica.query({ attention: s.andy.did }).envelopes.filter((e) => e.envelope.type === "approval.requested")).toHaveLength(3);
    expect(s.replica.query({ attention: s.michelle.did }).envelopes).toEqual([]);
    expect(s.replica.query({ attention: s.george.did }).envelopes).toEqual([]);
  });

  it("with no rule naming anyone, the default approver (an owner) is written", async () => {
    const s = await scene();
    const outcome = await runTool(s.host, s.caller(s.george.did), toolNamed("request_approval")!, {
      tool: "post_message", params: { content: "hello" }, summary: "say hello", approver: s.george.did,
    });
    expect(outcome.kind).toBe("done");
    const [request] = s.replica.query({ type: "approval.requested" }).envelopes;
    expect((request!.envelope.body as { approver: string }).approver).toBe("owner");
  });
});
