/**
 * The space's MCP tools end to end: the official MCP SDK client against `wrangler dev`,
 * the seed's scenario through every tier, approvals through the channel, budgets.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { MCP_TOOLS } from "../../core/policy/catalogue.js";
import { useEdge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();

async function mcpClient(space: string, token: string): Promise<Client> {
  const client = new Client({ name: "commons-test", version: "1.0.0" });
  const url = new URL(`${edgeOf().http}/s/${space}/mcp`);
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

type Structured = { status: string; [key: string]: unknown };
const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent: Structured; content: Array<{ text: string }> };

const workTitled = (seeded: SeededSpace, title: string) => [...seeded.committed().work.values()].filter((w) => w.title === title);

describe("the space's MCP tools", () => {
  it("the SDK client lists and calls the tools", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-list");
    const client = await mcpClient(seeded.space, await seeded.token(seeded.andy));
    const { tools } = await client.listTools();
    // Exactly the catalogue's MCP tools (core/policy/catalogue.ts names them once), the coalition and market tools among them.
    expect(tools.map((t) => t.name).sort()).toEqual([...MCP_TOOLS].sort());
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["get_space_state", "post_message", "decide_approval", "form_coalition", "bid"]));
    const state = await call(client, "get_space_state", {});
    expect(state.structuredContent.status).toBe("success");
    expect((state.structuredContent.members as unknown[]).length).toBe(3);
    await client.close();
    seeded.close();
  });

  it("the seed's scenario: George's own-domain task runs, his HF task waits for Andy, human-only tools refuse", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-seed");
    const george = await mcpClient(seeded.space, await seeded.token(seeded.george));

    const own = await call(george, "create_work_item", { title: "Hero image", domain: "After-Image", clock: "LF" });
    expect(own.structuredContent).toMatchObject({ status: "success" });
    await seeded.socket.until(() => workTitled(seeded, "Hero image").length === 1);
    expect(workTitled(seeded, "Hero image")[0]!.createdBy).toBe(seeded.george.did);

    const hf = await call(george, "create_work_item", { title: "Campaign Brief: Q1 Launch", domain: "After-Image", clock: "HF" });
    expect(hf.structuredContent).toMatchObject({ status: "pending_approval", approver: seeded.andy.did, queued: true });
    const approval = hf.structuredContent.approval as string;
    expect(workTitled(seeded, "Campaign Brief: Q1 Launch")).toEqual([]);

    const refused = await call(george, "decide_approval", { request: approval, decision: "approved" });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ status: "rejected", code: "tier-4-refused" });
    expect(refused.content[0]!.text).toContain("reserved to humans");

    // Andy approves (as his node would: a signed decision synced to the edge).
    await seeded.replica.append(seeded.andy, "approval.decided", { request: approval as never, decision: "approved" });
    await seeded.socket.sync.push();
    await seeded.socket.until(() => workTitled(seeded, "Campaign Brief: Q1 Launch").length === 1);
    const created = workTitled(seeded, "Campaign Brief: Q1 Launch")[0]!;
    expect(created.createdBy).toBe(seeded.george.did);
    // A second approval of the same request cannot run the action again.
    await seeded.replica.append(seeded.andy, "approval.decided", { request: approval as never, decision: "approved" });
    await seeded.socket.sync.push();
    const channel = await call(george, "query_channel", { thread: approval });
    const reports = (channel.structuredContent.items as Array<{ body: { content?: string } }>).filter((i) => i.body.content?.startsWith("✅"));
    expect(reports).toHaveLength(1);
    expect(workTitled(seeded, "Campaign Brief: Q1 Launch")).toHaveLength(1);
    await george.close();
    seeded.close();
  });
});

describe("approvals through the channel", () => {
  it("a rejection is recorded in the channel and the action never runs", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-reject");
    const george = await mcpClient(seeded.space, await seeded.token(seeded.george));
    const hf = await call(george, "create_work_item", { title: "Midnight reshoot", domain: "After-Image", clock: "HF" });
    const approval = hf.structuredContent.approval as string;
    await seeded.replica.append(seeded.andy, "approval.decided", { request: approval as never, decision: "rejected", reason: "not this quarter" });
    await seeded.socket.sync.push();
    const isRecorded = () =>
      seeded.replica.query({ thread: approval as never, limit: 100 }).envelopes.some((e) => String((e.envelope.body as { content?: string }).content).startsWith("❌"));
    await seeded.socket.until(isRecorded);
    const record = seeded.replica.query({ thread: approval as never, limit: 100 }).envelopes.find((e) => e.envelope.type === "channel.message")!;
    expect(record.envelope.body).toMatchObject({ toolCalls: [{ tool: "create_work_item", result: "rejected" }] });
    expect((record.envelope.body as { content: string }).content).toContain("not this quarter");
    expect(workTitled(seeded, "Midnight reshoot")).toEqual([]);
    await george.close();
    seeded.close();
  });

  it("when an approver is active, the caller is told it is not queued", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-present");
    const { WebsocketProvider } = await import("y-websocket");
    const Y = await import("yjs");
    // Presence is bound to identity: Andy's UI connects with Andy's token.
    const andyUi = new WebsocketProvider(`${edgeOf().ws}/s`, seeded.space, new Y.Doc(), { disableBc: true, params: { token: await seeded.token(seeded.andy) } });
    andyUi.awareness.setLocalState({ id: seeded.andy.did, name: "Andy", kind: "human", mode: "active", focus: null });
    // A second connection sees Andy's presence only after the edge applied and relayed it.
    const probe = new WebsocketProvider(`${edgeOf().ws}/s`, seeded.space, new Y.Doc(), { disableBc: true, params: { token: await seeded.token(seeded.michelle) } });
    await new Promise<void>((resolve) => {
      const check = () => [...probe.awareness.getStates().values()].some((s) => s.id === seeded.andy.did) && resolve();
      probe.awareness.on("change", check);
      check();
    });
    probe.destroy();
    const george = await mcpClient(seeded.space, await seeded.token(seeded.george));
    const hf = await call(george, "create_work_item", { title: "Launch film", domain: "After-Image", clock: "HF" });
    expect(hf.content[0]!.text).toContain("is active");
    expect(hf.structuredContent).toMatchObject({ status: "pending_approval", queued: false });
    andyUi.destroy();
    await george.close();
    seeded.close();
  });
});

describe("authority budgets", () => {
  it("50 parallel spends against a budget of 10: exactly 10 succeed, on every replica's view", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-budget");
    const jti = "budget-grant-0001";
    await seeded.replica.append(seeded.andy, "authority.granted", {
      jti, subject: seeded.george.did, tools: ["post_message"], tier: 1, budget: { calls: 10 },
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await seeded.socket.sync.push();
    await seeded.socket.until(() => seeded.committed().grants.has(jti));
    const token = await seeded.token(seeded.andy, { sub: seeded.george.did, jti, tools: ["post_message"], tier: 1, budget: { calls: 10 } });
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => mcpClient(seeded.space, token)));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(clients[i % clients.length]!, "post_message", { content: `spend ${i}` })),
    );
    const succeeded = results.filter((r) => r.structuredContent.status === "success");
    expect(succeeded).toHaveLength(10);
    for (const r of results.filter((r) => r.isError)) expect(r.structuredContent).toMatchObject({ code: "budget-exhausted" });

    const { NodeSql } = await import("../../client/node/sqlite.js");
    const { LogReplica } = await import("../../core/log/replica.js");
    const { openLogSocket } = await import("../../client/sdk/log-socket.js");
    const { buildView } = await import("../../core/views/build.js");
    const other = LogReplica.open(new NodeSql(), seeded.replica.space);
    const sock = await openLogSocket(`${edgeOf().ws}/s/${seeded.space}`, other, { token: await seeded.token(seeded.andy) });
    await sock.synced();
    const asAndy = { headers: { Authorization: `Bearer ${await seeded.token(seeded.andy)}` } };
    const edgeCount = ((await (await fetch(`${edgeOf().http}/s/${seeded.space}/log/state`, asAndy)).json()) as { count: number }).count;
    await seeded.socket.until(() => seeded.replica.count() === edgeCount);
    for (const replica of [seeded.replica, other]) {
      expect(buildView(replica.since(0)).committed.grants.get(jti)?.spent.calls).toBe(10);
    }
    sock.close();
    for (const c of clients) await c.close();
    seeded.close();
  });
});

describe("tier 2 and expiry", () => {
  it("tier 2: a draft artifact (an allowed pattern) runs; a final one waits for Andy", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-tier2");
    const george = await mcpClient(seeded.space, await seeded.token(seeded.george));
    const draft = await call(george, "write_artifact", { title: "Moodboard", content: "burnt film", kind: "draft" });
    expect(draft.structuredContent).toMatchObject({ status: "success" });
    const final = await call(george, "write_artifact", { title: "Moodboard", content: "burnt film", kind: "final" });
    expect(final.structuredContent).toMatchObject({ status: "pending_approval", approver: seeded.andy.did });
    await george.close();
    seeded.close();
  });

  it("an unanswered request expires: the edge's alarm records it in the channel", async () => {
    const seeded = await seedSpace(edgeOf(), "mcp-expiry");
    const george = await mcpClient(seeded.space, await seeded.token(seeded.george));
    const asked = await call(george, "request_approval", {
      tool: "deploy", params: { env: "prod" }, summary: "deploy the launch page", approver: seeded.andy.did, expiresInSeconds: 1,
    });
    expect(asked.structuredContent).toMatchObject({ status: "success" });
    const request = asked.structuredContent.id as never;
    // No timer here: the edge's alarm fires at the expiry and its record arrives on Andy's live socket.
    await seeded.socket.until(() =>
      seeded.replica.query({ thread: request }).envelopes.some((e) => String((e.envelope.body as { content?: string }).content).startsWith("⏱")),
    );
    const record = seeded.replica.query({ thread: request }).envelopes.find((e) => e.envelope.type === "channel.message")!;
    expect(record.envelope.body).toMatchObject({ toolCalls: [{ tool: "deploy", result: "rejected" }] });
    await george.close();
    seeded.close();
  });
});
