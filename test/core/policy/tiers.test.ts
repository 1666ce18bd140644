/**
 * The tier function: each tier, defaults, rules and patterns, and the seed's demo scenario
 * run through a real log (policies written by an owner and committed), plus approval
 * bindings.
 */
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { approvalBinding, approvalCovers } from "../../../core/policy/binding.js";
import { demoMembers, demoPolicy } from "../../../core/policy/demo.js";
import { decideTier } from "../../../core/policy/tiers.js";
import { buildView } from "../../../core/views/build.js";
import type { ApprovalRequest } from "../../../core/views/state.js";
import { openReplica, seed, T0 } from "../log/fixtures.js";

async function demoSpace() {
  const [andy, michelle, george, edge, ozzy] = await Promise.all([1, 11, 12, 4, 13].map((byte) => Ed25519Signer.fromSeed(seed(byte))));
  const replica = openReplica();
  let now = T0;
  await replica.append(andy!, "space.created", { owners: [andy!.did], sequencer: edge!.did }, { now: now++ });
  for (const body of demoMembers({ andy: andy!.did, michelle: michelle!.did, george: george!.did })) await replica.append(andy!, "member.added", body, { now: now++ });
  await replica.append(andy!, "member.added", { member: ozzy!.did, role: "observer", domains: [] }, { now: now++ });
  for (const body of demoPolicy({ andy: andy!.did, michelle: michelle!.did })) await replica.append(andy!, "policy.set", body, { now: now++ });
  await new Sequencer(replica, edge!).sequence();
  const view = buildView(replica.since(0)).committed;
  return { andy: andy!, michelle: michelle!, george: george!, ozzy: ozzy!, edge: edge!, replica, view };
}

