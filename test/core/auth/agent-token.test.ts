/**
 * Tokens that call an agent (aud commons:agent:<did>): a round trip, and the refusals that
 * keep them apart from space tokens — neither is ever accepted in the other's place — and
 * from delegation, which agents do not take yet.
 */
import { describe, expect, it } from "vitest";
import { issueAgentCapability, issueCapability, verifyAgentCapability, verifyCapability } from "../../../core/auth/capability.js";
import { encodeBase64url } from "../../../core/identity/encoding.js";
import { Ed25519Signer, jwkThumbprint } from "../../../core/identity/signer.js";
import { keys, seed, SPACE, T0 } from "../log/fixtures.js";

const refusal = (code: string, status: number) => expect.objectContaining({ name: "CommonsError", code, status });

async function forge(signer: Ed25519Signer, payload: object): Promise<string> {
  const enc = (value: object) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
  const input = `${enc({ alg: "EdDSA", typ: "JWT", kid: await jwkThumbprint(signer.did) })}.${enc(payload)}`;
  return `${input}.${encodeBase64url(await signer.sign(new TextEncoder().encode(input)))}`;
}

describe("agent tokens", () => {
  it("a self-issued token for the agent's did verifies to its caller and methods", async () => {
    const { alice } = await keys();
    const agent = await Ed25519Signer.fromSeed(seed(9));
    const token = await issueAgentCapability(alice, { agent: agent.did, methods: ["GetTask"], now: T0, ttlSeconds: 600 });
    expect(await verifyAgentCapability(token, { agent: agent.did, now: T0 + 1000 })).toMatchObject({ caller: alice.did, methods: ["GetTask"], expiresAt: T0 + 600_000 });
  });

  it("an agent token is never a space token, nor a space token an agent's", async () => {
    const { alice } = await keys();
    const agent = await Ed25519Signer.fromSeed(seed(9));
    const forAgent = await issueAgentCapability(alice, { agent: agent.did, now: T0 });
    const authority = { epoch: 0, memberEpoch: () => 0, isRevoked: () => false, roleOf: () => "owner" as const, grant: () => undefined };
    await expect(verifyCapability(forAgent, { space: SPACE, now: T0, authority })).rejects.toEqual(refusal("token-wrong-audience", 401));
    const forSpace = await issueCapability(alice, { sub: alice.did, space: SPACE, tools: ["*"], tier: 4, epoch: 0, now: T0 });
    await expect(verifyAgentCapability(forSpace, { agent: agent.did, now: T0 })).rejects.toEqual(refusal("token-wrong-audience", 401));
    const otherAgent = await Ed25519Signer.fromSeed(seed(10));
    await expect(verifyAgentCapability(forAgent, { agent: otherAgent.did, now: T0 })).rejects.toEqual(refusal("token-wrong-audience", 401));
  });

  it("refuses a token issued to someone else, or with a parent, and an audience of neither form", async () => {
    const { alice, bob } = await keys();
    const agent = await Ed25519Signer.fromSeed(seed(9));
    const claims = { iss: alice.did, sub: bob.did, aud: `commons:agent:${agent.did}`, jti: "jti-delegated-001", tools: ["*"], tier: 1, nbf: T0 / 1000, exp: T0 / 1000 + 60, iat: T0 / 1000, epoch: 0 };
    await expect(verifyAgentCapability(await forge(alice, claims), { agent: agent.did, now: T0 })).rejects.toEqual(refusal("token-cannot-grant", 403));
    const parent = await issueAgentCapability(alice, { agent: agent.did, now: T0 });
    const child = await forge(alice, { ...claims, sub: alice.did, parent });
    await expect(verifyAgentCapability(child, { agent: agent.did, now: T0 })).rejects.toEqual(refusal("token-cannot-grant", 403));
    const elsewhere = await forge(alice, { ...claims, sub: alice.did, aud: `commons:coalition:${agent.did}` });
    await expect(verifyAgentCapability(elsewhere, { agent: agent.did, now: T0 })).rejects.toEqual(refusal("token-malformed", 401));
  });
});
