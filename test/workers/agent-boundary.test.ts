/**
 * The agent's door inside workerd: malformed JSON-RPC (the TCK's JSON-RPC MUSTs), A2A-Version
 * negotiation, and callers refused — none, forged, for another agent, expired, or not
 * allowed the method — with 401/403, the RFC 6750 challenge and a stable Commons code.
 */
import { describe, expect, it } from "vitest";
import { issueAgentCapability, issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { caller, cardOf, didOf, freshAgent, rpc, rpcRaw, userMessage } from "./agent-client.js";

const refused = (code: string, reason = "UNAUTHENTICATED") => ({
  code: -32000,
  message: expect.any(String),
  data: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "commons", metadata: { code } }],
});

async function setup(label: string) {
  const name = freshAgent(label);
  const { token, signer } = await caller(name);
  return { name, token, signer };
}

describe("A2A JSON-RPC: malformed requests", () => {
  it("answers each with its JSON-RPC code, HTTP 200, and the id when it could be read", async () => {
    const { name, token } = await setup("malformed");
    const send = async (body: string) => {
      const res = await rpcRaw(name, body, { token });
      expect(res.status).toBe(200);
      return (await res.json()) as { id: unknown; error: { code: number; message: string } };
    };
    expect(await send('{"jsonrpc": "2.0", "method": "SendMessage", "params": {"x": 1}')).toMatchObject({ id: null, error: { code: -32700 } });
    expect(await send('{"jsonrpc": "aaa", "method": "SendMessage", "params": {}}')).toMatchObject({ error: { code: -32600 } });
    expect(await send('{"jsonrpc": "1.0", "id": "v", "method": "SendMessage", "params": {}}')).toMatchObject({ id: "v", error: { code: -32600 } });
    expect(await send('{"jsonrpc": "2.0", "id": "m", "params": {}}')).toMatchObject({ id: "m", error: { code: -32600 } });
    expect(await send('{"jsonrpc": "2.0", "id": {"bad": "type"}, "method": "SendMessage", "params": {}}')).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await send('[{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}]')).toMatchObject({ id: null, error: { code: -32600 } });
    expect(await send('{"jsonrpc": "2.0", "id": "3", "method": "SendMessageXXX", "params": {}}')).toMatchObject({ id: "3", error: { code: -32601 } });
    expect(await send('{"jsonrpc": "2.0", "id": "n", "method": "nonexistent/method", "params": {}}')).toMatchObject({ id: "n", error: { code: -32601 } });
    // A 0.3 method name without params is an unknown method, not bad params, and says which names exist.
    const legacy = await send('{"jsonrpc": "2.0", "id": "old", "method": "tasks/get"}');
    expect(legacy).toMatchObject({ id: "old", error: { code: -32601 } });
    expect(legacy.error.message).toContain("A2A v1.0: SendMessage");
    expect(await send('{"jsonrpc": "2.0", "id": "4", "method": "SendMessage", "params": {"": "not_a_dict"}}')).toMatchObject({ id: "4", error: { code: -32602 } });
    const badParts = await send('{"jsonrpc": "2.0", "id": 5, "method": "SendMessage", "params": {"message": {"parts": "invalid"}}}');
    expect(badParts).toMatchObject({ id: 5, error: { code: -32602 } });
    expect(badParts.error.message).toContain("message.messageId");
    const v03Role = await send(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "SendMessage", params: { message: { messageId: "m", role: "user", parts: [{ text: "x" }] } } }));
    expect(v03Role).toMatchObject({ id: 6, error: { code: -32602 } });
    expect(await send('{"jsonrpc": "2.0", "id": 7, "method": "GetTask", "params": []}')).toMatchObject({ id: 7, error: { code: -32602 } });
  });

  it("answers a second request with the same id like any other, echoing that id", async () => {
    const { name, token } = await setup("duplicate");
    const first = await rpc(name, "SendMessage", userMessage("dup-1", "one"), { token, id: "duplicate-1" });
    const second = await rpc(name, "SendMessage", userMessage("dup-2", "two"), { token, id: "duplicate-1" });
    expect(first.body).toMatchObject({ jsonrpc: "2.0", id: "duplicate-1", result: { task: { status: { state: "TASK_STATE_COMPLETED" } } } });
    expect(second.body).toMatchObject({ jsonrpc: "2.0", id: "duplicate-1", result: { task: { status: { state: "TASK_STATE_COMPLETED" } } } });
    expect(second.body.result.task.id).not.toBe(first.body.result.task.id);
  });

  it("refuses other content types with -32005", async () => {
    const { name, token } = await setup("content-type");
    const res = await rpc(name, "GetTask", { id: "x" }, { token, headers: { "Content-Type": "text/plain" } });
    expect(res.body.error).toMatchObject({ code: -32005 });
  });
});

