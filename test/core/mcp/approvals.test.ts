/**
 * The tool host's approval watcher in Node, on a real replica, sequencer and LogRoom over
 * node:sqlite, with the clock in the test's hands: expiry is recorded once, approved
 * actions run once, whatever is replayed.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { acceptedEnvelopes, expireDue, onCommitted } from "../../../core/mcp/approvals.js";
import { sqlOnce } from "../../../core/mcp/once.js";
import { runTool } from "../../../core/mcp/run-tool.js";
import { LockTable, type Caller, type ToolHost } from "../../../core/mcp/tool-host.js";
import { toolNamed } from "../../../core/mcp/tools.js";
import { demoMembers, demoPolicy } from "../../../core/policy/demo.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { buildView } from "../../../core/views/build.js";

async function scene() {
  const sql = new NodeSql();
  const space = parseSpaceId("studio");
  const replica = LogReplica.open(sql, space);
  const [andy, george, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  let clock = Date.now();
  const once = sqlOnce(sql);
  const committed = () => buildView(replica.since(0)).committed;
  const room: LogRoom = new LogRoom(replica, new Sequencer(replica, edge, { now: () => clock }), { peers: () => [], setLive: () => undefined }, {
    signer: edge,
    afterCommit: (entries, write) => onCommitted(host(write), acceptedEnvelopes({ replica }, entries), once),
  });
  const host = (write: ToolHost["write"]): ToolHost => ({
    space, replica, hostDid: edge.did, committed, write, now: () => clock, locks: new LockTable(),
    presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  });
  await replica.append(andy, "space.created", { owners: [andy.did], sequencer: edge.did });
  for (const body of demoMembers({ andy: andy.did, george: george.did })) await replica.append(andy, "member.added", body);
  for (const body of demoPolicy({ andy: andy.did })) await replica.append(andy, "policy.set", body);
  await room.commitPending();
  const georgeCaller: Caller = { did: george.did, grant: "self-george-1", tools: ["*"], tierCeiling: 4, budgeted: false };
  const live = host((type, body) => room.write(type, body));
  return { replica, room, andy, george, host, live, once, georgeCaller, committed, now: () => clock, tick: (ms: number) => (clock += ms) };
}

describe("approvals at the tool host", () => {
  it("a request past its expiry is recorded as expired, once", async () => {
    const s = await scene();
    const outcome = await runTool(s.live, s.georgeCaller, toolNamed("create_work_item")!, { title: "Night shoot", domain: "After-Image", clock: "HF" });
    expect(outcome.kind).toBe("pending");
    expect(await s.room.exclusive((write) => expireDue(s.host(write), s.once))).toBe(s.now() + 3600_000);
    s.tick(2 * 3600_000);
    for (let i = 0; i < 2; i++) expect(await s.room.exclusive((write) => expireDue(s.host(write), s.once))).toBeNull();
    const records = s.replica.query({ type: "channel.message" }).envelopes.map((e) => (e.envelope.body as { content: string }).content);
    expect(records.filter((c) => c.startsWith("⏱"))).toHaveLength(1);
    // A decision after expiry is rejected by the sequencer and runs nothing.
    if (outcome.kind !== "pending") throw new Error("expected pending");
    const late = await s.replica.append(s.andy, "approval.decided", { request: outcome.approval, decision: "approved" }, { now: s.now() });
    await s.room.commitPending();
    expect(s.replica.status(late.id)).toMatchObject({ state: "committed", verdict: "rejected" });
    expect([...s.committed().work.values()]).toEqual([]);
  });

  it("an approved action runs exactly once, however often its commit is replayed", async () => {
    const s = await scene();
    const outcome = await runTool(s.live, s.georgeCaller, toolNamed("create_work_item")!, { title: "Q1 brief", domain: "After-Image", clock: "HF" });
    if (outcome.kind !== "pending") throw new Error("expected pending");
    await s.replica.append(s.andy, "approval.decided", { request: outcome.approval, decision: "approved" });
    await s.room.commitPending();
    expect([...s.committed().work.values()].map((w) => [w.title, w.createdBy])).toEqual([["Q1 brief", s.george.did]]);
    // The tool host's report of the run is in the channel, committed in its own name.
    const report = s.replica.query({ thread: outcome.approval }).envelopes.find((e) => e.envelope.type === "channel.message")!;
    expect((report.envelope.body as { content: string }).content).toMatch(/^✅/);
    expect(s.replica.status(report.id)).toMatchObject({ state: "committed", verdict: "accepted" });
    const decision = s.replica.query({ type: "approval.decided" }).envelopes[0]!.id;
    const index = s.replica.status(decision);
    if (index.state !== "committed") throw new Error("expected committed");
    for (let i = 0; i < 3; i++) {
      await s.room.exclusive((write) =>
        onCommitted(s.host(write), acceptedEnvelopes(s, [{ id: decision, index: index.index, verdict: "accepted" }]), s.once),
      );
    }
    expect([...s.committed().work.values()]).toHaveLength(1);
  });

  it("tier 2: an artifact matching an allowed pattern runs, any other asks", async () => {
    const s = await scene();
    const draft = await runTool(s.live, s.georgeCaller, toolNamed("write_artifact")!, { title: "Moodboard", content: "burnt film", kind: "draft" });
    expect(draft.kind).toBe("done");
    const final = await runTool(s.live, s.georgeCaller, toolNamed("write_artifact")!, { title: "Moodboard", content: "burnt film", kind: "final" });
    expect(final).toMatchObject({ kind: "pending", approver: s.andy.did });
  });
});

describe("tool-level locks", () => {
  it("a lease holds others off until it is released or expires", async () => {
    const s = await scene();
    const michelle: Caller = { ...s.georgeCaller, did: s.andy.did };
    const lock = toolNamed("acquire_lock")!;
    const release = toolNamed("release_lock")!;
    expect(await runTool(s.live, s.georgeCaller, lock, { resource: "brief", leaseSeconds: 60 })).toMatchObject({ kind: "done" });
    const blocked = await runTool(s.live, michelle, lock, { resource: "brief" });
    expect(blocked).toMatchObject({ kind: "refused", code: "resource-locked" });
    expect(blocked.kind === "refused" && blocked.message).toContain(`locked by ${s.george.did}`);
    expect(await runTool(s.live, michelle, release, { resource: "brief" })).toMatchObject({ kind: "refused", code: "lock-not-held" });
    expect(await runTool(s.live, s.georgeCaller, release, { resource: "brief" })).toMatchObject({ kind: "done" });
    expect(await runTool(s.live, michelle, lock, { resource: "brief", leaseSeconds: 1 })).toMatchObject({ kind: "done" });
    s.tick(1_001);
    expect(await runTool(s.live, s.georgeCaller, lock, { resource: "brief" })).toMatchObject({ kind: "done" });
  });
});

describe("attention and the tool host", () => {
  it("a message the tool host posted for George mentioning George is not in George's attention; Andy's mention of him is", async () => {
    const s = await scene();
    const post = toolNamed("post_message")!;
    expect(await runTool(s.live, s.georgeCaller, post, { content: "note to self", mentions: [s.george.did] })).toMatchObject({ kind: "done" });
    const fromAndy = await s.replica.append(s.andy, "channel.message", { content: "over to you", mentions: [s.george.did] });
    expect(s.replica.query({ attention: s.george.did }).envelopes.map((e) => e.id)).toEqual([fromAndy.id]);
  });
});
