/**
 * The MCP endpoint's trust boundary against `wrangler dev`: token attacks are refused with
 * 401/403 and a specific code, malformed JSON-RPC gets the protocol's error codes, never a
 * 500, and nothing lands in the log. Every error carries the request's id when one could be
 * read, and no refusal leaves an unread body behind in workerd's log.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { encodeBase64url } from "../../core/identity/encoding.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { useEdge } from "../support/edge.js";
import { seedSpace, type SeededSpace } from "../support/seed-space.js";

const edgeOf = useEdge();
let seeded: SeededSpace;
beforeAll(async () => {
  seeded = await seedSpace(edgeOf(), "mcp-attacks");
});
afterAll(() => seeded?.close());

const rpc = (method: string, params: Record<string, unknown> = {}, id: number | string | null = 1) => ({ jsonrpc: "2.0", id, method, params });
const toolsCall = (name: string, args: Record<string, unknown>) => rpc("tools/call", { name, arguments: args });
const HEADERS = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" };

async function post(token: string | null, body: unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${edgeOf().http}/s/${seeded.space}/mcp`, {
    method: "POST",
    headers: { ...HEADERS, ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: parseBody(text) };
}

/** A JSON body, or the JSON in an SSE body's data lines (one message, or an array of them). */
function parseBody(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    const data = text.split("\n").filter((line) => line.startsWith("data:")).map((line) => JSON.parse(line.slice(5)));
    return data.length === 0 ? null : data.length === 1 ? data[0] : data;
  }
}

const b64 = (value: object) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
const claimsOf = (token: string) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))));

async function hmacSign(input: string, secret: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new Uint8Array(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return encodeBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input))));
}

/** How many envelopes the edge holds, from its own /log/state (the refusal has been answered by then). */
async function edgeCount(): Promise<number> {
  const res = await fetch(`${edgeOf().http}/s/${seeded.space}/log/state`, { headers: { Authorization: `Bearer ${await seeded.token(seeded.andy)}` } });
  return ((await res.json()) as { count: number }).count;
}