describe("A2A-Version negotiation", () => {
  it("serves 1.0 (patch numbers ignored; no header: a v1.0 method says 1.0) and refuses 0.3, 2.0 with -32009 saying what to send", async () => {
    const { name, token } = await setup("version");
    for (const version of ["1.0", "1.0.3", null, ""]) expect((await rpc(name, "ListTasks", {}, { token, version })).body.result, String(version)).toBeDefined();
    for (const version of ["0.3", "2.0", "banana"]) {
      const res = await rpc(name, "ListTasks", {}, { token, version, id: "v" });
      expect(res.status, String(version)).toBe(200);
      expect(res.body, String(version)).toMatchObject({
        id: "v",
        error: { code: -32009, data: [expect.objectContaining({ reason: "VERSION_NOT_SUPPORTED", domain: "a2a-protocol.org" })] },
      });
      expect(res.body.error.message).toContain('"A2A-Version: 1.0"');
    }
  });
});

describe("A2A callers", () => {
  it("refuses an anonymous caller with 401, a Bearer challenge and token-missing", async () => {
    const { name } = await setup("anonymous");
    const res = await rpc(name, "GetTask", { id: "x" }, { id: "anon" });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="commons:agent:did:key:z6Mk/);
    expect(res.body).toEqual({ jsonrpc: "2.0", id: "anon", error: refused("token-missing") });
    const notBearer = await rpc(name, "GetTask", { id: "x" }, { headers: { Authorization: "Basic aW52YWxpZDppbnZhbGlk" } });
    expect(notBearer.status).toBe(401);
    expect(notBearer.body.error).toEqual(refused("token-malformed"));
  });

  it("refuses forged, foreign and expired tokens with 401 and says which", async () => {
    const { name, token } = await setup("forged");
    const [header, payload, signature] = token.split(".");
    const flipped = `${header}.${payload}.${signature!.startsWith("A") ? "B" : "A"}${signature!.slice(1)}`;
    const other = freshAgent("other");
    const forOther = (await caller(other)).token;
    const someone = await Ed25519Signer.generate();
    const spaceToken = await issueCapability(someone, { sub: someone.did, space: name, tools: ["*"], tier: 4, epoch: 0 });
    const expired = await issueAgentCapability(someone, { agent: didOf(await cardOf(name)), ttlSeconds: 60, now: Date.now() - 3_600_000 });
    for (const [what, bad, code] of [
      ["a garbled token", "invalid-dummy-jwt-token-12345", "token-malformed"],
      ["a forged signature", flipped, "token-bad-signature"],
      ["a token for another agent", forOther, "token-wrong-audience"],
      ["a space's token", spaceToken, "token-wrong-audience"],
      ["an expired token", expired, "token-expired"],
    ] as const) {
      const res = await rpc(name, "GetTask", { id: "x" }, { token: bad });
      expect(res.status, what).toBe(401);
      expect(res.headers.get("WWW-Authenticate"), what).toContain('error="invalid_token"');
      expect(res.body.error, what).toEqual(refused(code));
    }
  });

  it("refuses with 403 a method the token does not name", async () => {
    const name = freshAgent("methods");
    const { token } = await caller(name, { methods: ["GetTask", "ListTasks"] });
    expect((await rpc(name, "ListTasks", {}, { token })).status).toBe(200);
    const res = await rpc(name, "SendMessage", userMessage("m-1"), { token });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual(refused("method-not-allowed", "PERMISSION_DENIED"));
  });
});
