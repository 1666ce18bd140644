/**
 * DNS-rebinding protection on the MCP endpoint, inside workerd: a Host the space does not
 * answer to, or a foreign Origin, is refused before any token is looked at. Every refusal is
 * a JSON-RPC error that carries the request's id when one could be read (JSON-RPC 2.0 §5).
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { openSpace } from "./socket-client.js";

// A real space: one without a genesis answers 404 space-not-found before any other check.
let space: string;
beforeAll(async () => {
  space = (await openSpace("origin-check")).space;
});

const TOOLS_LIST = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };

const post = (url: string, headers: Record<string, string> = {}, body: unknown = TOOLS_LIST) =>
  exports.default.fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
type RpcError = { jsonrpc: string; id: unknown; error: { code: number; data: { code: string } } };
const codeOf = async (res: Response) => ((await res.json()) as RpcError).error.data.code;

describe("Host and Origin checks on /s/:space/mcp", () => {
  it("refuses a Host that is not in COMMONS_ALLOWED_HOSTS", async () => {
    const res = await post(`http://rebound.example/s/${space}/mcp`);
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("host-not-allowed");
  });

  it("refuses a foreign Origin", async () => {
    const res = await post(`http://127.0.0.1/s/${space}/mcp`, { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("origin-not-allowed");
  });

  it("lets an allowed host through to authentication", async () => {
    const res = await post(`http://127.0.0.1/s/${space}/mcp`, { Origin: "http://127.0.0.1" });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("token-missing");
  });
});

describe("refusals echo the request's id", () => {
  const refusals: Array<[string, string, Record<string, string>, string]> = [
    ["a foreign Host", "http://rebound.example", {}, "host-not-allowed"],
    ["a foreign Origin", "http://127.0.0.1", { Origin: "http://evil.example" }, "origin-not-allowed"],
    ["no token", "http://127.0.0.1", {}, "token-missing"],
    ["a malformed Authorization header", "http://127.0.0.1", { Authorization: "Basic x" }, "token-malformed"],
    ["a malformed token", "http://127.0.0.1", { Authorization: "Bearer a.b.c" }, "token-malformed"],
  ];

  for (const [what, origin, headers, code] of refusals) {
    it(`${what}: a number id and a string id come back as sent`, async () => {
      for (const id of [42, "req-7"]) {
        const body = (await (await post(`${origin}/s/${space}/mcp`, headers, { ...TOOLS_LIST, id })).json()) as RpcError;
        expect(body).toMatchObject({ jsonrpc: "2.0", id, error: { data: { code } } });
      }
    });
  }

  it("null when no single request id can be read: not JSON, a notification, a batch", async () => {
    const url = `http://rebound.example/s/${space}/mcp`;
    for (const body of ["{not json", { jsonrpc: "2.0", method: "notifications/initialized" }, [TOOLS_LIST]]) {
      const answer = (await (await post(url, {}, body)).json()) as RpcError;
      expect(answer.error.data.code).toBe("host-not-allowed");
      expect(answer.id).toBeNull();
    }
  });

  it("a 401 says how to authenticate", async () => {
    const res = await post(`http://127.0.0.1/s/${space}/mcp`);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  });
});
