/**
 * Delegation (issue 12 item 7) against real `wrangler dev` edges: an agent whose claim on a
 * work item commits hands the item's `delegate <agent-url>: <subtask>` to that agent with
 * A2A `SendMessage`, and the delegation, its task id and its result are linked to the item
 * in the space (two traces with `ref` the item, a message in its thread with the call in
 * `toolCalls`). On one edge the delegatee is a member of the same space and records the
 * subtask there itself; on another deployment it answers over the network.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { EnvelopeId } from "../../core/log/ids.js";
import { addAgent } from "../support/agent-in-space.js";
import { removeDir, startEdge, useEdge, type Edge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();
let other: Edge | undefined;
afterAll(async () => {
  await other?.stop();
  if (other) removeDir(other.persistTo);
});

type Body = Record<string, any>;
const bodies = (seeded: SeededSpace, type: string) => seeded.replica.since(0).filter((e) => e.envelope.type === type).map((e) => e.envelope.body as Body);
const tracesAbout = (seeded: SeededSpace, item: EnvelopeId, kind: string) => bodies(seeded, "trace.recorded").filter((b) => b.ref === item && b.kind === kind);

describe("delegation between agents", () => {
  it("on one edge: the claimant delegates the item's subtask, the delegatee records it in the item's thread, the result is linked to the item", { timeout: 180_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "delegation-one-edge");
    const lead = await addAgent(edgeOf().http, seeded, `ops-lead-${process.pid}`, ["ops"]);
    const comms = await addAgent(edgeOf().http, seeded, `comms-${process.pid}`, ["comms"]);
    const item = await seeded.replica.append(seeded.andy, "work.created", {
      title: "Cert outage on the API", domains: ["ops"],
      description: `The API cert expired at 09:14.\ndelegate ${comms.url}: draft the status-page note for the cert outage`,
    });
    await seeded.socket.sync.push();

    await seeded.socket.until(() => tracesAbout(seeded, item.id, "agent.delegation-result").length > 0);
    const [delegated] = tracesAbout(seeded, item.id, "agent.delegated");
    const [result] = tracesAbout(seeded, item.id, "agent.delegation-result");
    // The decision came first, from the lead, at the cut of its own committed claim.
    const claim = seeded.replica.since(0).find((e) => e.envelope.type === "work.claimed" && (e.envelope.body as Body).item === item.id)!;
    expect(delegated).toMatchObject({ data: { agent: lead.did, did: comms.did, chose: { delegate: "draft the status-page note for the cert outage" }, saw: { envelope: claim.id, type: "work.claimed", trigger: "delegation" } } });
    expect(result).toMatchObject({ data: { agent: lead.did, did: comms.did, state: "TASK_STATE_COMPLETED" } });
    const taskId = result!.data.taskId as string;
    expect(taskId).toMatch(/\S/);

    // The delegatee recorded the subtask in the item's thread, naming the caller and the task.
    await seeded.socket.until(() => bodies(seeded, "channel.message").some((b) => b.actor === lead.did && b.threadRef === item.id && b.toolCalls?.[0]?.tool === "a2a.SendMessage"));
    const fromComms = bodies(seeded, "channel.message").filter((b) => b.actor === comms.did && b.threadRef === item.id);
    expect(fromComms).toHaveLength(1);
    expect(fromComms[0]!.content).toContain(`took a subtask from ${lead.did} (A2A task ${taskId})`);
    // The lead's report of it links the task to the item.
    const report = bodies(seeded, "channel.message").find((b) => b.actor === lead.did && b.toolCalls?.[0]?.tool === "a2a.SendMessage")!;
    expect(report.threadRef).toBe(item.id);
    expect(report.toolCalls[0]).toMatchObject({ params: { did: comms.did, taskId }, result: "success" });
    expect(result!.data.text).toContain(`recorded in ${seeded.space}`);
    // Its work product is an artifact the seed's policy puts to Andy (write_artifact: only drafts and notes run): it waits.
    const asked = [...seeded.committed().approvals.values()].filter((a) => a.requestedBy === comms.did);
    expect(asked.map((a) => [a.action.tool, a.status])).toEqual([["write_artifact", "pending"]]);
    expect(fromComms[0]!.content).toContain(`the result waits for approval ${asked[0]!.id}`);
    // Once: the claim's envelope was decided on once, so there is one delegation.
    expect(tracesAbout(seeded, item.id, "agent.delegated")).toHaveLength(1);
    seeded.close();
  });

  it("to another deployment: the task goes over the network and its answer is linked to the item", { timeout: 180_000 }, async () => {
    other = await startEdge();
    const remoteUrl = `${other.http}/agents/far-away-${process.pid}`;
    const seeded = await seedSpace(edgeOf(), "delegation-two-edges");
    const lead = await addAgent(edgeOf().http, seeded, `ops-lead-2-${process.pid}`, ["ops"]);
    const item = await seeded.replica.append(seeded.andy, "work.created", { title: "Ask the far team", domains: ["ops"], description: `delegate ${remoteUrl}: confirm the cert chain` });
    await seeded.socket.sync.push();
    await seeded.socket.until(() => tracesAbout(seeded, item.id, "agent.delegation-result").length > 0);
    const [result] = tracesAbout(seeded, item.id, "agent.delegation-result");
    // Not a member of this space, the far agent answers with its own brain (the echo brain here).
    expect(result).toMatchObject({ data: { agent: lead.did, state: "TASK_STATE_COMPLETED", text: "echo: confirm the cert chain", to: `${remoteUrl}/` } });
    // The far edge holds the task, under the lead's did (tasks are per caller).
    await other.printed(`POST /agents/far-away-${process.pid}`);
    expect(other.output()).toContain(`POST /agents/far-away-${process.pid}`);
    seeded.close();
  });
});
