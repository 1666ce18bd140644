/**
 * DNS-rebinding protection on the MCP endpoint, inside workerd: a Host the space does not
 * answer to, or a foreign Origin, is refused before any token is looked at.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const post = (url: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
const codeOf = async (res: Response) => ((await res.json()) as { error: { data: { code: string } } }).error.data.code;

describe("Host and Origin checks on /s/:space/mcp", () => {
  it("refuses a Host that is not in COMMONS_ALLOWED_HOSTS", async () => {
    const res = await post("http://rebound.example/s/origin-check/mcp");
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("host-not-allowed");
  });

  it("refuses a foreign Origin", async () => {
    const res = await post("http://127.0.0.1/s/origin-check/mcp", { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe("origin-not-allowed");
  });

  it("lets an allowed host through to authentication", async () => {
    const res = await post("http://127.0.0.1/s/origin-check/mcp", { Origin: "http://127.0.0.1" });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe("token-missing");
  });
});
