/**
 * "A message to the coalition's A2A endpoint reaches its members and is answered by the one
 * who self-selects" (issue 13), against a real `wrangler dev`: two AgentDOs of different
 * domains join a seeded space, Andy forms a coalition of them with the MCP tool at the edge,
 * and the A2A SDK's own ClientFactory client, unchanged (only its fetch carries the bearer
 * token), reads the coalition's card and sends it a message about one domain. The message
 * lands in the coalition's thread as Andy's; the agent of that domain volunteers, and the
 * task completes with its reply; the other agent says nothing in that thread.
 *
 * Waiting is on the space (Andy's live socket) and on the blocking SendMessage, never on a timer.
 */
import { GetTaskRequest, SendMessageRequest } from "@a2a-js/sdk";
import { ClientFactory, createAuthenticatingFetchWithRetry, JsonRpcTransportFactory, RestTransportFactory } from "@a2a-js/sdk/client";
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { verifyAgentCard } from "../../core/a2a/card.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { coalitionUrl } from "../../durable-objects/coalition-address.js";
import { addAgent } from "../support/agent-in-space.js";
import { useCliNodes } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();
const cliNode = useCliNodes();
type Body = Record<string, any>;
const messages = (seeded: SeededSpace) =>
  seeded.replica.since(0).filter((e) => e.envelope.type === "channel.message").map((e) => ({ id: e.id, body: e.envelope.body as Body }));

/** A tools/call at the edge's MCP endpoint with Andy's token: its structured result. */
async function tool(seeded: SeededSpace, name: string, args: Record<string, unknown>): Promise<Body> {
  const res = await fetch(`${edgeOf().http}/s/${seeded.space}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await seeded.token(seeded.andy)}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  const text = await res.text();
  const json = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? text);
  const result = (JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: Body } }).result;
  if (result?.isError === true || result?.structuredContent === undefined) throw new Error(`${name}: ${text.slice(0, 500)}`);
  return result.structuredContent;
}

for (const binding of ["JSONRPC", "HTTP+JSON"] as const) {
  describe(`a coalition's A2A endpoint over ${binding}`, () => {
    it("a message to the coalition reaches its members and is answered by the one who self-selects", { timeout: 240_000 }, async () => {
      const tag = binding === "JSONRPC" ? "rpc" : "rest";
      const seeded = await seedSpace(edgeOf(), `coalition-a2a-${tag}`);
      const fast = { options: { gapAfterMs: 200, unclaimedAfterMs: 200 } };
      const db = await addAgent(edgeOf().http, seeded, `co-db-${tag}-${process.pid}`, ["database"], fast);
      const web = await addAgent(edgeOf().http, seeded, `co-web-${tag}-${process.pid}`, ["frontend"], fast);
      const formed = await tool(seeded, "form_coalition", { name: "slow-reads", goal: "find why reads are slow", members: [db.did, web.did], quorum: 2 });
      expect(formed.commit).toMatchObject({ state: "committed", verdict: "accepted" });
      const coalition = formed.id as EnvelopeId;

      // The card: signed by the coalition's key, listing its members' skills.
      const url = coalitionUrl(edgeOf().http, seeded.space, coalition);
      const wire = (await (await fetch(`${url}/.well-known/agent-card.json`)).json()) as Body;
      expect(await verifyAgentCard(wire)).toBe(formed.key);
      expect(wire.skills.map((s: Body) => s.id)).toEqual(["database", "frontend"]);

      const token = await issueAgentCapability(seeded.andy, { agent: formed.key });
      const fetchImpl = createAuthenticatingFetchWithRetry(fetch, { headers: async () => ({ Authorization: `Bearer ${token}` }), shouldRetryWithHeaders: async () => undefined });
      const factory = new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })], preferredTransports: [binding] });
      const client = await factory.createFromUrl(`${url}/`);
      expect(client.transport.protocolName).toBe(binding);
      expect((await client.getAgentCard()).name).toBe("slow-reads");

      const text = `The database read replicas lag since noon (${tag})`;
      const result = await client.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: `ask-${tag}`, role: "ROLE_USER", parts: [{ text }] } }));
      if (!("status" in result)) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
      expect(result.status!.state).toBe(3); // TASK_STATE_COMPLETED
      const answer = result.status!.message!.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");
      expect(answer).toContain(`(${db.did}) answered:`);
      expect((await client.getTask(GetTaskRequest.fromJSON({ id: result.id }))).status!.state).toBe(3);

      // In the space: Andy's message in the coalition's thread, and the database agent's reply to it.
      await seeded.socket.until(() => messages(seeded).some((m) => m.body.actor === db.did && messages(seeded).some((a) => a.id === m.body.threadRef && a.body.content === text)));
      const ask = messages(seeded).find((m) => m.body.content === text)!;
      expect(ask.body).toMatchObject({ actor: seeded.andy.did, threadRef: coalition });
      const reply = messages(seeded).find((m) => m.body.threadRef === ask.id && m.body.actor === db.did)!;
      expect(answer).toContain(reply.body.content);

      // The other agent read past the ask (it answers a later mention) and said nothing in its thread.
      const mention = await seeded.replica.append(seeded.andy, "channel.message", { content: "thanks, all", mentions: [web.did] });
      await seeded.socket.sync.push();
      await seeded.socket.until(() => messages(seeded).some((m) => m.body.actor === web.did && m.body.threadRef === mention.id));
      expect(messages(seeded).filter((m) => m.body.threadRef === ask.id).map((m) => m.body.actor)).not.toContain(web.did);
      seeded.close();
    });
  });
}

describe("a coalition's A2A endpoint from the CLI", () => {
  it("`commons coalition show` prints its A2A URL and `commons a2a send` to it is answered by the member who takes it", { timeout: 240_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "coalition-a2a-cli");
    const fast = { options: { gapAfterMs: 200, unclaimedAfterMs: 200 } };
    const db = await addAgent(edgeOf().http, seeded, `co-db-cli-${process.pid}`, ["database"], fast);
    const web = await addAgent(edgeOf().http, seeded, `co-web-cli-${process.pid}`, ["frontend"], fast);
    const formed = await tool(seeded, "form_coalition", { name: "ui-speed", goal: "a faster first paint", members: [db.did, web.did] });
    const andy = cliNode("coalition-andy", seeded.andy);
    await andy.ok(["join", `${edgeOf().http}/s/${seeded.space}`]);
    await andy.ok(["sync", seeded.space]);
    const shown = await andy.ok(["coalition", seeded.space, "show", formed.id.slice("sha256:".length, "sha256:".length + 12)]);
    const url = coalitionUrl(edgeOf().http, seeded.space, formed.id as EnvelopeId);
    expect(shown).toContain(`a2a: ${url}`);
    const card = await andy.ok(["a2a", "card", url]);
    expect(card).toContain(`did        ${formed.key}  (card signature verified)`);
    expect(card).toMatch(/skill {6}frontend: Work in the frontend domain, by co-web-cli-/);

    const text = "The frontend bundle doubled in size this week";
    const sent = JSON.parse(await andy.ok(["a2a", "send", url, text, "--json"])) as { task: Body };
    expect(sent.task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(sent.task.status.message.parts[0].text).toContain(`(${web.did}) answered:`);
    await seeded.socket.until(() => messages(seeded).some((m) => m.body.actor === web.did && messages(seeded).some((a) => a.id === m.body.threadRef && a.body.content === text)));
    const ask = messages(seeded).find((m) => m.body.content === text)!;
    expect(ask.body).toMatchObject({ actor: seeded.andy.did, threadRef: formed.id });
    seeded.close();
  });
});
