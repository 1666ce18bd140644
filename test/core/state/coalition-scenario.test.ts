/**
 * The coalition scenario, end to end on a real replica, sequencer and LogRoom, through the
 * MCP tools (runTool: policy tiers first) and one member's own node: a human (alice, the
 * owner) and three agents. A coalition forms around an incident, is granted a budget,
 * spends from it (by MCP and by an envelope written offline on erin's node), works on a
 * branch, promotes it with 2 of 3 approvals, completes the incident and dissolves.
 * Replayed at every commit index, on the edge and on two nodes that synced, the team, its
 * epoch and its balance are the same everywhere, and equal the sequencer's own replay.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { runTool, type ToolOutcome } from "../../../core/mcp/run-tool.js";
import { LockTable, type Caller, type ToolHost } from "../../../core/mcp/tool-host.js";
import { toolNamed } from "../../../core/mcp/tools.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { coalitionBalance } from "../../../core/state/coalition.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { cutAtCommitIndex, replay } from "../../../core/views/build.js";
import type { SpaceState } from "../../../core/views/state.js";

const SPACE = parseSpaceId("incident-42");

async function syncInto(target: LogReplica, source: LogReplica): Promise<void> {
  for (let batch = source.missingFor(target.versionVector(), 50); batch.length > 0; batch = source.missingFor(target.versionVector(), 50)) {
    await target.ingest(batch);
  }
}

function idOf(outcome: ToolOutcome): EnvelopeId {
  if (outcome.kind !== "done") throw new Error(`expected the tool to run: ${JSON.stringify(outcome)}`);
  const commit = outcome.result.structured.commit as { state: string; verdict: string; reason?: string };
  expect(commit).toMatchObject({ state: "committed", verdict: "accepted" });
  return outcome.result.structured.id as EnvelopeId;
}

/** What every replica must agree on at a cut: the team, its epoch, its status and its balance. */
function teamAt(state: SpaceState, coalition: EnvelopeId, at: number) {
  const team = state.coalitions.get(coalition);
  return team === undefined ? null : { members: team.members, epoch: team.epoch, status: team.status, spent: team.spent, balance: coalitionBalance(state, team, at), promoted: team.promoted };
}

