/** The Worker's routes: health, space names, the space page, JSON errors. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string, init?: RequestInit) => exports.default.fetch(`http://edge.test${path}`, init);

describe("routes", () => {
  it("GET / answers 200 with the service description", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ service: "commons", status: "ok" });
  });

  it("GET /s/:space without an upgrade answers the space's HTML page", async () => {
    const res = await get("/s/incident-42");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("<h1>incident-42</h1>");
  });

  for (const bad of ["Incident-42", "a%20b", "-x", "x".repeat(65), "%F0%9F%98%80"]) {
    it(`refuses the space name "${decodeURIComponent(bad)}" with 400 invalid-space-name, on every space route`, async () => {
      for (const [path, init] of [
        [`/s/${bad}`, undefined],
        [`/s/${bad}`, { headers: { Upgrade: "websocket" } }],
        [`/s/${bad}/presence`, undefined],
      ] as const) {
        const res = await get(path, init);
        expect(res.status, path).toBe(400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("invalid-space-name");
        expect(body.error.message).toContain("lowercase letters");
      }
    });
  }

  it("unknown routes answer 404 JSON", async () => {
    for (const path of ["/nope", "/s/incident-42/nope"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not-found" } });
    }
  });
});
