/**
 * The work graph and presence in the page, against what CLI nodes and an agent write:
 *
 * - items with their creator (dashed) and claimant; a handoff (Bo held the item, released
 *   it, the owner took it) drawn from Bo to the item; a dependency (an agent's armed
 *   handoff: "when the brief is ready, George can start visuals") drawn from the brief to
 *   the visuals; a coalition around an item, its members and epoch, from the read model's
 *   committed coalition state, redrawn when a member leaves (epoch +1, one edge fewer);
 * - presence kinds: a human owner and a browser that joined by an agent invite are shown as
 *   such, each with its mode, and a mode change reaches the other page.
 *
 * Assertions are on the SVG's nodes and edges (`data-kind`, `data-from`, `data-to`).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/edge-dev.mjs";
import { useCliNodes } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { coOwner, inviteFrom, joinWith, person, postByMcp, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();
const nodeFor = useCliNodes();
const unique = (label: string) => `${label}-${Date.now().toString(36)}`;
const didOf = (out: string) => /(did:key:z6Mk\S+)/.exec(out)![1]!;
const created = (out: string) => /^work\.created (sha256:\w+)/.exec(out)![1]!;

describe("the work graph", () => {
  it("draws items, a handoff, a dependency and a coalition (with its epoch) from the committed state", { timeout: 300_000 }, async () => {
    const owner = nodeFor("graph-owner");
    const bo = nodeFor("graph-bo");
    const space = unique("graph");
    const ada = await coOwner(browser(), edge().http, owner, space, "Ada");
    const ownerDid = didOf(await owner.ok(["id"]));
    await bo.ok(["join", (await owner.ok(["invite", space, "--role", "human", "--name", "Bo"])).trim()]);
    const boDid = didOf(await bo.ok(["id"]));
    await owner.ok(["sync", space]);

    // A handoff: Bo claims the cert work, releases it, and Ada's co-owner takes it.
    const cert = created(await owner.ok(["work", space, "create", "Rotate the cert", "--domains", "ops"]));
    await owner.ok(["sync", space]);
    await bo.ok(["sync", space]);
    await bo.ok(["work", space, "claim", cert]);
    await bo.ok(["sync", space]);
    await bo.ok(["work", space, "release", cert]);
    await bo.ok(["sync", space]);
    await owner.ok(["sync", space]);
    await owner.ok(["work", space, "claim", cert]);
    await owner.ok(["sync", space]);

    // A dependency: the agent arms a handoff on the brief, naming the visuals.
    const george = unique("george");
    const georgeDid = didOf(await owner.ok(["agent", "add", space, george, "--domains", "creative"]));
    const brief = created(await owner.ok(["work", space, "create", "Q1 campaign brief", "--domains", "strategy"]));
    const visuals = created(await owner.ok(["work", space, "create", "Hero visuals"]));
    await owner.ok(["sync", space]);
    await postByMcp(edge().http, space, (await owner.ok(["token", space])).trim(), { content: "When the brief is ready, George can start visuals.", mentions: [georgeDid], threadRef: brief });

    // A coalition around the cert item: the owner and Bo.
    const formed = /^coalition\.formed (sha256:\w+)/m.exec(await owner.ok(["coalition", space, "form", "cert-team", "--goal", "rotate every cert", "--members", `${ownerDid},${boDid}`, "--item", cert]))![1]!;
    await owner.ok(["sync", space]);

    const graph = ada.page.getByTestId("work-graph");
    const edgeOf = (kind: string, from: string, to: string) => graph.locator(`[data-kind=${kind}][data-from="${from}"][data-to="${to}"]`);
    await edgeOf("depends", brief, visuals).waitFor({ state: "attached", timeout: 120_000 });
    await graph.locator(`[data-testid=graph-coalition][data-id="${formed}"]`).waitFor({ state: "attached", timeout: 60_000 });
    const counts = async (kind: string) => graph.locator(`[data-kind=${kind}]`).count();

    // Items, each with its creator; the cert's claimant and its earlier holder.
    const items = await graph.getByTestId("graph-item").evaluateAll((els) => els.map((el) => `${el.firstChild?.textContent} · ${el.getAttribute("data-status")}`));
    expect(items.sort()).toEqual(["Hero visuals · open", "Q1 campaign brief · open", "Rotate the cert · claimed"]);
    for (const item of [cert, brief, visuals]) expect(await edgeOf("created", ownerDid, item).count()).toBe(1);
    expect(await edgeOf("claim", ownerDid, cert).count()).toBe(1);
    expect(await edgeOf("handoff", boDid, cert).count()).toBe(1);
    expect(await counts("claim")).toBe(1);
    expect(await counts("handoff")).toBe(1);
    expect(await counts("depends")).toBe(1);
    // The coalition: its two members and its item, at epoch 1.
    const team = graph.locator(`[data-testid=graph-coalition][data-id="${formed}"]`);
    expect(await team.getAttribute("data-epoch")).toBe("1");
    expect(await team.locator("text").textContent()).toBe("cert-team · e1");
    expect(await edgeOf("member", ownerDid, formed).count()).toBe(1);
    expect(await edgeOf("member", boDid, formed).count()).toBe(1);
    expect(await edgeOf("for", formed, cert).count()).toBe(1);
    expect(await graph.locator(`[data-testid=graph-member][data-did="${boDid}"]`).textContent()).toBe("Bo");

    // The README's second picture: the work view with its graph, the coalition at epoch 1 (COMMONS_SCREENSHOTS=1).
    if (process.env.COMMONS_SCREENSHOTS === "1") await ada.page.getByTestId("work").screenshot({ path: join(repoRoot, "docs/images/web-work-graph.png") });
    // Bo leaves the coalition: once committed, epoch 2 and one member edge.
    await bo.ok(["sync", space]);
    await bo.ok(["coalition", space, "leave", formed]);
    await bo.ok(["sync", space]);
    await expect.poll(() => team.getAttribute("data-epoch"), { timeout: 60_000 }).toBe("2");
    expect(await edgeOf("member", boDid, formed).count()).toBe(0);
    expect(await edgeOf("member", ownerDid, formed).count()).toBe(1);
    await ada.context.close();
  });
});

describe("presence kinds", () => {
  it("a human and an agent are shown as such, each with its mode; a mode change reaches the other page", { timeout: 120_000 }, async () => {
    const owner = nodeFor("kinds-owner");
    const space = unique("kinds");
    const ada = await coOwner(browser(), edge().http, owner, space, "Ada");
    const scout = await person(browser(), `${edge().http}/`);
    await joinWith(scout, await inviteFrom(ada, "agent"), "Scout");
    expect(await scout.page.getByTestId("me").textContent()).toContain("Scout · agent");

    const scoutOnAda = ada.page.locator("[data-testid=participant]", { hasText: "Scout" });
    await scoutOnAda.waitFor({ timeout: 30_000 });
    expect(await scoutOnAda.textContent()).toMatch(/^Scout · agent · active$/);
    const adaOnScout = scout.page.locator("[data-testid=participant]", { hasText: "Ada" });
    await adaOnScout.waitFor({ timeout: 30_000 });
    expect(await adaOnScout.textContent()).toMatch(/^Ada · human · active$/);
    expect(await ada.page.locator("[data-testid=participant]", { hasText: "(you)" }).textContent()).toMatch(/^Ada · human · active \(you\)$/);

    await ada.page.selectOption("select[name=mode]", "monitoring");
    await expect.poll(() => adaOnScout.textContent(), { timeout: 30_000 }).toBe("Ada · human · monitoring");
    await scout.page.selectOption("select[name=mode]", "away");
    await expect.poll(() => scoutOnAda.getAttribute("data-mode"), { timeout: 30_000 }).toBe("away");
    expect(await scoutOnAda.textContent()).toBe("Scout · agent · away");
    await ada.context.close();
    await scout.context.close();
  });
});