describe("token attacks on /s/:space/mcp", () => {
  // Each refusal is asked with its own id (the code), which the answer must carry back.
  const refusedWith = async (token: string | null, status: number, code: string, body: { id: unknown } = { ...rpc("tools/list"), id: code }) => {
    // Asked of the edge itself (not Andy's live copy, which could lag a landed envelope).
    const countBefore = await edgeCount();
    const res = await post(token, body);
    expect(res.status, res.text).toBe(status);
    expect(res.json?.error?.data?.code, res.text).toBe(code);
    expect(res.json?.id, res.text).toBe(body.id);
    expect(res.text).not.toContain("Internal");
    expect(await edgeCount()).toBe(countBefore);
  };

  it("no token → 401 token-missing", () => refusedWith(null, 401, "token-missing"));

  it("alg none → 401", async () => {
    const claims = claimsOf(await seeded.token(seeded.george));
    await refusedWith(`${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`, 401, "token-alg-not-allowed");
  });

  it("HS256 signed with the issuer's public key as the secret → 401", async () => {
    const claims = claimsOf(await seeded.token(seeded.george));
    const input = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
    const publicKey = Uint8Array.from(atob(seeded.george.publicJwk().x.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    await refusedWith(`${input}.${await hmacSign(input, publicKey)}`, 401, "token-alg-not-allowed");
  });

  it("an embedded jwk header (a key of the attacker's choosing) → 401", async () => {
    const mallory = await Ed25519Signer.generate();
    const claims = { ...claimsOf(await seeded.token(seeded.george)), iss: seeded.george.did };
    const input = `${b64({ alg: "EdDSA", typ: "JWT", jwk: mallory.publicJwk() })}.${b64(claims)}`;
    const sig = encodeBase64url(await mallory.sign(new TextEncoder().encode(input)));
    await refusedWith(`${input}.${sig}`, 401, "token-embedded-key");
  });

  it("a wrong audience or space → 401", async () => {
    await refusedWith(await issueCapability(seeded.george, { sub: seeded.george.did, space: "other-space", tools: ["*"], tier: 4, epoch: seeded.committed().epoch }), 401, "token-wrong-audience");
  });

  it("expired, and not yet valid → 401", async () => {
    const now = Date.now();
    await refusedWith(await seeded.token(seeded.george, { now: now - 7_200_000, ttlSeconds: 60 }), 401, "token-expired");
    await refusedWith(await seeded.token(seeded.george, { nbf: Math.floor(now / 1000) + 3600, exp: Math.floor(now / 1000) + 7200 }), 401, "token-not-yet-valid");
  });

  it("a widened delegation → 403", async () => {
    const parent = await seeded.token(seeded.andy, { sub: seeded.george.did, tools: ["post_message"], tier: 1 });
    const child = await issueCapability(seeded.george, {
      sub: seeded.michelle.did, space: seeded.space, tools: ["post_message", "create_work_item"], tier: 1, epoch: seeded.committed().epoch, parent,
    });
    await refusedWith(child, 403, "token-widened");
  });

  it("a revoked parent → 403, for the child too", async () => {
    const jti = "revoked-parent-01";
    await seeded.replica.append(seeded.andy, "authority.granted", {
      jti, subject: seeded.george.did, tools: ["*"], tier: 4, expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await seeded.replica.append(seeded.andy, "authority.revoked", { jti, reason: "test" });
    await seeded.socket.sync.push();
    await seeded.socket.until(() => seeded.committed().revoked.has(jti));
    const parent = await seeded.token(seeded.andy, { sub: seeded.george.did, jti });
    const child = await issueCapability(seeded.george, { sub: seeded.michelle.did, space: seeded.space, tools: ["post_message"], tier: 1, epoch: seeded.committed().epoch, parent });
    await refusedWith(parent, 403, "token-revoked");
    await refusedWith(child, 403, "token-revoked");
  });

  it("a token from an older membership epoch → 403", async () => {
    await refusedWith(await seeded.token(seeded.george, { epoch: seeded.committed().epoch - 1 }), 403, "token-old-epoch");
  });

  it("a caller identity passed as an argument → 403, and nothing runs", async () => {
    const token = await seeded.token(seeded.george);
    const call = { ...toolsCall("create_work_item", { title: "x", domain: "After-Image", caller_agent: "michelle" }), id: 9001 };
    await refusedWith(token, 403, "identity-argument-refused", call);
  });
});

describe("malformed JSON-RPC on /s/:space/mcp", () => {
  const protocolError = async (body: unknown, code: number) => {
    const res = await post(await seeded.token(seeded.andy), body);
    expect(res.status, res.text).toBeLessThan(500);
    const errors = Array.isArray(res.json) ? res.json : [res.json];
    expect(errors[0]?.error?.code, res.text).toBe(code);
  };

  it("a body that is not JSON → -32700 parse error", () => protocolError("{not json", -32700));
  it("a JSON-RPC batch → -32600 invalid request (batching is not part of the protocol)", () =>
    protocolError([rpc("tools/list", {}, 1), rpc("tools/list", {}, 2)], -32600));
  it("a message without a method → -32600", () => protocolError({ jsonrpc: "2.0", id: 1 }, -32600));
  it("an unknown method → -32601", () => protocolError(rpc("tools/destroy"), -32601));
  it("tools/call with arguments of the wrong shape → a tool error or -32602, never a 500", async () => {
    const res = await post(await seeded.token(seeded.andy), toolsCall("create_work_item", { title: 42 }));
    expect(res.status).toBeLessThan(500);
    const payload = res.json?.result ?? res.json?.error;
    expect(payload?.isError === true || res.json?.error?.code === -32602, res.text).toBe(true);
  });
});

describe("errors carry the request's id", () => {
  const idOf = async (body: unknown, extra: Record<string, string> = {}) => {
    const res = await post(await seeded.token(seeded.andy), body, extra);
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.json?.error, res.text).toBeDefined();
    return res.json?.id;
  };

  it("a Content-Type that is not JSON (415, answered by the SDK before it reads the body)", async () => {
    expect(await idOf(rpc("tools/list", {}, 415), { "Content-Type": "text/plain" })).toBe(415);
  });
  it("an Accept without event streams on the 2025 path (406)", async () => {
    expect(await idOf(rpc("tools/list", {}, 406), { Accept: "text/html" })).toBe(406);
  });
  it("a batch names no single request: null", async () => {
    expect(await idOf([rpc("tools/list", {}, 1), rpc("tools/list", {}, 2)])).toBeNull();
  });
  it("a body over 4 MiB: 413 body-too-large, null (it is not read as JSON)", async () => {
    const res = await post(null, `{"jsonrpc":"2.0","id":1,"method":"ping","pad":"${"x".repeat(4 * 1024 * 1024)}"}`);
    expect(res.status, res.text).toBe(413);
    expect(res.json).toMatchObject({ id: null, error: { data: { code: "body-too-large" } } });
  });
});

describe("refused before the tools run, the body is still read", () => {
  /** node:http, since fetch will not send a Host of our choosing. */
  const postAs = (host: string, body: string) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = httpRequest(`${edgeOf().http}/s/${seeded.space}/mcp`, { method: "POST", headers: { ...HEADERS, Host: host } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: parseBody(text) }));
      });
      req.on("error", reject);
      req.end(body);
    });

  it("leaves no \"Can't read from request stream\" in workerd's log", async () => {
    const body = JSON.stringify({ ...rpc("tools/list", {}, "rebound"), pad: "x".repeat(256 * 1024) });
    const foreign = await postAs("rebound.example", body);
    expect(foreign).toMatchObject({ status: 403, json: { id: "rebound", error: { data: { code: "host-not-allowed" } } } });
    expect((await post(null, body)).status).toBe(401);
    expect((await post("not-a-token", body)).status).toBe(401);
    expect((await post(null, "x".repeat(4 * 1024 * 1024 + 1))).status).toBe(413);
    // workerd logs the unread body after the answer has gone: a last exchange and a moment
    // let that line, if any, reach the edge's output.
    await post(await seeded.token(seeded.andy), rpc("ping"));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(edgeOf().output()).not.toMatch(/read from request stream/i);
  });
});
