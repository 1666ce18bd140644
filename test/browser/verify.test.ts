/**
 * The page verifies what its edge sends and keeps a copy of it, on one socket. A proxy
 * between the page and the edge (Playwright's WebSocket route: the page's real socket to the
 * real edge, each frame passed through Node) rewrites two channel messages in flight, as a
 * compromised second edge or a TLS-terminating proxy could: one keeps its claimed id, the
 * other drops it (so only the signature can catch it). Neither may be shown, let alone as
 * committed under the sequencer's genuine receipt; the page names both refusal codes. A
 * reload reads the page's IndexedDB copy and the edge sends only what the copy lacks (the
 * author's chain from the first refused envelope), which now arrives intact.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { useEdge } from "../support/edge.js";
import { createSpace, inviteFrom, joinWith, person, post, synced, useBrowser } from "./browser.js";

const edge = useEdge();
const browser = useBrowser();

const LOG_FRAME = 100;
type Envelope = { id?: string; type: string; body: { content?: string } };

/** The log message in a binary frame from the edge, or null for a Yjs frame. */
function logMessage(bytes: Buffer): { t: string; envelopes?: Envelope[] } | null {
  const decoder = decoding.createDecoder(new Uint8Array(bytes));
  if (decoding.readVarUint(decoder) !== LOG_FRAME) return null;
  return JSON.parse(decoding.readVarString(decoder)) as { t: string; envelopes?: Envelope[] };
}
function logFrame(message: unknown): Buffer {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, LOG_FRAME);
  encoding.writeVarString(encoder, JSON.stringify(message));
  return Buffer.from(encoding.toUint8Array(encoder));
}

describe("the page verifies what it receives, keeps a copy, and uses one socket", () => {
  it("envelopes changed in flight are never shown; a reload fetches only what its copy lacks", { timeout: 240_000 }, async () => {
    const space = "verified-space";
    const ada = await person(browser(), `${edge().http}/`);
    await createSpace(ada, edge().http, space);
    const url = await inviteFrom(ada);

    const bo = await person(browser(), `${edge().http}/`);
    let tamper = true;
    const sockets: Array<{ envelopes: Envelope[] }> = [];
    await bo.page.routeWebSocket(new RegExp(`/s/${space}\\?`), (route) => {
      const seen = { envelopes: [] as Envelope[] };
      sockets.push(seen);
      const server = route.connectToServer();
      server.onMessage((data) => {
        const message = typeof data === "string" ? null : logMessage(data);
        if (message?.t !== "log.batch") return route.send(data);
        seen.envelopes.push(...message.envelopes!);
        if (!tamper) return route.send(data);
        for (const envelope of message.envelopes!) {
          const content = envelope.body.content ?? "";
          if (envelope.type !== "channel.message" || !content.startsWith("TAMPER")) continue;
          envelope.body.content = content.replace(/pay \d+ to \w+/, "pay 10000 to mallory");
          if (content.includes("strip-id")) delete envelope.id;
        }
        route.send(logFrame(message));
      });
    });
    await joinWith(bo, url, "Bo");

    await post(ada, "before the attack");
    await post(ada, "TAMPER keep-id: pay 10 to alice");
    await post(ada, "TAMPER strip-id: pay 20 to bob");
    await post(ada, "after the attack");
    const after = bo.page.locator("[data-testid=message]", { hasText: "after the attack" });
    await expect.poll(() => after.getByTestId("status").textContent(), { timeout: 60_000 }).toMatch(/^committed #\d+$/);
    await expect.poll(() => bo.page.getByTestId("unverified").textContent(), { timeout: 30_000 }).toContain("envelope-id-mismatch");
    expect(await bo.page.getByTestId("unverified").textContent()).toContain("envelope-bad-signature");
    const channel = bo.page.getByTestId("channel");
    expect(await channel.textContent()).not.toContain("mallory");
    expect(await channel.textContent()).not.toContain("TAMPER");
    expect(await bo.page.locator("[data-testid=message]", { hasText: "before the attack" }).getByTestId("status").textContent()).toMatch(/^committed #\d+$/);

    // Reload without the attacker: the copy answers for everything verified; the edge sends
    // Ada's chain from the first refused envelope (three), nothing else.
    tamper = false;
    await bo.page.reload();
    await synced(bo);
    const resent = sockets.at(-1)!.envelopes;
    expect(resent.map((e) => e.body.content)).toEqual(["TAMPER keep-id: pay 10 to alice", "TAMPER strip-id: pay 20 to bob", "after the attack"]);
    expect(sockets[0]!.envelopes.length).toBeGreaterThan(resent.length);
    const genuine = bo.page.locator("[data-testid=message]", { hasText: "TAMPER keep-id: pay 10 to alice" });
    await expect.poll(() => genuine.getByTestId("status").textContent(), { timeout: 30_000 }).toMatch(/^committed #\d+$/);
    await bo.page.locator("[data-testid=message]", { hasText: "before the attack" }).waitFor();
    expect(await bo.page.getByTestId("unverified").count()).toBe(0);

    // One socket per page load carried the log and the document: presence still works on it.
    expect(sockets.length).toBe(2);
    await ada.page.locator("[data-testid=participant]", { hasText: "Bo" }).waitFor({ timeout: 30_000 });
    await ada.context.close();
    await bo.context.close();
  });
});
