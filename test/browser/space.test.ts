/**
 * The web app in real Chromium against a real `wrangler dev`: the landing page, a space
 * created from a browser (its key the owner), invited into from the page, joined from a
 * second browser context (another person, another key), messages between them both ways,
 * modes, and a stranger who sees the door's refusal and nothing of the space.
 */
import { describe, expect, it } from "vitest";
import { useEdge } from "../support/edge.js";
import { createSpace, inviteFrom, joinWith, person, post, synced, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();

describe("the web app", () => {
  it("GET / in a browser is the landing page: this browser's did and its spaces", async () => {
    const p = await person(browser(), `${edge().http}/`);
    const did = await p.page.getByTestId("my-did").textContent({ timeout: 20_000 });
    expect(did, p.console.join("\n")).toMatch(/^did:key:z6Mk/);
    await p.page.getByTestId("no-spaces").waitFor();
    await createSpace(p, edge().http, "landing-made", "From the landing page");
    await p.page.goto(`${edge().http}/`);
    await expect.poll(() => p.page.getByTestId("spaces").textContent()).toContain("landing-made");
    // The key survives a reload: IndexedDB holds the non-extractable pair.
    expect(await p.page.getByTestId("my-did").textContent()).toBe(did);
    await p.context.close();
  });

  it("two people in one space: create, invite, join, messages both ways, names, modes", async () => {
    const space = "two-humans";
    const ada = await person(browser(), `${edge().http}/`);
    await createSpace(ada, edge().http, space);
    expect(await ada.page.getByTestId("me").textContent()).toContain("owner");
    const url = await inviteFrom(ada);
    expect(url).toMatch(new RegExp(`/s/${space}#invite=`));

    const bo = await person(browser(), `${edge().http}/`);
    await joinWith(bo, url, "Bo");
    expect(await bo.page.getByTestId("me").textContent()).toContain("Bo · human");
    expect(bo.page.url()).not.toContain("#invite=");

    await post(ada, "hello from Ada");
    await bo.page.locator("[data-testid=message]", { hasText: "hello from Ada" }).waitFor({ timeout: 20_000 });
    await post(bo, "hi Ada, Bo here");
    const seen = ada.page.locator("[data-testid=message]", { hasText: "hi Ada, Bo here" });
    await seen.waitFor({ timeout: 20_000 });
    expect(await seen.locator(".who").textContent()).toBe("Bo");
    // Messages are weak: shown at once, then committed by the edge's sequencer.
    await expect.poll(() => seen.getByTestId("status").textContent(), { timeout: 20_000 }).toMatch(/^committed #\d+$/);

    // A mention of Bo is in Bo's attention list, and highlighted in Bo's channel.
    await post(ada, "@Bo can you check the cert?");
    await bo.page.locator("[data-testid=mention]", { hasText: "can you check the cert?" }).waitFor({ timeout: 30_000 });
    await bo.page.locator("[data-testid=message].mention", { hasText: "can you check the cert?" }).waitFor();

    // "New since you looked": Bo leaves, Ada writes, Bo comes back to a marker before it.
    await bo.page.goto(`${edge().http}/`);
    await post(ada, "written while Bo was away");
    await bo.page.goto(`${edge().http}/s/${space}`);
    await bo.page.locator("[data-testid=message]", { hasText: "written while Bo was away" }).waitFor({ timeout: 30_000 });
    const marked = bo.page.locator(".thread", { has: bo.page.getByTestId("new-marker") });
    expect(await marked.locator("[data-testid=message]").first().textContent()).toContain("written while Bo was away");

    // Presence: both are here; Bo's mode change reaches Ada.
    const boOnAda = ada.page.locator(`[data-testid=participant]`, { hasText: "Bo" });
    await boOnAda.waitFor({ timeout: 20_000 });
    await bo.page.selectOption("select[name=mode]", "away");
    await expect.poll(() => boOnAda.getAttribute("data-mode"), { timeout: 20_000 }).toBe("away");
    await ada.context.close();
    await bo.context.close();
  });

  it("invite links under attack: a tampered one and a used-up one are refused with their codes; the space goes on", async () => {
    const owner = await person(browser(), `${edge().http}/`);
    await createSpace(owner, edge().http, "guarded");
    const url = await inviteFrom(owner);

    // One character of the payload changed: the page refuses before signing anything.
    const at = url.indexOf("#invite=") + 20;
    const tampered = url.slice(0, at) + (url[at] === "A" ? "B" : "A") + url.slice(at + 1);
    const mallory = await person(browser(), `${edge().http}/`);
    await mallory.page.goto(tampered);
    await mallory.page.getByTestId("join").waitFor();
    await mallory.page.fill("input[name=name]", "Mallory");
    await mallory.page.click("button[type=submit]");
    expect(await mallory.page.getByRole("alert").textContent({ timeout: 20_000 })).toMatch(/^invite-(malformed|key-invalid): .*ask the owner/);

    // The real link, used once by Bo, is used up for the next browser.
    const bo = await person(browser(), `${edge().http}/`);
    await joinWith(bo, url, "Bo");
    const late = await person(browser(), `${edge().http}/`);
    await late.page.goto(url);
    await late.page.getByTestId("join").waitFor();
    await late.page.fill("input[name=name]", "Late");
    await late.page.click("button[type=submit]");
    expect(await late.page.getByRole("alert").textContent({ timeout: 20_000 })).toMatch(/^join-rejected: .*new invite link/);
    expect(await late.page.getByTestId("channel").count()).toBe(0);

    // Nothing of it changed the space: its members still talk.
    await post(bo, "only us two");
    await owner.page.locator("[data-testid=message]", { hasText: "only us two" }).waitFor({ timeout: 20_000 });
    for (const p of [owner, mallory, bo, late]) await p.context.close();
  });

  it("a browser that is no member sees the door's refusal, not the space", async () => {
    const owner = await person(browser(), `${edge().http}/`);
    await createSpace(owner, edge().http, "private-one");
    await post(owner, "secret plans");
    await owner.page.locator("[data-testid=message]", { hasText: "secret plans" }).waitFor();

    const stranger = await person(browser(), `${edge().http}/s/private-one`);
    await stranger.page.getByTestId("refused").waitFor({ timeout: 20_000 });
    expect(await stranger.page.getByTestId("refusal-code").textContent()).toBe("not-a-member");
    expect(await stranger.page.content()).not.toContain("secret plans");
    // The space goes on for its member.
    await post(owner, "still here");
    await owner.page.locator("[data-testid=message]", { hasText: "still here" }).waitFor();
    await owner.context.close();
    await stranger.context.close();
  });
});