describe("demo policy (the seed's NullProof Studio)", () => {
  it("George creating an After-Image task is auto-approved (tier 1)", async () => {
    const { george, view } = await demoSpace();
    expect(decideTier({ tool: "create_work_item", actor: george.did, args: { title: "Hero image", domain: "After-Image", clock: "LF" } }, view))
      .toEqual({ tier: 1, action: "run", reason: "an agent creating work in its own domain is auto-approved" });
  });

  it("cross-domain or HF work needs Andy (tier 3)", async () => {
    const { andy, george, view } = await demoSpace();
    const cross = decideTier({ tool: "create_work_item", actor: george.did, args: { title: "Audit", domains: ["Governance"] } }, view);
    expect(cross).toMatchObject({ tier: 3, action: "ask", approver: andy.did });
    expect(cross.reason).toMatch(/^cross-domain work needs Andy's approval/);
    const hf = decideTier({ tool: "create_work_item", actor: george.did, args: { title: "Campaign Brief: Q1 Launch", domain: "After-Image", clock: "HF" } }, view);
    expect(hf).toMatchObject({ tier: 3, action: "ask", approver: andy.did });
    expect(hf.reason).toMatch(/^high-frequency \(HF\) work/);
    const mixed = decideTier({ tool: "create_work_item", actor: george.did, args: { title: "x", domains: ["After-Image", "R&D"] } }, view);
    expect(mixed).toMatchObject({ tier: 3, approver: andy.did });
    const none = decideTier({ tool: "create_work_item", actor: george.did, args: { title: "no domain" } }, view);
    expect(none).toMatchObject({ tier: 3 });
  });

  it("Michelle creates any task, HF included; Andy too", async () => {
    const { andy, michelle, view } = await demoSpace();
    for (const actor of [michelle.did, andy.did]) {
      expect(decideTier({ tool: "create_work_item", actor, args: { title: "x", domain: "After-Image", clock: "HF" } }, view)).toMatchObject({ tier: 1, action: "run" });
    }
  });

  it("human-only tools: tier 4 for agents, tier 1 for Andy", async () => {
    const { andy, george, michelle, view } = await demoSpace();
    for (const tool of ["grant_authority", "revoke_authority", "decide_approval"]) {
      for (const agent of [george, michelle]) {
        const decision = decideTier({ tool, actor: agent.did, args: {} }, view);
        expect(decision).toMatchObject({ tier: 4, action: "refuse" });
        expect(decision.reason).toContain("reserved to humans");
      }
      expect(decideTier({ tool, actor: andy.did, args: {} }, view)).toMatchObject({ tier: 1, action: "run" });
    }
  });

  it("tier 2: an allowed pattern runs, anything else asks", async () => {
    const { andy, george, view } = await demoSpace();
    expect(decideTier({ tool: "write_artifact", actor: george.did, args: { title: "moodboard", kind: "draft" } }, view))
      .toEqual({ tier: 2, action: "run", reason: 'write_artifact policy: matches the allowed pattern "kind=draft"' });
    expect(decideTier({ tool: "write_artifact", actor: george.did, args: { title: "final", kind: "release" } }, view))
      .toMatchObject({ tier: 3, action: "ask", approver: andy.did, reason: expect.stringContaining("only drafts and notes") });
  });

  it("defaults: members post freely, reads are open, observers and strangers are refused", async () => {
    const { george, ozzy, view } = await demoSpace();
    const stranger = await Ed25519Signer.fromSeed(seed(99));
    expect(decideTier({ tool: "post_message", actor: george.did, args: { content: "hi" } }, view)).toMatchObject({ tier: 1, action: "run" });
    expect(decideTier({ tool: "query_channel", actor: ozzy.did, args: {} }, view)).toMatchObject({ tier: 1 });
    expect(decideTier({ tool: "post_message", actor: ozzy.did, args: {} }, view)).toMatchObject({ tier: 4, reason: expect.stringContaining("observers") });
    expect(decideTier({ tool: "query_channel", actor: stranger.did, args: {} }, view)).toMatchObject({ tier: 4, reason: expect.stringContaining("not a member") });
  });

  it("uses a work item's domains for calls that name the item", async () => {
    const { george, replica } = await demoSpace();
    const item = await replica.append(george, "work.created", { title: "Grain study", domains: ["After-Image"] });
    const other = await replica.append(george, "work.created", { title: "Audit", domains: ["Governance"] });
    const current = buildView(replica.since(0)).current;
    current.policies.set("claim_work_item", { tool: "claim_work_item", tier: 3, rules: [{ when: { inOwnDomain: true }, tier: 1 }], setBy: george.did, envelope: item.id });
    expect(decideTier({ tool: "claim_work_item", actor: george.did, args: { item: item.id } }, current)).toMatchObject({ tier: 1 });
    expect(decideTier({ tool: "claim_work_item", actor: george.did, args: { item: other.id } }, current)).toMatchObject({ tier: 3, approver: "owner" });
  });
});

describe("without policies", () => {
  it("human-only tools are still tier 4 for agents; a '*' policy applies to the rest", async () => {
    const [alice, carol, edge] = await Promise.all([1, 3, 4].map((byte) => Ed25519Signer.fromSeed(seed(byte))));
    const replica = openReplica();
    await replica.append(alice!, "space.created", { owners: [alice!.did], sequencer: edge!.did });
    await replica.append(alice!, "member.added", { member: carol!.did, role: "agent", domains: ["infra"] });
    await replica.append(alice!, "policy.set", { tool: "*", tier: 3, reason: "this space asks first" });
    await new Sequencer(replica, edge!).sequence();
    const view = buildView(replica.since(0)).committed;
    expect(decideTier({ tool: "decide_approval", actor: carol!.did, args: {} }, view)).toMatchObject({ tier: 4 });
    expect(decideTier({ tool: "post_message", actor: carol!.did, args: {} }, view)).toMatchObject({ tier: 3, approver: "owner", reason: expect.stringContaining("this space asks first") });
    expect(decideTier({ tool: "get_space_state", actor: carol!.did, args: {} }, view)).toMatchObject({ tier: 1 });
  });
});

describe("approval binding", () => {
  it("is the SHA-256 of canonical {tool, args}, independent of key order", async () => {
    const a = await approvalBinding("create_work_item", { title: "x", clock: "HF" });
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await approvalBinding("create_work_item", { clock: "HF", title: "x" })).toBe(a);
    expect(await approvalBinding("create_work_item", { clock: "LF", title: "x" })).not.toBe(a);
    expect(await approvalBinding("write_artifact", { title: "x", clock: "HF" })).not.toBe(a);
  });

  it("covers exactly the approved call", async () => {
    const args = { title: "Campaign Brief", clock: "HF" };
    const binding = await approvalBinding("create_work_item", args);
    const request = { status: "approved", action: { tool: "create_work_item", params: args, summary: "" }, binding } as unknown as ApprovalRequest;
    expect(await approvalCovers(request, "create_work_item", { clock: "HF", title: "Campaign Brief" })).toBe(true);
    expect(await approvalCovers(request, "create_work_item", { ...args, clock: "LF" })).toBe(false);
    expect(await approvalCovers({ ...request, status: "pending" }, "create_work_item", args)).toBe(false);
    const tampered = { ...request, action: { ...request.action, params: { ...args, title: "Other" } } };
    expect(await approvalCovers(tampered, "create_work_item", { ...args, title: "Other" })).toBe(false);
  });
});
