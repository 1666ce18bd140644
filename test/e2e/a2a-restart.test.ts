/**
 * An agent's tasks and key outlive its process: `wrangler dev` stopped and started again on
 * the same state, the agent answers with the same did, a card signed by it, and the tasks
 * it had — read back from its SQLite, through the SDK's own client.
 */
import { GetTaskRequest, ListTasksRequest, SendMessageRequest } from "@a2a-js/sdk";
import { ClientFactory, createAuthenticatingFetchWithRetry, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { afterAll, describe, expect, it } from "vitest";
import { verifyAgentCard } from "../../core/a2a/card.js";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { removeDir, startEdge, tempDir, type Edge } from "../support/edge.js";

const persistTo = tempDir("a2a-restart");
const edges: Edge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.stop();
  removeDir(persistTo);
});

async function clientFor(edge: Edge, caller: Ed25519Signer) {
  const base = `${edge.http}/agents/keeper/`;
  const card = (await (await fetch(`${base}.well-known/agent-card.json`)).json()) as { capabilities: { extensions: Array<{ params: { did: Did } }> } };
  const did = card.capabilities.extensions[0]!.params.did;
  const token = await issueAgentCapability(caller, { agent: did });
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, { headers: async () => ({ Authorization: `Bearer ${token}` }), shouldRetryWithHeaders: async () => undefined });
  return { did, card, client: await new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })] }).createFromUrl(base) };
}

describe("agent restart", () => {
  it("keeps its did and its tasks across a restart of the edge", async () => {
    const caller = await Ed25519Signer.generate();
    const first = await startEdge({ persistTo });
    edges.push(first);
    const before = await clientFor(first, caller);
    const sent = await before.client.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: "tck-artifact-text-keep", role: "ROLE_USER", parts: [{ text: "keep me" }] } }));
    const id = (sent as { id: string }).id;
    const stored = await before.client.getTask(GetTaskRequest.fromJSON({ id }));
    await first.stop();
    edges.pop();

    const second = await startEdge({ persistTo });
    edges.push(second);
    const after = await clientFor(second, caller);
    expect(after.did).toBe(before.did);
    // The new edge listens on another port, so the card's URLs differ; its signer does not.
    expect(await verifyAgentCard(after.card as never)).toBe(before.did);
    expect(await after.client.getTask(GetTaskRequest.fromJSON({ id }))).toEqual(stored);
    expect((await after.client.listTasks(ListTasksRequest.fromJSON({}))).tasks.map((t) => t.id)).toEqual([id]);
  });
});
