/**
 * Inside workerd: the `get_artifact` MCP tool reads an artifact's current version at the
 * edge — inline until a branch that staged it in Yjs is promoted, then the branch's Y.Text
 * from the edge's own Yjs document (written there over a real socket), with whether the
 * edge holds exactly the promoted version (core/yjs/branch-text.ts).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Ed25519Signer } from "../../core/identity/signer.js";
import { branchKey, editText, textVersion } from "../../core/yjs/branch-text.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { openSpace, type TestSpace } from "./socket-client.js";

/** A tools/call at the edge's MCP endpoint as `signer`: the JSON-RPC answer. */
async function call(s: TestSpace, signer: Ed25519Signer, name: string, args: Record<string, unknown>) {
  const res = await exports.default.fetch(`http://127.0.0.1/s/${s.space}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await s.token(signer)}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  // The answer is one JSON message, or an SSE event carrying it.
  const text = await res.text();
  const json = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? text);
  return JSON.parse(json) as { result?: { isError?: boolean; content: Array<{ text: string }>; structuredContent?: Record<string, unknown> } };
}

const idOf = (results: Array<{ status: string }>) => {
  const [result] = results as Array<{ id: EnvelopeId; status: string; commit?: { verdict: string } }>;
  expect(result?.commit?.verdict).toBe("accepted");
  return result!.id;
};

describe("get_artifact at the edge", () => {
  it("reads inline until promotion, then the promoted branch's Yjs text from the edge's document", async () => {
    const s = await openSpace("artifact", { members: { Carol: "agent" } });
    const carol = s.members.Carol!;
    const artifact = idOf(await s.write("artifact.created", { title: "runbook", content: { inline: "restart the pods" } }));
    const branch = idOf(await s.write("branch.created", { name: "runbook-fix" }));
    expect((await call(s, carol, "get_artifact", { artifact })).result?.structuredContent).toMatchObject({ text: "restart the pods", source: "inline" });

    // The owner writes the branch's text over a socket; carol's socket sees it relayed, so the edge holds it.
    const key = branchKey(branch, artifact);
    const text = "drain the bad node, then restart the pods";
    const [writer, reader] = [await s.connect(s.owner), await s.connect(carol)];
    editText(writer.doc.getText(key), text);
    await reader.until(() => reader.doc.getText(key).toString() === text);
    idOf(await s.write("branch.updated", { branch, artifact, content: { ydoc: key }, version: await textVersion(text) }));
    idOf(await s.write("branch.merged", { branch }));

    const read = await call(s, carol, "get_artifact", { artifact });
    expect(read.result?.structuredContent).toMatchObject({ artifact, text, source: "yjs", version: await textVersion(text), matches: true, branch });
    // An edit after the promotion is not passed off as the promoted version.
    editText(writer.doc.getText(key), `${text}; page the owner`);
    await reader.until(() => reader.doc.getText(key).toString().endsWith("page the owner"));
    expect((await call(s, carol, "get_artifact", { artifact })).result?.structuredContent).toMatchObject({ matches: false, source: "yjs" });
    writer.close();
    reader.close();

    const unknown = await call(s, carol, "get_artifact", { artifact: branch });
    expect(unknown.result?.isError).toBe(true);
    expect(unknown.result?.content[0]?.text).toMatch(/no committed artifact/);
  });
});
