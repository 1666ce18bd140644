/**
 * Authority through the CLI, end to end: the seed's scenario with Andy approving in his
 * `commons` node, George's MCP client using `commons token`, a budget from `commons grant`,
 * and `commons mcp` serving the tools over stdio on a local copy, offline.
 */
import { MCP_TOOLS } from "../../core/policy/catalogue.js";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Ed25519Signer } from "../../core/identity/signer.js";
import { cliNode, commonsBin, type CliNode } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();

/** A CLI node whose identity is `signer` (as if it had run `commons id` with that key). */
async function nodeFor(label: string, signer: Ed25519Signer): Promise<CliNode> {
  const node = cliNode(label);
  mkdirSync(node.home, { recursive: true });
  const file = join(node.home, "identity.json");
  writeFileSync(file, JSON.stringify({ did: signer.did, jwk: signer.exportPrivateJwk() }));
  chmodSync(file, 0o600);
  expect((await node.ok(["id"])).trim()).toContain(signer.did);
  return node;
}

async function mcpOverHttp(space: string, token: string): Promise<Client> {
  const client = new Client({ name: "george-harness", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${edgeOf().http}/s/${space}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

type Result = { isError?: boolean; structuredContent: Record<string, unknown> };
const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;
const workTitled = (seeded: SeededSpace, title: string) => [...seeded.committed().work.values()].filter((w) => w.title === title);

describe("authority through the commons CLI", () => {
  it("the seed: George's HF task waits; Andy approves in the CLI; the task exists once", async () => {
    const seeded = await seedSpace(edgeOf(), "cli-seed");
    const url = `${edgeOf().http}/s/${seeded.space}`;
    const [andy, george] = await Promise.all([nodeFor("andy", seeded.andy), nodeFor("george", seeded.george)]);
    await Promise.all([andy.ok(["join", url]), george.ok(["join", url])]);

    const client = await mcpOverHttp(seeded.space, (await george.ok(["token", seeded.space])).trim());
    const hf = await call(client, "create_work_item", { title: "Campaign Brief: Q1 Launch", domain: "After-Image", clock: "HF" });
    expect(hf.structuredContent).toMatchObject({ status: "pending_approval", approver: seeded.andy.did });
    const approval = hf.structuredContent.approval as string;

    await andy.ok(["sync", seeded.space]);
    expect(await andy.ok(["log", seeded.space, "--attention"])).toContain(approval.replace(/^sha256:/, "").slice(0, 12));
    await andy.ok(["approve", seeded.space, approval]);
    await andy.ok(["sync", seeded.space]);
    await seeded.socket.until(() => workTitled(seeded, "Campaign Brief: Q1 Launch").length === 1);
    expect(workTitled(seeded, "Campaign Brief: Q1 Launch")[0]!.createdBy).toBe(seeded.george.did);
    await client.close();
    seeded.close();
  });

  it("`commons grant` gives a budget the edge enforces", async () => {
    const seeded = await seedSpace(edgeOf(), "cli-grant");
    const andy = await nodeFor("andy-grant", seeded.andy);
    await andy.ok(["join", `${edgeOf().http}/s/${seeded.space}`]);
    const token = (await andy.ok(["grant", seeded.space, "--to", seeded.george.did, "--tools", "post_message", "--tier", "1", "--budget", "3", "--expires", "2h"])).trim();
    await andy.ok(["sync", seeded.space]);
    await seeded.socket.until(() => [...seeded.committed().grants.values()].some((g) => g.subject === seeded.george.did));
    const client = await mcpOverHttp(seeded.space, token);
    const results: Result[] = [];
    for (let i = 0; i < 4; i++) results.push(await call(client, "post_message", { content: `update ${i}` }));
    expect(results.map((r) => r.structuredContent.status)).toEqual(["success", "success", "success", "rejected"]);
    expect(results[3]!.structuredContent.code).toBe("budget-exhausted");
    const other = await call(client, "create_work_item", { title: "not in my grant" });
    expect(other.structuredContent.code).toBe("token-tool-not-allowed");
    await client.close();
    seeded.close();
  });

  it("`commons mcp` serves the tools over stdio on the local copy while the edge is unreachable", async () => {
    const seeded = await seedSpace(edgeOf(), "cli-mcp");
    const george = await nodeFor("george-mcp", seeded.george);
    await george.ok(["join", `${edgeOf().http}/s/${seeded.space}`]);
    // Point the copy at a dead edge: everything below is local.
    await george.run(["sync", seeded.space, "--edge", "http://127.0.0.1:9/s/" + seeded.space]);

    const client = new Client({ name: "local-harness", version: "1.0.0" });
    await client.connect(new StdioClientTransport({
      command: process.execPath, args: [commonsBin, "mcp", seeded.space], env: { ...process.env, COMMONS_HOME: george.home } as Record<string, string>, stderr: "pipe",
    }));
    // Every MCP tool the catalogue names (core/policy/catalogue.ts), offline too.
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...MCP_TOOLS].sort());
    const own = await call(client, "create_work_item", { title: "Moodboard", domain: "After-Image" });
    expect(own.structuredContent).toMatchObject({ status: "success", commit: { state: "tentative" } });
    const hf = await call(client, "create_work_item", { title: "Reshoot", domain: "After-Image", clock: "HF" });
    expect(hf.structuredContent).toMatchObject({ status: "pending_approval", queued: true });
    await client.close();
    const listed = await george.ok(["work", seeded.space, "ls"]);
    expect(listed).toContain("Moodboard");
    seeded.close();
  });
});
