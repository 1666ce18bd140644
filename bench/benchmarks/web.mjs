/**
 * 12. web: the web app in Debian's Chromium (playwright-core) against the edge.
 *
 * - First meaningful paint of a space with 10k envelopes (1k with --quick), docs/WEB.md: from
 *   navigating to `/s/<space>` until its newest message is drawn with the view's work and
 *   members (the page's clock, from its navigation start); then, separately, until the page is
 *   synced (everything held and verified). Two cases: a *first visit* (the page's IndexedDB
 *   copy of the log emptied first: the view and the newest page, then the catch-up behind
 *   them) and a *reload* (the copy complete: read from IndexedDB, the edge sends nothing).
 *   A browser member (the owner, who created the space in its page) opens it; the 10k
 *   messages come from an agent on a CLI node joined by an invite made in the page
 *   (`commons post --stdin`, then `commons sync`). Anchor, in the same run: the same paints of
 *   a space holding ten messages.
 * - A posted message visible in another browser: person A posts from the page, person B
 *   (another context, another key, joined by invite) waits for it; from A's submit to the
 *   line drawn in B's DOM, sequential, both read on the pages' own clocks (a MutationObserver
 *   installed before the app runs). Anchor: the same line drawn in A's own page.
 * - The bundle against its budget (scripts/build-web.mjs, dist/web/budget.json).
 *
 * Targets: first paint of 10k ≤ 1 s; another browser p99 ≤ 100 ms; bundle within budget.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { BENCH_QUOTAS } from "../lib/big-space.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { codeRoot, removeDir, startEdge, tempDir } from "../lib/servers.mjs";
import { median, percentile } from "../lib/stats.mjs";

export const name = "web";
export const title = "Web app: first paint of a 10k space, a message seen in another browser, bundle size";

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: median(values), p90: percentile(sorted, 90), p99: percentile(sorted, 99), n: values.length };
};

function commons(home, args, input) {
  const run = spawnSync(process.execPath, [join(codeRoot(), "bin/commons"), ...args], { env: { ...process.env, COMMONS_HOME: home }, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`commons ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

/**
 * Installed in every page before its scripts run: when each message line was first drawn
 * and when a form was submitted, on the page's own clock (performance.timeOrigin +
 * performance.now(), comparable across pages on one machine). Times are read from the pages
 * afterwards, so Playwright's own round trips to a loaded machine are not in the figures.
 */
const OBSERVE = () => {
  const at = () => performance.timeOrigin + performance.now();
  window.__drawn = new Map();
  window.__submitted = [];
  addEventListener("submit", () => window.__submitted.push(at()), true);
  // Where a message's time goes: when the frame carrying it left one page and reached the other.
  window.__wire = { sent: new Map(), received: new Map() };
  const note = (map, data) => {
    if (typeof data === "string") return;
    const text = new TextDecoder().decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    for (const match of text.matchAll(/latency \d+ [a-z0-9]+/g)) if (!map.has(match[0])) map.set(match[0], at());
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => note(window.__wire.received, event.data));
    }
    send(data) {
      note(window.__wire.sent, data);
      super.send(data);
    }
  };
  new MutationObserver((records) => {
    const now = at();
    for (const record of records) for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      const lines = node.matches("[data-testid=message]") ? [node] : node.querySelectorAll("[data-testid=message]");
      for (const line of lines) {
        const text = line.querySelector(".text")?.textContent ?? "";
        if (!window.__drawn.has(text)) window.__drawn.set(text, now);
      }
    }
  }).observe(document, { childList: true, subtree: true });
};
const drawnAt = (page, text) => page.evaluate((t) => window.__drawn.get(t) ?? null, text);
const wireAt = (page, side, text) => page.evaluate(([s, t]) => window.__wire[s].get(t) ?? null, [side, text]);

async function open(browser, url) {
  const context = await browser.newContext();
  await context.addInitScript(OBSERVE);
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}
const synced = (page) => page.locator("[data-testid=connection][data-state=synced]").waitFor({ timeout: 120_000 });

async function createSpace(p, http, space) {
  await p.page.goto(`${http}/s/${space}`);
  await p.page.getByTestId("create").waitFor();
  await p.page.click("button[type=submit]");
  await synced(p.page);
}
async function invite(p, role) {
  await p.page.selectOption("select[name=invite-role]", role);
  await p.page.getByRole("button", { name: "Invite" }).click();
  const field = p.page.getByTestId("invite-url");
  await field.waitFor();
  return field.inputValue();
}

/** A space of `n` messages by an agent on a CLI node, owned by `owner`'s browser key. */
async function fill(owner, http, space, n, home) {
  await createSpace(owner, http, space);
  commons(home, ["join", await invite(owner, "agent")]);
  const lines = Array.from({ length: n }, (_, i) => `bench message ${i + 1}`).join("\n");
  commons(home, ["post", space, "--stdin"], lines);
  commons(home, ["sync", space]);
}

/** The page's IndexedDB copy of the log (client/web/keystore.ts): how many it holds, or emptied. */
const copyCount = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open("commons");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("envelopes", "readonly").objectStore("envelopes").count();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
}));
const emptyCopy = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open("commons");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction("envelopes", "readwrite");
    tx.objectStore("envelopes").clear();
    tx.oncomplete = () => { open.result.close(); resolve(); };
  };
}));