describe("a coalition around an incident", () => {
  it("forms, spends, promotes a branch 2-of-3 and dissolves; every replica replays the same team, epoch and balance at every cut", async () => {
    const replica = LogReplica.open(new NodeSql(), SPACE);
    const [alice, carol, dave, erin, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
    const sequencer = new Sequencer(replica, edge);
    const room = new LogRoom(replica, sequencer, { peers: () => [], setLive: () => undefined }, { signer: edge });
    const host: ToolHost = {
      space: SPACE, replica, hostDid: edge.did, committed: () => sequencer.committed(), write: (type, body) => room.write(type, body),
      now: () => Date.now(), locks: new LockTable(), presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
    };
    await replica.append(alice, "space.created", { owners: [alice.did], sequencer: edge.did });
    for (const [agent, domain] of [[carol, "infra"], [dave, "db"], [erin, "infra"]] as const) {
      await replica.append(alice, "member.added", { member: agent.did, role: "agent", domains: [domain] });
    }
    await room.commitPending();
    const as = (signer: Ed25519Signer): Caller => ({ did: signer.did, grant: `self-${signer.did.slice(-8)}`, tools: ["*"], tierCeiling: 4, budgeted: false });
    const call = async (who: Ed25519Signer, tool: string, args: Record<string, unknown>) => runTool(host, as(who), toolNamed(tool)!, args);

    const incident = idOf(await call(alice, "create_work_item", { title: "checkout returns 500s", domain: "infra" }));
    const formed = await call(alice, "form_coalition", { name: "incident-42-team", goal: "stop the 500s", item: incident, members: [carol.did, dave.did, erin.did], quorum: 2 });
    const coalition = idOf(formed);
    const key = (formed as unknown as { result: { structured: { key: string } } }).result.structured.key;
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await room.write("authority.granted", { jti: "incident-42-budget", subject: key as never, tools: ["*"], tier: 1, budget: { units: 12 }, expiresAt, actor: alice.did });

    // Spends: two by MCP, one written on erin's own node while it is offline.
    idOf(await call(carol, "spend_coalition_budget", { coalition, units: 3, tool: "llm-tokens", note: "log triage" }));
    idOf(await call(dave, "spend_coalition_budget", { coalition, units: 4, tool: "db-replica-hours" }));
    const erinsNode = LogReplica.open(new NodeSql(), SPACE);
    await syncInto(erinsNode, replica);
    await erinsNode.append(erin, "coalition.spent", { coalition, epoch: 1, units: 2, tool: "ci-minutes" });
    await syncInto(replica, erinsNode);
    await room.commitPending();
    const over = await call(carol, "spend_coalition_budget", { coalition, units: 4, tool: "llm-tokens" });
    // The commit rule refused it; runTool reports that as the tool's refusal.
    expect(over).toMatchObject({ kind: "refused", code: "budget-exhausted", message: expect.stringMatching(/^budget exhausted: coalition incident-42-team has 3 units left/) });

    // Work on a branch, promoted by 2 of the 3 agents.
    const runbook = idOf(await call(alice, "write_artifact", { title: "checkout runbook", content: "v1: restart" }));
    const branch = idOf(await call(carol, "create_branch", { name: "fix-connection-pool", coalition }));
    idOf(await call(carol, "write_branch", { branch, artifact: runbook, content: "v2: raise the pool size, then restart" }));
    idOf(await call(dave, "approve_branch", { branch }));
    expect(sequencer.committed().branches.get(branch)?.status).toBe("open");
    idOf(await call(erin, "approve_branch", { branch }));
    let state = sequencer.committed();
    expect(state.branches.get(branch)?.status).toBe("merged");
    expect(state.artifacts.get(runbook)?.content).toEqual({ inline: "v2: raise the pool size, then restart" });

    // The incident is done; a member dissolves the team and the unspent 3 units return.
    idOf(await call(carol, "claim_work_item", { item: incident }));
    idOf(await call(carol, "complete_work_item", { item: incident, result: "pool raised; 500s gone" }));
    idOf(await call(erin, "dissolve_coalition", { coalition, reason: "incident resolved" }));
    state = sequencer.committed();
    expect(state.coalitions.get(coalition)).toMatchObject({ status: "dissolved", spent: 9, dissolved: { returned: 3 } });
    const afterwards = await call(dave, "spend_coalition_budget", { coalition, units: 1, tool: "llm-tokens" });
    expect(afterwards).toMatchObject({ kind: "refused", code: "coalition-dissolved" });

    // Every replica, at every cut, shows the same team, epoch and balance.
    const nodes = [LogReplica.open(new NodeSql(), SPACE), erinsNode];
    for (const node of nodes) await syncInto(node, replica);
    const frontier = replica.commits.frontier;
    const at = Date.now();
    const seen = new Set<string>();
    for (let index = 1; index <= frontier; index++) {
      const expected = teamAt(sequencer.committedAtIndex(index), coalition, at);
      for (const copy of [replica, ...nodes]) {
        const entries = copy.since(0);
        expect(teamAt(replay(entries, cutAtCommitIndex(entries, index)).committed, coalition, at)).toEqual(expected);
      }
      seen.add(JSON.stringify(expected === null ? null : [expected.epoch, expected.balance, expected.status]));
    }
    // The cuts pass through the team's whole life: before it, funded, spending, and dissolved.
    expect(seen).toContain(JSON.stringify([1, 12, "active"]));
    expect(seen).toContain(JSON.stringify([1, 3, "active"]));
    expect(seen).toContain(JSON.stringify([1, 0, "dissolved"]));
  }, 60_000);
});
