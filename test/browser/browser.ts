/**
 * Debian's Chromium driven by playwright-core (../shared/RECIPES.md), one browser per test
 * file and a fresh context (its own IndexedDB, so its own key) per person. Waiting is always
 * on a DOM condition (locator.waitFor / expect polling), never on a timer.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("the browser is not running: call useBrowser() at the top of the test file");
    return browser;
  };
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Everything the page logged and threw, for failure messages. */
  console: string[];
}

export async function person(browser: Browser, url: string): Promise<Person> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const console: string[] = [];
  page.on("console", (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { context, page, console };
}

/** Creates `space` from this browser (its key becomes the owner) and waits for the space to open synced. */
export async function createSpace(p: Person, http: string, space: string, title?: string): Promise<void> {
  await p.page.goto(`${http}/s/${space}`);
  await p.page.getByTestId("create").waitFor();
  if (title) await p.page.fill("input[name=title]", title);
  await p.page.click("button[type=submit]");
  await synced(p);
}

export async function synced(p: Person): Promise<void> {
  await p.page.locator('[data-testid=connection][data-state=synced]').waitFor({ timeout: 30_000 });
}

/** The owner makes an invite URL in the page (role human by default). */
export async function inviteFrom(owner: Person, role = "human"): Promise<string> {
  await owner.page.selectOption("select[name=invite-role]", role);
  await owner.page.getByRole("button", { name: "Invite" }).click();
  const field = owner.page.getByTestId("invite-url");
  await field.waitFor();
  return field.inputValue();
}

/** Opens an invite URL in `p`'s browser and joins as `name`. */
export async function joinWith(p: Person, url: string, name: string): Promise<void> {
  await p.page.goto(url);
  await p.page.getByTestId("join").waitFor();
  await p.page.fill("input[name=name]", name);
  await p.page.click("button[type=submit]");
  await synced(p);
}

export async function post(p: Person, text: string): Promise<void> {
  await p.page.fill("input[name=message]", text);
  await p.page.getByRole("button", { name: "Post" }).click();
}

/**
 * A space made by a CLI owner (`owner`, a node of test/support/cli.ts), with a browser added
 * as a second owner under `name`: the page's own key, read from the landing page. Agents are
 * then added by the CLI owner (`commons agent add` needs a node's key).
 */
export async function coOwner(browser: Browser, http: string, owner: { ok(args: string[]): Promise<string> }, space: string, name: string): Promise<Person & { did: string }> {
  await owner.ok(["create", `${http}/s/${space}`]);
  const p = await person(browser, `${http}/`);
  const did = (await p.page.getByTestId("my-did").textContent({ timeout: 20_000 }))!;
  await owner.ok(["members", space, "add", did, "--role", "owner", "--name", name]);
  await owner.ok(["sync", space]);
  await p.page.goto(`${http}/s/${space}`);
  await synced(p);
  return { ...p, did };
}

/**
 * Posts through the space's MCP tools as the holder of `token` (the tool host signs it for
 * them): the way to write a message in a work item's thread, which `commons post --thread`
 * (message threads only) cannot.
 */
export async function postByMcp(http: string, space: string, token: string, args: { content: string; mentions?: string[]; threadRef?: string }): Promise<void> {
  const client = new Client({ name: "commons-browser-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${http}/s/${space}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const result = (await client.callTool({ name: "post_message", arguments: args })) as { isError?: boolean; structuredContent?: { commit?: { verdict?: string } } };
  await client.close();
  if (result.isError) throw new Error(`post_message refused: ${JSON.stringify(result)}`);
}