/** Waits until the copy holds at least `n` envelopes (its writes trail the catch-up a little). */
async function copyHolds(page, n) {
  const deadline = Date.now() + 120_000;
  while ((await copyCount(page)) < n) {
    if (Date.now() > deadline) throw new Error(`the page's copy never reached ${n} envelopes`);
    await page.waitForTimeout(100);
  }
}

/** `rounds` paints of `space`; `first`: the copy emptied before each (a first visit), else a reload with it. */
async function paint(owner, http, space, n, rounds, first) {
  const times = [];
  const toSynced = [];
  for (let r = 0; r < rounds; r++) {
    if (first) await emptyCopy(owner.page);
    await owner.page.goto(`${http}/s/${space}`);
    await owner.page.locator("[data-testid=message]", { hasText: `bench message ${n}` }).first().waitFor({ timeout: 120_000 });
    await synced(owner.page);
    const origin = await owner.page.evaluate(() => performance.timeOrigin);
    // From the navigation's start to the newest message drawn, on the page's clock.
    times.push((await drawnAt(owner.page, `bench message ${n}`)) - origin);
    toSynced.push(await owner.page.evaluate(() => performance.now()));
    // The next reload must find the whole copy (a navigation may cut its last writes short).
    await copyHolds(owner.page, n);
  }
  return { times, toSynced };
}

export async function run({ quick, log }) {
  const load = othersLoad();
  const big = quick ? 1_000 : 10_000;
  const rounds = quick ? 3 : 7;
  const messages = quick ? 30 : 200;
  const budget = JSON.parse(readFileSync(join(codeRoot(), "dist/web/budget.json"), "utf8"));
  const edge = await startEdge({ vars: { COMMONS_QUOTAS: JSON.stringify(BENCH_QUOTAS) } });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const home = tempDir("web-agent");
  try {
    const owner = await open(browser, `${edge.http}/`);
    await fill(owner, edge.http, "web-small", 10, home);
    await fill(owner, edge.http, "web-big", big, home);
    log(`web: spaces of 10 and ${big} messages built`);
    const paints = {};
    for (const first of [true, false]) {
      const kind = first ? "firstVisit" : "reload";
      const small = await paint(owner, edge.http, "web-small", 10, rounds, first);
      const large = await paint(owner, edge.http, "web-big", big, rounds, first);
      paints[kind] = {
        small: stats(small.times), large: stats(large.times), ratio: median(large.times) / median(small.times), targetMs: 1000,
        synced: { small: stats(small.toSynced), large: stats(large.toSynced) },
      };
      log(`web: ${kind} paint ${median(small.times).toFixed(0)} ms (10) vs ${median(large.times).toFixed(0)} ms (${big}); synced ${median(large.toSynced).toFixed(0)} ms`);
    }

    // Two people in one space: A posts, B sees.
    await owner.page.goto(`${edge.http}/s/web-small`);
    await synced(owner.page);
    const url = await invite(owner, "human");
    const other = await open(browser, url);
    await other.page.getByTestId("join").waitFor();
    await other.page.fill("input[name=name]", "B");
    await other.page.click("button[type=submit]");
    await synced(other.page);
    const remote = [];
    const local = [];
    // The path, split: the sender's page (submit → frame sent), the edge and the wire (→ frame
    // received in the other page), the other page (→ line drawn: verify, hold, render).
    const path = { sender: [], edge: [], receiver: [] };
    for (let i = 0; i < messages; i++) {
      const text = `latency ${i} ${Math.random().toString(36).slice(2)}`;
      await owner.page.fill("input[name=message]", text);
      await owner.page.getByRole("button", { name: "Post" }).click();
      await owner.page.locator("[data-testid=message]", { hasText: text }).waitFor({ timeout: 30_000 });
      await other.page.locator("[data-testid=message]", { hasText: text }).waitFor({ timeout: 30_000 });
      const sent = await owner.page.evaluate(() => window.__submitted.at(-1));
      local.push((await drawnAt(owner.page, text)) - sent);
      remote.push((await drawnAt(other.page, text)) - sent);
      const left = await wireAt(owner.page, "sent", text);
      const arrived = await wireAt(other.page, "received", text);
      path.sender.push(left - sent);
      path.edge.push(arrived - left);
      path.receiver.push((await drawnAt(other.page, text)) - arrived);
    }
    log(`web: another browser p50 ${median(remote).toFixed(0)} ms, p99 ${percentile([...remote].sort((a, b) => a - b), 99).toFixed(0)} ms; own page p50 ${median(local).toFixed(0)} ms`);
    return {
      machine: load.stop(),
      params: { big, rounds, messages, browser: browser.version() },
      firstPaint: paints.firstVisit,
      reloadPaint: paints.reload,
      otherBrowser: {
        remote: stats(remote), local: stats(local), ratio: median(remote) / median(local), targetP99Ms: 100,
        path: { sender: stats(path.sender), edge: stats(path.edge), receiver: stats(path.receiver) },
      },
      bundle: budget,
    };
  } finally {
    await browser.close();
    await edge.stop();
    removeDir(home);
  }
}
