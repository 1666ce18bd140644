/**
 * A reload with a non-empty outbox: a message written offline lives in IndexedDB, not in the
 * page, so a reload before it was sent still shows it, *unsent*, and once the edge's socket
 * is back it commits exactly once (not lost, not doubled by the second page's push).
 *
 * The page cannot load with no network at all (there is no service worker: docs/WEB.md), so
 * the reload happens with HTTP back but the space's sockets held by the test (a Playwright
 * WebSocket route that answers nothing until released): the page is up, and its edge is not.
 */
import type { WebSocketRoute } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useEdge } from "../support/edge.js";
import { createSpace, person, post, synced, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();

describe("the outbox across a reload", () => {
  it("written offline, reloaded before it was sent: shown unsent from IndexedDB, then committed exactly once", { timeout: 180_000 }, async () => {
    const space = "outbox-reload";
    const ada = await person(browser(), `${edge().http}/`);
    await createSpace(ada, edge().http, space);
    // The space's sockets pass through to the edge, except while `holding`: then nothing answers.
    let holding = false;
    const held: WebSocketRoute[] = [];
    await ada.context.routeWebSocket((url) => url.pathname === `/s/${space}`, (ws) => {
      if (holding) held.push(ws);
      else ws.connectToServer();
    });
    await post(ada, "before the outage");
    const before = ada.page.locator("[data-testid=message]", { hasText: "before the outage" });
    await expect.poll(() => before.getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);

    await ada.context.setOffline(true);
    await ada.page.locator("[data-testid=connection][data-state=offline]").waitFor({ timeout: 30_000 });
    await post(ada, "written offline, kept across a reload");
    const line = () => ada.page.locator("[data-testid=message]", { hasText: "written offline, kept across a reload" });
    expect(await line().getByTestId("status").textContent()).toBe("unsent");

    // The network is back but the edge's sockets are not; the page reloads (and asks first).
    holding = true;
    await ada.context.setOffline(false);
    const asked: string[] = [];
    ada.page.once("dialog", (dialog) => {
      asked.push(dialog.type());
      void dialog.accept();
    });
    await ada.page.reload();
    expect(asked).toEqual(["beforeunload"]);
    await line().waitFor({ timeout: 30_000 });
    expect(await line().getByTestId("status").textContent()).toBe("unsent");
    expect(await ada.page.getByTestId("connection").textContent()).toMatch(/· 1 unsent$/);
    expect(held.length).toBeGreaterThan(0);

    // The edge comes back: the page reconnects, pushes its outbox, and the sequencer commits it.
    holding = false;
    for (const ws of held.splice(0)) await ws.close();
    await synced(ada);
    await expect.poll(() => line().getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);

    // A fresh page catches up from the edge alone (the outbox is empty now): the message is there once.
    await ada.page.reload();
    await synced(ada);
    await line().waitFor({ timeout: 30_000 });
    expect(await line().count()).toBe(1);
    expect(await line().getByTestId("status").textContent()).toMatch(/^committed #\d+$/);
    expect(await ada.page.getByTestId("connection").textContent()).toBe("synced");
    await ada.context.close();
  });
});
