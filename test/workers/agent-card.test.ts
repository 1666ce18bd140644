/**
 * The agent's card inside workerd, through the Worker's route: v1.0 fields, honest
 * capabilities, skills from its domains, signed by the key its did names — and that key is
 * the object's own, kept across an eviction.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DID_EXTENSION_URI, signatureKid, verifyAgentCard } from "../../core/a2a/card.js";
import { agentUrl, cardOf, didOf, edgeFetch, freshAgent } from "./agent-client.js";

const stubFor = (name: string) => env.AGENTS.get(env.AGENTS.idFromName(name));

describe("agent card", () => {
  it("is a v1.0 card: both bindings at the agent's URL, protocolVersion 1.0, honest capabilities", async () => {
    const name = freshAgent("card");
    const res = await edgeFetch(`${agentUrl(name)}/.well-known/agent-card.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("application/json");
    const card = (await res.json()) as Record<string, any>;
    expect(card.name).toBe(name);
    expect(card.supportedInterfaces).toEqual([
      { url: agentUrl(name), protocolBinding: "JSONRPC", protocolVersion: "1.0" },
      { url: agentUrl(name), protocolBinding: "HTTP+JSON", protocolVersion: "1.0" },
    ]);
    expect(card.capabilities).toMatchObject({ streaming: true, pushNotifications: false, extendedAgentCard: false });
    expect(card.capabilities.extensions).toEqual([expect.objectContaining({ uri: DID_EXTENSION_URI, required: false, params: { did: expect.stringMatching(/^did:key:z6Mk/) } })]);
    expect(card.securitySchemes["commons-capability"]).toEqual({ httpAuthSecurityScheme: expect.objectContaining({ scheme: "Bearer", bearerFormat: "JWT" }) });
    expect(card.defaultInputModes).toEqual(["text/plain"]);
    expect(card.skills).toEqual([expect.objectContaining({ id: "echo" })]);
  });

  it("is signed (JWS, EdDSA) by the key of the did it carries, and an altered card does not verify", async () => {
    const name = freshAgent("signed");
    const card = await cardOf(name);
    const did = didOf(card);
    expect(await verifyAgentCard(card)).toBe(did);
    const header = JSON.parse(atob(card.signatures[0].protected.replace(/-/g, "+").replace(/_/g, "/")));
    expect(header).toEqual({ alg: "EdDSA", typ: "JOSE", kid: signatureKid(did) });
    await expect(verifyAgentCard({ ...card, description: "someone else" })).rejects.toMatchObject({ code: "agent-card-unsigned" });
    const other = await cardOf(freshAgent("other"));
    await expect(verifyAgentCard({ ...card, signatures: other.signatures })).rejects.toMatchObject({ code: "agent-card-unsigned" });
  });

  it("lists one skill per domain once configured, and keeps its did across an eviction", async () => {
    const name = freshAgent("domains");
    const before = didOf(await cardOf(name));
    await stubFor(name).configure({ domains: ["ops", "certs"], description: "Keeps the certificates fresh." });
    await evictDurableObject(stubFor(name));
    const card = await cardOf(name);
    expect(didOf(card)).toBe(before);
    expect(card.description).toBe("Keeps the certificates fresh.");
    expect(card.skills.map((s: { id: string; tags: string[] }) => [s.id, s.tags])).toEqual([["ops", ["ops"]], ["certs", ["certs"]]]);
    expect(await verifyAgentCard(card)).toBe(before);
  });

  it("two agents are two objects with two dids", async () => {
    const [a, b] = await Promise.all([cardOf(freshAgent("a")), cardOf(freshAgent("b"))]);
    expect(didOf(a)).not.toBe(didOf(b));
  });

  it("refuses an invalid agent name at the Worker", async () => {
    for (const bad of ["Ops-Bot", "-x", "a%20b"]) {
      const res = await edgeFetch(`${agentUrl(bad)}/.well-known/agent-card.json`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid-agent-name" } });
    }
  });
});
