/**
 * The web app's routes: `/` is JSON for clients and the landing page for a browser, the
 * space's URL serves the app's shell (its name at once, then the bundle), and the bundle is
 * served as static assets (wrangler.toml `[assets]`).
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const get = (path: string, accept?: string) => exports.default.fetch(`http://edge.test${path}`, accept === undefined ? {} : { headers: { Accept: accept } });

describe("web routes", () => {
  it("GET / answers JSON to a client and the landing page to a browser", async () => {
    for (const accept of [undefined, "application/json", "application/json, text/html", "*/*"]) {
      const res = await get("/", accept);
      expect(res.headers.get("content-type"), String(accept)).toContain("application/json");
      expect(await res.json()).toMatchObject({ service: "commons" });
    }
    const page = await get("/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    expect(page.headers.get("content-type")).toContain("text/html");
    const text = await page.text();
    expect(text).toContain('<script type="module" src="/app/main.js">');
    expect(text).toContain("<h1>Commons</h1>");
  });

  it("GET /s/:space serves the app shell with the space's name, escaped", async () => {
    const res = await get("/s/incident-42", "text/html");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("<h1>incident-42</h1>");
    expect(text).toContain("<title>incident-42 · Commons</title>");
    expect(text).toContain('src="/app/main.js"');
  });

  it("serves the built bundle and its stylesheet as static assets", async () => {
    const js = await (env as unknown as { ASSETS: Fetcher }).ASSETS.fetch("http://edge.test/app/main.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    // main.js is the loader scripts/build-web.mjs writes (preloads, then the entry): the entry it imports is the app.
    const loader = await js.text();
    expect(loader).toContain('import("./app.js")');
    const app = await (env as unknown as { ASSETS: Fetcher }).ASSETS.fetch("http://edge.test/app/app.js");
    expect(app.status).toBe(200);
    expect((await app.text()).length).toBeGreaterThan(10_000);
    const css = await (env as unknown as { ASSETS: Fetcher }).ASSETS.fetch("http://edge.test/app/main.css");
    expect(css.status).toBe(200);
  });
});
