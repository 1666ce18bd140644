/**
 * Policy as a commit rule, against a real `wrangler dev`: what George (an agent in the
 * seed's demo space) cannot do through the MCP tools he cannot do by signing envelopes
 * himself and posting them to `/log` either. Each test is an attack that worked when policy
 * lived only in the tools; the edge's verdicts are read from Andy's live replica.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushOverHttp } from "../../client/node/push.js";
import { NodeSql } from "../../client/node/sqlite.js";
import type { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { useEdge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();
let seeded: SeededSpace;
beforeAll(async () => {
  seeded = await seedSpace(edgeOf(), "door-commit");
});
afterAll(() => seeded?.close());

/** A node of `who`'s own, holding what Andy's replica holds. */
async function nodeOf(_who: Ed25519Signer): Promise<LogReplica> {
  const replica = LogReplica.open(new NodeSql(), parseSpaceId(seeded.space));
  await replica.ingest(seeded.replica.missingFor({}, 10_000));
  return replica;
}

/** Waits (on Andy's live socket, no timers) until the edge has judged every id. */
async function verdicts(ids: readonly EnvelopeId[]) {
  await seeded.socket.until(() => ids.every((id) => seeded.replica.status(id).state === "committed"));
  return ids.map((id) => seeded.replica.status(id) as { verdict: string; reason?: string });
}

async function mcp(token: string, name: string, args: Record<string, unknown>, id: number) {
  const res = await fetch(`${edgeOf().http}/s/${seeded.space}/mcp`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }),
  });
  // A JSON body, or (the 2025 stateless answer) one SSE event whose data is the message.
  const text = await res.text();
  const json = text.startsWith("{") ? text : text.split("\n").find((line) => line.startsWith("data:"))!.slice(5);
  return JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: { id?: EnvelopeId } } };
}

describe("the commit rule at the edge", () => {
  it("a tier-3 effect George signs himself and posts to /log is committed rejected", async () => {
    const george = await nodeOf(seeded.george);
    // The demo policy: HF work needs Andy's approval (tier 3). George skips the tools.
    const hf = await george.append(seeded.george, "work.created", { title: "Campaign brief", domains: ["After-Image"], clock: "HF" });
    const pushed = await pushOverHttp(george, edgeOf().http, seeded.replica.versionVector());
    expect(pushed.refused).toEqual([]);
    const [verdict] = await verdicts([hf.id]);
    expect(verdict).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(/^create_work_item needs an approved request/) });
    expect(seeded.committed().work.has(hf.id)).toBe(false);
  });

  it("an approval George files naming himself, then decides, runs nothing", async () => {
    const george = await nodeOf(seeded.george);
    const action = { tool: "create_work_item", params: { title: "Campaign brief", domain: "After-Image", clock: "HF" }, summary: "HF brief" };
    const request = await george.append(seeded.george, "approval.requested", { action, approver: seeded.george.did, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const decision = await george.append(seeded.george, "approval.decided", { request: request.id, decision: "approved" });
    const effect = await george.append(seeded.george, "work.created", { title: "Campaign brief", domains: ["After-Image"], clock: "HF", approval: request.id });
    expect((await pushOverHttp(george, edgeOf().http, seeded.replica.versionVector())).refused).toEqual([]);
    const [asked, decided, ran] = await verdicts([request.id, decision.id, effect.id]);
    expect(asked).toMatchObject({ verdict: "accepted" });
    expect(decided).toMatchObject({ verdict: "rejected" });
    expect(ran).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(/is pending, not approved/) });
  });

  it("50 parallel effects against a budget of 10, half through MCP and half through /log: exactly 10 commit", async () => {
    // Andy grants George a budget of 10 messages; it binds however George writes.
    const grant = await seeded.replica.append(seeded.andy, "authority.granted", {
      jti: "george-budget-door", subject: seeded.george.did, tools: ["post_message"], tier: 1, budget: { calls: 10 }, expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await pushOverHttp(seeded.replica, edgeOf().http);
    expect(await verdicts([grant.id])).toMatchObject([{ verdict: "accepted" }]);
    const george = await nodeOf(seeded.george);
    const selfSigned: EnvelopeId[] = [];
    for (let i = 0; i < 25; i++) selfSigned.push((await george.append(seeded.george, "channel.message", { content: `self ${i}` })).id);
    const token = await seeded.token(seeded.george);
    const [viaMcp] = await Promise.all([
      Promise.all(Array.from({ length: 25 }, (_, i) => mcp(token, "post_message", { content: `tool ${i}` }, i + 1))),
      // The self-signed ones go up in five parallel posts of five.
      Promise.all([0, 5, 10, 15, 20].map(async (start) => {
        const res = await fetch(`${edgeOf().http}/s/${seeded.space}/log`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ envelopes: selfSigned.slice(0, start + 5).map((id) => ({ ...george.get(id)!.envelope, id })) }),
        });
        expect(res.status).toBe(200);
      })),
    ]);
    const toolIds = viaMcp.map((answer) => answer.result?.structuredContent?.id).filter((id): id is EnvelopeId => id !== undefined);
    const refusedByTool = viaMcp.filter((answer) => answer.result?.isError === true).length;
    const all = await verdicts([...selfSigned, ...toolIds]);
    expect(all.filter((v) => v.verdict === "accepted")).toHaveLength(10);
    for (const v of all.filter((x) => x.verdict === "rejected")) expect(v.reason).toMatch(/^budget exhausted on grant george-budget-door/);
    // Every tool call either wrote an effect (judged above) or said the budget was spent.
    expect(toolIds.length + refusedByTool).toBe(25);
    expect(seeded.committed().grants.get("george-budget-door")!.spent.calls).toBe(10);
  });
});
