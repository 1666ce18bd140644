/**
 * The LLM brain's door, inside workerd (this pool's edge has no COMMONS_LLM_URL): a join that
 * asks an agent to think with a model the edge does not have is refused `409
 * llm-not-configured`, saying what to set, before anything is written — the invite stays
 * unused, the agent is no member and not subscribed — and the same invite then works with
 * the rules brain.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { encodeInviteUrl } from "../../core/space/invite.js";
import { cardOf, didOf, edgeFetch, freshAgent } from "./agent-client.js";
import { call, openSpace } from "./socket-client.js";

describe("joining with the LLM brain on an edge without a model", () => {
  it("is refused with llm-not-configured and changes nothing; the rules brain then joins with the same invite", async () => {
    const s = await openSpace("llm-join");
    const name = freshAgent("llm-less");
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const key = await Ed25519Signer.fromSeed(seed);
    const [invite] = (await s.write("invite.created", { key: key.did, role: "agent", domains: ["ops"], expiresAt: new Date(Date.now() + 3_600_000).toISOString(), uses: 1, name })) as Array<{ id: EnvelopeId; status: string }>;
    const agentDid = didOf(await cardOf(name));
    const token = await issueAgentCapability(s.owner, { agent: agentDid });
    const join = (options: Record<string, unknown>) => edgeFetch(`http://edge.test/agents/${name}/spaces`, {
      method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ invite: encodeInviteUrl({ edge: "http://localhost", space: s.space as never, invite: invite!.id, seed }), options }),
    });
    const members = async () => ((await (await call(`/s/${s.space}/view`, { headers: { Authorization: `Bearer ${await s.token(s.owner)}` } })).json()) as { members: Array<{ did: string }> }).members.map((m) => m.did);
    const before = await members();

    const refused = await join({ brain: "llm" });
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("llm-not-configured");
    expect(body.error.message).toContain("COMMONS_LLM_URL");
    expect(await members()).toEqual(before);
    // The subscriber table is made by the first subscription: none, or none in it.
    const subscribers = await runInDurableObject(env.SPACES.get(env.SPACES.idFromName(s.space)), (_i, state) =>
      state.storage.sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'space_agents'`).toArray().length === 0
        ? []
        : state.storage.sql.exec(`SELECT name FROM space_agents`).toArray());
    expect(subscribers).toEqual([]);

    const joined = await join({ brain: "rules" });
    expect(joined.status, await joined.clone().text()).toBe(201);
    expect(await members()).toContain(agentDid);
  });
});
