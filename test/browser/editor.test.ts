/**
 * The shared editor and the connection state in real Chromium: two people's edits to the
 * notes converge with each other's cursors shown; a browser taken offline keeps editing and
 * writing (its message marked unsent, a warning before closing), and when it comes back
 * everything it did reaches the other and everything the other did reaches it.
 */
import { describe, expect, it } from "vitest";
import { useEdge } from "../support/edge.js";
import { createSpace, inviteFrom, joinWith, person, post, synced, useBrowser, type Person } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();

/** The editor's text: its lines, without the widgets that draw others' cursors. */
const editorText = (p: Person) =>
  p.page.locator("[data-testid=editor] .cm-content").evaluate((content) => {
    const copy = content.cloneNode(true) as HTMLElement;
    for (const widget of Array.from(copy.querySelectorAll(".cm-ySelectionCaret, .cm-widgetBuffer"))) widget.remove();
    return Array.from(copy.querySelectorAll(".cm-line")).map((line) => line.textContent ?? "").join("\n");
  });
async function typeInEditor(p: Person, text: string): Promise<void> {
  await p.page.locator("[data-testid=editor] .cm-content").click();
  await p.page.keyboard.press("End");
  await p.page.keyboard.type(text);
}
const unloadBlocked = (p: Person) =>
  p.page.evaluate(() => {
    const event = new Event("beforeunload", { cancelable: true });
    dispatchEvent(event);
    return event.defaultPrevented;
  });

describe("the shared editor and connection state", () => {
  it("two editors converge with remote cursors; an offline browser edits and posts, comes back, and both converge", async () => {
    const ada = await person(browser(), `${edge().http}/`);
    await createSpace(ada, edge().http, "notes-together");
    const bo = await person(browser(), `${edge().http}/`);
    await joinWith(bo, await inviteFrom(ada), "Bo");
    await ada.page.locator("[data-testid=editor] .cm-content").waitFor({ timeout: 30_000 });
    await bo.page.locator("[data-testid=editor] .cm-content").waitFor({ timeout: 30_000 });

    await typeInEditor(ada, "Ada: timeline of the outage. ");
    await expect.poll(() => editorText(bo), { timeout: 30_000 }).toContain("Ada: timeline of the outage.");
    await typeInEditor(bo, "Bo: cert expired 09:14.");
    await expect.poll(() => editorText(ada), { timeout: 30_000 }).toContain("Bo: cert expired 09:14.");
    expect(await editorText(ada)).toBe(await editorText(bo));
    // Bo's cursor is drawn in Ada's editor, named.
    await ada.page.locator(".cm-ySelectionCaret", { hasText: "Bo" }).waitFor({ state: "attached", timeout: 30_000 });

    // Bo goes offline: the page says so, and keeps what Bo does.
    await bo.context.setOffline(true);
    await bo.page.locator("[data-testid=connection][data-state=offline]").waitFor({ timeout: 30_000 });
    await typeInEditor(bo, " Offline note from Bo.");
    await post(bo, "written while offline");
    const offlineLine = bo.page.locator("[data-testid=message]", { hasText: "written while offline" });
    expect(await offlineLine.getByTestId("status").textContent()).toBe("unsent");
    expect(await unloadBlocked(bo)).toBe(true);
    // Meanwhile Ada goes on.
    await typeInEditor(ada, " Ada: rolled back.");
    await post(ada, "rollback done");
    expect(await editorText(ada)).not.toContain("Offline note from Bo.");
    expect(await ada.page.locator("[data-testid=message]", { hasText: "written while offline" }).count()).toBe(0);

    // Back online: both directions arrive, the editors converge, nothing is unsent.
    await bo.context.setOffline(false);
    await synced(bo);
    await ada.page.locator("[data-testid=message]", { hasText: "written while offline" }).waitFor({ timeout: 30_000 });
    await bo.page.locator("[data-testid=message]", { hasText: "rollback done" }).waitFor({ timeout: 30_000 });
    await expect.poll(() => editorText(ada), { timeout: 30_000 }).toContain("Offline note from Bo.");
    await expect.poll(() => editorText(bo), { timeout: 30_000 }).toContain("Ada: rolled back.");
    await expect.poll(async () => (await editorText(ada)) === (await editorText(bo)), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => offlineLine.getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);
    expect(await unloadBlocked(bo)).toBe(false);
    await ada.context.close();
    await bo.context.close();
  }, 240_000);
});
