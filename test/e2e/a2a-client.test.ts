/**
 * A Commons agent end to end: the A2A SDK's own ClientFactory client, unchanged (only its
 * fetch carries the bearer token), against a real `wrangler dev` — over both bindings:
 * card, send, get, list, cancel (-32002 on a completed task), an unknown task (-32001),
 * stream, subscribe. The card's signature is checked by the SDK's own verifier too.
 */
import { AgentCard, GetTaskRequest, ListTasksRequest, SendMessageRequest, verifyAgentCardSignature, type StreamResponse } from "@a2a-js/sdk";
import { ClientFactory, createAuthenticatingFetchWithRetry, JsonRpcTransportFactory, RestTransportFactory, type Client } from "@a2a-js/sdk/client";
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer, publicJwkFromDid } from "../../core/identity/signer.js";
import { useEdge } from "../support/edge.js";

const edgeOf = useEdge();

async function sdkClient(name: string, binding: "JSONRPC" | "HTTP+JSON"): Promise<{ client: Client; did: Did; wire: Record<string, any> }> {
  const base = `${edgeOf().http}/agents/${name}/`;
  const wire = (await (await fetch(`${base}.well-known/agent-card.json`)).json()) as Record<string, any>;
  const did = wire.capabilities.extensions[0].params.did as Did;
  const token = await issueAgentCapability(await Ed25519Signer.generate(), { agent: did });
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, { headers: async () => ({ Authorization: `Bearer ${token}` }), shouldRetryWithHeaders: async () => undefined });
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })],
    preferredTransports: [binding],
  });
  return { client: await factory.createFromUrl(base), did, wire };
}

const send = (messageId: string, text: string, extra: Record<string, unknown> = {}) =>
  SendMessageRequest.fromJSON({ message: { messageId, role: "ROLE_USER", parts: [{ text }], ...extra } });
const taskOf = (result: unknown) => {
  if (typeof result !== "object" || result === null || !("status" in result)) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result as { id: string; contextId: string; status: { state: number }; artifacts: unknown[] };
};
const kinds = (events: StreamResponse[]) => events.map((e) => e.payload?.$case);

for (const binding of ["JSONRPC", "HTTP+JSON"] as const) {
  describe(`the SDK client over ${binding}`, () => {
    it("reads the card, sends, gets, lists and cancels; refuses with the spec's errors", async () => {
      const name = `sdk-${binding === "JSONRPC" ? "rpc" : "rest"}`;
      const { client, wire } = await sdkClient(name, binding);
      expect(client.transport.protocolName).toBe(binding);
      const card = await client.getAgentCard();
      expect(card.name).toBe(name);
      expect(card.supportedInterfaces.map((i) => [i.protocolBinding, i.protocolVersion])).toEqual([["JSONRPC", "1.0"], ["HTTP+JSON", "1.0"]]);
      // The SDK's verifier over the card as served: the signature is the did's key's.
      await verifyAgentCardSignature(async (kid) => publicJwkFromDid(kid.split("#")[0] as Did) as never)(wire as AgentCard);
      expect(wire.signatures[0].protected).toBeTruthy();

      const done = taskOf(await client.sendMessage(send("tck-complete-task-e2e", "over the wire")));
      expect(done.status.state).toBe(3); // TASK_STATE_COMPLETED
      expect(taskOf(await client.getTask(GetTaskRequest.fromJSON({ id: done.id }))).id).toBe(done.id);
      const listed = await client.listTasks(ListTasksRequest.fromJSON({}));
      expect(listed.tasks.map((t) => t.id)).toContain(done.id);

      await expect(client.cancelTask({ id: done.id, tenant: "", metadata: undefined })).rejects.toMatchObject({ name: "TaskNotCancelableError" });
      await expect(client.getTask(GetTaskRequest.fromJSON({ id: "no-such-task" }))).rejects.toMatchObject({ name: "TaskNotFoundError" });
      if (binding === "JSONRPC") {
        await expect(client.cancelTask({ id: done.id, tenant: "", metadata: undefined })).rejects.toMatchObject({ envelopeCode: -32002 });
        await expect(client.getTask(GetTaskRequest.fromJSON({ id: "no-such-task" }))).rejects.toMatchObject({ envelopeCode: -32001 });
      } else {
        await expect(client.getTask(GetTaskRequest.fromJSON({ id: "no-such-task" }))).rejects.toMatchObject({ statusCode: 404 });
      }

      const waiting = taskOf(await client.sendMessage(send("tck-input-required-e2e", "wait")));
      expect(waiting.status.state).toBe(6); // TASK_STATE_INPUT_REQUIRED
      expect(taskOf(await client.cancelTask({ id: waiting.id, tenant: "", metadata: undefined })).status.state).toBe(5); // CANCELED
    });

    it("streams a task as it runs, and a subscriber follows a waiting task to its end", async () => {
      const name = `sdk-stream-${binding === "JSONRPC" ? "rpc" : "rest"}`;
      const { client } = await sdkClient(name, binding);
      const events: StreamResponse[] = [];
      for await (const event of client.sendMessageStream(send("tck-stream-001", "streamed"))) events.push(event);
      expect(kinds(events)).toEqual(["task", "statusUpdate", "artifactUpdate", "statusUpdate"]);

      const waiting = taskOf(await client.sendMessage(send("tck-input-required-sub", "wait")));
      const subscription = client.resubscribeTask({ id: waiting.id, tenant: "" });
      const first = await subscription.next();
      expect(first.value?.payload).toMatchObject({ $case: "task", value: { id: waiting.id } });
      await client.sendMessage(send("follow-up-sub", "go on", { taskId: waiting.id }));
      const rest: StreamResponse[] = [];
      for await (const event of subscription) rest.push(event);
      expect(rest.at(-1)?.payload).toMatchObject({ $case: "statusUpdate", value: { taskId: waiting.id, status: { state: 3 } } });
    });
  });
}

describe("the SDK client without a token", () => {
  it("is refused, with the agent's message saying how to get one", async () => {
    const base = `${edgeOf().http}/agents/sdk-anonymous/`;
    const client = await new ClientFactory({ transports: [new JsonRpcTransportFactory()] }).createFromUrl(base);
    await expect(client.sendMessage(send("m-1", "hi"))).rejects.toMatchObject({ envelopeCode: -32000, message: expect.stringContaining("Authorization: Bearer") });
  });
});
