/**
 * An owner in the browser and real agents (AgentDOs on the same `wrangler dev`, added by a
 * CLI co-owner with `commons agent add`, the rules brain):
 *
 * - a circular deferral between two agents escalates the item to the owners: the page's
 *   "Needs you" shows it once, as one row for the item, and the row follows the item in
 *   place when the owner takes it from there;
 * - the owner's mode, set in the page, changes what an agent does: its tier-2 ask (a claim
 *   outside its domains, which the policy puts to an owner) is held back with a note while
 *   the owner is "monitoring" and reaches the page's attention once the owner is "active",
 *   where approving it lets the claim run.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/edge-dev.mjs";
import { useCliNodes } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { coOwner, postByMcp, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();
const nodeFor = useCliNodes();
const unique = (label: string) => `${label}-${Date.now().toString(36)}`;
const didOf = (out: string) => /(did:key:z6Mk\S+)/.exec(out)![1]!;

/** A space a CLI owner made, with this browser's key as a second owner named Ada. */
async function ownedWithAda(label: string) {
  const owner = nodeFor(label);
  const space = unique(label);
  const ada = await coOwner(browser(), edge().http, owner, space, "Ada");
  return { space, owner, ada, did: ada.did };
}

describe("agents and the owner's page", () => {
  it("a circular deferral escalates to the owner: one row in Needs you for the item, updated in place when she takes it", { timeout: 300_000 }, async () => {
    const { space, owner, ada } = await ownedWithAda("web-circle");
    const a = didOf(await owner.ok(["agent", "add", space, unique("legal-a"), "--domains", "ops"]));
    const b = didOf(await owner.ok(["agent", "add", space, unique("legal-b"), "--domains", "design"]));
    const item = /^work\.created (sha256:\w+)/.exec(await owner.ok(["work", space, "create", "Review the contract", "--domains", "legal"]))![1]!;
    await owner.ok(["sync", space]);
    // Neither agent's domain: each defers to the other, and the second deferral escalates.
    await postByMcp(edge().http, space, (await owner.ok(["token", space])).trim(), { content: "Can one of you take the legal review?", mentions: [a, b], threadRef: item });

    const row = ada.page.locator(`[data-testid=escalation][data-item="${item}"]`);
    await row.waitFor({ timeout: 120_000 });
    expect(await row.textContent(), ada.console.join("\n")).toMatch(/^Escalation from legal-[ab]-\w+ about Review the contract: Escalating "Review the contract" to you: .*deferred/);
    expect(await row.getByTestId("escalation-state").textContent()).toBe("open: nobody holds it");
    expect(await ada.page.getByTestId("escalation").count()).toBe(1);
    // The deferrals themselves mention the other agent, not Ada: nothing else needs her.
    expect(await ada.page.getByTestId("mention").count()).toBe(0);
    // The README's picture of "Needs you" with an agent's escalation (COMMONS_SCREENSHOTS=1).
    if (process.env.COMMONS_SCREENSHOTS === "1") await ada.page.screenshot({ path: join(repoRoot, "docs/images/web-needs-you.png") });

    // Ada takes it from the row: the same row now says who holds it; no second row appears.
    const before = await row.elementHandle();
    await row.getByRole("button", { name: "Take it" }).click();
    await expect.poll(() => row.getByTestId("escalation-state").textContent(), { timeout: 30_000 }).toBe("claimed by Ada");
    expect(await before!.evaluate((el) => el.isConnected && el.getAttribute("data-item"))).toBe(item);
    expect(await ada.page.getByTestId("escalation").count()).toBe(1);
    expect(await row.getByRole("button", { name: "Take it" }).count()).toBe(0);
    await ada.page.locator("[data-testid=work-item]", { hasText: "Review the contract" }).getByText("Ada").waitFor({ timeout: 30_000 });
    await ada.context.close();
  });

  it("setting my mode in the page: an agent's ask is held while I am monitoring, sent when I am active, and runs once I approve", { timeout: 300_000 }, async () => {
    const { space, owner, ada, did } = await ownedWithAda("web-modes");
    const name = unique("billing-bot");
    await owner.ok(["agent", "add", space, name, "--domains", "ops", "--keywords", "invoice", "--presence-check", "300ms"]);
    const token = (await owner.ok(["token", space])).trim();
    const adaMode = async () => {
      const presence = (await (await fetch(`${edge().http}/s/${space}/presence`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { participants: Array<{ id: string; mode: string }> };
      return presence.participants.filter((p) => p.id === did).map((p) => p.mode);
    };

    // Monitoring, as the edge's presence (which the agent reads) sees it.
    await ada.page.selectOption("select[name=mode]", "monitoring");
    await expect.poll(adaMode, { timeout: 30_000 }).toEqual(["monitoring"]);
    const item = /^work\.created (sha256:\w+)/.exec(await owner.ok(["work", space, "create", "Chase the invoice", "--domains", "billing"]))![1]!;
    await owner.ok(["sync", space]);
    // The agent says it holds the ask back; nothing reaches Ada's attention.
    const note = ada.page.locator("[data-testid=message]", { hasText: "Queued for owner's approval (they are monitoring)" });
    await note.waitFor({ timeout: 120_000 });
    expect(await note.locator(".who").textContent()).toMatch(new RegExp(`^${name} via `));
    expect(await ada.page.getByTestId("approval").count()).toBe(0);
    expect(await ada.page.locator("[data-testid=work-item]", { hasText: "Chase the invoice" }).locator("td").nth(1).textContent()).toBe("open");

    // Active again: the agent's next presence check sends the ask, which lands in Needs you.
    await ada.page.selectOption("select[name=mode]", "active");
    const ask = ada.page.locator("[data-testid=approval]", { hasText: "claim_work_item" });
    await ask.waitFor({ timeout: 120_000 });
    expect(JSON.parse((await ask.getByTestId("approval-params").textContent())!)).toMatchObject({ item });
    expect(await ada.page.getByTestId("approval").count()).toBe(1);
    await ask.getByRole("button", { name: "Approve" }).click();
    await ask.waitFor({ state: "detached", timeout: 30_000 });
    const claimed = ada.page.locator("[data-testid=work-item]", { hasText: "Chase the invoice" });
    await expect.poll(() => claimed.locator("td").nth(2).textContent(), { timeout: 120_000 }).toBe(name);
    await ada.context.close();
  });
});
