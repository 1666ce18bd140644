/**
 * A person in the browser and an agent on a CLI node in one space: the agent joins by an
 * invite made in the page, its messages reach the page and the page's reach it; its tier-3
 * request (an HF work item through the space's MCP tools) waits for the human, who approves
 * it from the page's attention list, and it runs exactly once; the page's timeline at a past
 * commit is the same state `commons replay --at` folds on the CLI node's copy.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/edge-dev.mjs";
import { cliNode } from "../support/cli.js";
import { useEdge } from "../support/edge.js";
import { createSpace, inviteFrom, person, post, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();
const agent = cliNode("web-agent");
afterAll(() => agent.killAll());

async function mcp(space: string, token: string): Promise<Client> {
  const client = new Client({ name: "commons-browser-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${edge().http}/s/${space}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

describe("a human in the browser and an agent on a CLI node", () => {
  it("join by the page's invite, messages both ways, a tier-3 request approved from the page runs once, the timeline matches commons replay", async () => {
    const space = "browser-and-agent";
    const ada = await person(browser(), `${edge().http}/`);
    await createSpace(ada, edge().http, space, "Checkout outage");
    const url = await inviteFrom(ada, "agent");
    expect(await agent.ok(["join", url, "--name", "ops-bot"])).toMatch(new RegExp(`^joined ${space} as agent \\(ops-bot\\)`));

    // The agent's message reaches the page, named and marked as the sequencer commits it.
    await agent.ok(["post", space, "agent here: looking at the logs"]);
    await agent.ok(["sync", space]);
    const fromAgent = ada.page.locator("[data-testid=message]", { hasText: "agent here: looking at the logs" });
    await fromAgent.waitFor({ timeout: 30_000 });
    await expect.poll(() => fromAgent.getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);

    // The page's message reaches the agent's copy.
    await post(ada, "thanks, keep me posted");
    const adaLine = ada.page.locator("[data-testid=message]", { hasText: "thanks, keep me posted" });
    await expect.poll(() => adaLine.getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);
    const pastIndex = Number((await adaLine.getByTestId("status").textContent())!.replace("committed #", ""));
    await agent.ok(["sync", space]);
    expect(await agent.ok(["log", space, "--type", "channel.message"])).toContain("thanks, keep me posted");

    // A tier-3 request: an agent's HF work item waits for a human.
    const client = await mcp(space, (await agent.ok(["token", space])).trim());
    const asked = (await client.callTool({ name: "create_work_item", arguments: { title: "Roll back checkout", clock: "HF" } })) as { structuredContent: { status: string; approval: string } };
    expect(asked.structuredContent.status).toBe("pending_approval");
    const row = ada.page.locator(`[data-testid=approval][data-id="${asked.structuredContent.approval}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(JSON.parse((await row.getByTestId("approval-params").textContent())!)).toMatchObject({ title: "Roll back checkout", clock: "HF" });
    expect(await ada.page.locator("[data-testid=work-item]", { hasText: "Roll back checkout" }).count()).toBe(0);

    await row.getByRole("button", { name: "Approve" }).click();
    // Decided: the row leaves the attention list and the work item exists, once.
    await row.waitFor({ state: "detached", timeout: 30_000 });
    await ada.page.locator("[data-testid=work-item]", { hasText: "Roll back checkout" }).waitFor({ timeout: 30_000 });
    expect(await ada.page.locator("[data-testid=work-item]", { hasText: "Roll back checkout" }).count()).toBe(1);
    const channel = (await client.callTool({ name: "query_channel", arguments: { thread: asked.structuredContent.approval } })) as { structuredContent: { items: Array<{ body: { content?: string } }> } };
    expect(channel.structuredContent.items.filter((i) => i.body.content?.startsWith("✅"))).toHaveLength(1);
    // The tool host's report (a reply on the approval request) is in the page's channel, once.
    await ada.page.locator("[data-testid=message]", { hasText: "✅" }).first().waitFor({ timeout: 30_000 });
    expect(await ada.page.locator("[data-testid=message]", { hasText: "✅" }).count()).toBe(1);
    await client.close();

    // The timeline at a past commit: the same state the CLI node's `commons replay --at` folds.
    await agent.ok(["sync", space]);
    await ada.page.getByRole("button", { name: "Open timeline" }).click();
    const slider = ada.page.locator("input[name=at]");
    await slider.waitFor({ timeout: 30_000 });
    await slider.evaluate((el, value) => {
      (el as HTMLInputElement).value = String(value);
      el.dispatchEvent(new Event("input", { bubbles: true }));
    }, pastIndex);
    await expect.poll(() => ada.page.getByTestId("cut-index").textContent()).toContain(`#${pastIndex} of`);
    const replayed = JSON.parse(await agent.ok(["replay", space, "--at", String(pastIndex), "--json"])) as { view: unknown };
    const shown = JSON.parse((await ada.page.getByTestId("snapshot").textContent())!);
    expect(shown).toEqual(replayed.view);
    expect(JSON.stringify(shown)).not.toContain("Roll back checkout");
    // The README's picture of the app (docs/images/), taken when asked: COMMONS_SCREENSHOTS=1.
    if (process.env.COMMONS_SCREENSHOTS === "1") await ada.page.screenshot({ path: join(repoRoot, "docs/images/web-space.png"), fullPage: true });
    await ada.context.close();
    // Heavy: about a dozen CLI processes and two commit rounds on a shared 2-core machine.
  }, 300_000);
});
