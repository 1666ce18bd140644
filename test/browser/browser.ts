/**
 * Debian's Chromium driven by playwright-core (../shared/RECIPES.md), one browser per test
 * file and a fresh context (its own IndexedDB, so its own key) per person. Waiting is always
 * on a DOM condition (locator.waitFor / expect polling), never on a timer.
 */
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
