/**
 * Capability tokens: issue/verify round trips, delegation chains of depth 1–3, and every
 * attack the verifier must refuse, each with its stable code and HTTP status.
 */
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { CapabilityAuthority } from "../../../core/auth/authority.js";
import { issueCapability, verifyCapability, type CapabilityInput } from "../../../core/auth/capability.js";
import { CLOCK_SKEW_SECONDS } from "../../../core/auth/claims.js";
import type { Did } from "../../../core/identity/did.js";
import { decodeBase64url, encodeBase64url } from "../../../core/identity/encoding.js";
import { Ed25519Signer, publicJwkFromDid } from "../../../core/identity/signer.js";
import type { Role } from "../../../core/log/ids.js";
import { keys, seed, SPACE, T0 } from "../log/fixtures.js";

const NOW = T0;
const EPOCH = 3;
const people = async () => {
  const cast = await keys();
  return { ...cast, dave: await Ed25519Signer.fromSeed(seed(5)), erin: await Ed25519Signer.fromSeed(seed(6)), mallory: await Ed25519Signer.fromSeed(seed(7)) };
};

function authority(roles: Record<string, Role>, over: Partial<CapabilityAuthority> = {}): CapabilityAuthority {
  // Every member's membership was last set at EPOCH, unless a test says otherwise.
  return { epoch: EPOCH, memberEpoch: (did) => (roles[did] ? EPOCH : undefined), isRevoked: () => false, roleOf: (did) => roles[did], grant: () => undefined, ...over };
}

async function setup() {
  const p = await people();
  const roles = { [p.alice.did]: "owner", [p.bob.did]: "human", [p.carol.did]: "agent" } as Record<string, Role>;
  const base = (sub: Did, extra: Partial<CapabilityInput> = {}): CapabilityInput => ({
    sub, space: SPACE, tools: ["*"], tier: 4, epoch: EPOCH, now: NOW, jti: `jti-${sub.slice(-8)}-${extra.tier ?? 4}`, ...extra,
  });
  const verify = (token: string, over: Partial<CapabilityAuthority> = {}, now = NOW) =>
    verifyCapability(token, { space: SPACE, now, authority: authority(roles, over) });
  return { ...p, roles, base, verify };
}

const refusal = (code: string, status: number) => expect.objectContaining({ name: "CommonsError", code, status });

/** Re-signs arbitrary header and payload with `signer` (for hostile tokens). */
async function forge(signer: Ed25519Signer, header: object, payload: object): Promise<string> {
  const enc = (value: object) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${encodeBase64url(await signer.sign(new TextEncoder().encode(input)))}`;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(token.split(".")[1]!)!)) as Record<string, unknown>;
}

describe("issue and verify", () => {
  it("a member's self-issued token authenticates it", async () => {
    const { carol, base, verify } = await setup();
    const token = await issueCapability(carol, base(carol.did, { tools: ["post_message"], tier: 2 }));
    const verified = await verify(token);
    expect(verified).toMatchObject({ subject: carol.did, issuer: carol.did, root: carol.did, tools: ["post_message"], tier: 2, budgeted: false });
    expect(verified.chain).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(decodeBase64url(token.split(".")[0]!)!))).toMatchObject({ alg: "EdDSA", typ: "JWT" });
  });

  it("a chain of depth 2 and of depth 3 verifies, narrowing at each step", async () => {
    const { alice, carol, dave, erin, base, verify } = await setup();
    const root = await issueCapability(alice, base(carol.did, { tools: ["post_message", "create_work_item"], tier: 3, budget: { calls: 10 } }));
    const child = await issueCapability(carol, base(dave.did, { tools: ["post_message"], tier: 2, budget: { calls: 5 }, parent: root }));
    const grandchild = await issueCapability(dave, base(erin.did, { tools: ["post_message"], tier: 1, budget: { calls: 2, units: 1 }, parent: child }));
    const grants = new Map([root, child, grandchild].map((token, i, all) => {
      const c = claimsOf(token);
      return [c.jti as string, { issuer: c.iss as Did, subject: c.sub as Did, parent: i === 0 ? undefined : (claimsOf(all[i - 1]!).jti as string) }];
    }));
    const depth2 = await verify(child, { grant: (jti) => grants.get(jti) });
    expect(depth2).toMatchObject({ subject: dave.did, issuer: carol.did, root: alice.did, tier: 2, budgeted: true });
    const depth3 = await verify(grandchild, { grant: (jti) => grants.get(jti) });
    expect(depth3).toMatchObject({ subject: erin.did, issuer: dave.did, root: alice.did, tools: ["post_message"], tier: 1, budget: { calls: 2, units: 1 } });
    expect(depth3.chain.map((c) => c.sub)).toEqual([erin.did, dave.did, carol.did]);
  });

  it("a chain of depth 4 is too deep", async () => {
    const { alice, bob, carol, dave, erin, base, verify } = await setup();
    let token = await issueCapability(alice, base(bob.did));
    for (const [from, to] of [[bob, carol], [carol, dave], [dave, erin]] as const) {
      token = await issueCapability(from, base(to.did, { parent: token }));
    }
    await expect(verify(token)).rejects.toEqual(refusal("token-chain-too-deep", 403));
  });
});

describe("attacks (401: not authenticated)", () => {
  it("refuses alg none", async () => {
    const { alice, base, verify } = await setup();
    const claims = claimsOf(await issueCapability(alice, base(alice.did)));
    const enc = (value: object) => encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
    await expect(verify(`${enc({ alg: "none", typ: "JWT" })}.${enc(claims)}.`)).rejects.toEqual(refusal("token-alg-not-allowed", 401));
  });

  it("refuses HS256 signed with the issuer's public key as the HMAC secret", async () => {
    const { alice, base, verify } = await setup();
    const claims = claimsOf(await issueCapability(alice, base(alice.did)));
    const rawKey = decodeBase64url(publicJwkFromDid(alice.did).x)!;
    for (const secret of [rawKey, new TextEncoder().encode(publicJwkFromDid(alice.did).x), new TextEncoder().encode(alice.did)]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
      await expect(verify(token)).rejects.toEqual(refusal("token-alg-not-allowed", 401));
    }
  });

  it("refuses other asymmetric algorithms and the fully-specified Ed25519 name", async () => {
    const { alice, base, verify } = await setup();
    const claims = claimsOf(await issueCapability(alice, base(alice.did)));
    for (const alg of ["RS256", "ES256", "PS256", "Ed25519", "eddsa"]) {
      await expect(verify(await forge(alice, { alg, typ: "JWT" }, claims))).rejects.toEqual(refusal("token-alg-not-allowed", 401));
    }
  });

  it("refuses a key embedded in or pointed at by the header", async () => {
    const { alice, mallory, base, verify } = await setup();
    const claims = claimsOf(await issueCapability(alice, base(alice.did)));
    const headers = [
      { alg: "EdDSA", jwk: publicJwkFromDid(mallory.did) },
      { alg: "EdDSA", jku: "https://evil.example/keys.json" },
      { alg: "EdDSA", x5c: ["MIIB"] },
      { alg: "EdDSA", x5u: "https://evil.example/cert.pem" },
      { alg: "EdDSA", kid: "mallory-key" },
    ];
    for (const header of headers) {
      await expect(verify(await forge(mallory, header, claims))).rejects.toEqual(refusal("token-embedded-key", 401));
    }
  });

  it("refuses a signature by any key but iss's, and tampered claims", async () => {
    const { alice, mallory, base, verify } = await setup();
    const token = await issueCapability(alice, base(alice.did, { tier: 1 }));
    await expect(verify(await forge(mallory, { alg: "EdDSA", typ: "JWT" }, claimsOf(token)))).rejects.toEqual(refusal("token-bad-signature", 401));
    const [header, , sig] = token.split(".");
    const widened = encodeBase64url(new TextEncoder().encode(JSON.stringify({ ...claimsOf(token), tier: 4 })));
    await expect(verify(`${header}.${widened}.${sig}`)).rejects.toEqual(refusal("token-bad-signature", 401));
  });

  it("refuses a token for another space", async () => {
    const { alice, base, verify } = await setup();
    const token = await issueCapability(alice, { ...base(alice.did), space: "incident-43" });
    await expect(verify(token)).rejects.toEqual(refusal("token-wrong-audience", 401));
  });

  it("refuses expired and not-yet-valid tokens, allowing the documented skew", async () => {
    const { alice, base, verify } = await setup();
    const iat = Math.floor(NOW / 1000);
    const expired = await issueCapability(alice, base(alice.did, { iat: iat - 100, nbf: iat - 100, exp: iat - CLOCK_SKEW_SECONDS - 1 }));
    await expect(verify(expired)).rejects.toEqual(refusal("token-expired", 401));
    const justExpired = await issueCapability(alice, base(alice.did, { iat: iat - 100, nbf: iat - 100, exp: iat - CLOCK_SKEW_SECONDS + 5 }));
    await expect(verify(justExpired)).resolves.toMatchObject({ subject: alice.did });
    const future = await issueCapability(alice, base(alice.did, { nbf: iat + CLOCK_SKEW_SECONDS + 10, exp: iat + 3600 }));
    await expect(verify(future)).rejects.toEqual(refusal("token-not-yet-valid", 401));
    const slightlyAhead = await issueCapability(alice, base(alice.did, { iat: iat + 10, nbf: iat + 10, exp: iat + 3600 }));
    await expect(verify(slightlyAhead)).resolves.toMatchObject({ subject: alice.did });
  });

  it("refuses malformed tokens and unknown claims", async () => {
    const { alice, base, verify } = await setup();
    const claims = claimsOf(await issueCapability(alice, base(alice.did)));
    for (const token of ["", "a.b", "a.b.c.d", "!!!.###.$$$", "x".repeat(20_000)]) {
      await expect(verify(token)).rejects.toEqual(refusal("token-malformed", 401));
    }
    await expect(verify(await forge(alice, { alg: "EdDSA" }, { ...claims, admin: true }))).rejects.toEqual(refusal("token-malformed", 401));
    await expect(verify(await forge(alice, { alg: "EdDSA", crit: ["b64"], b64: false }, claims))).rejects.toEqual(refusal("token-malformed", 401));
  });
});

describe("delegation and the committed view (403: not allowed)", () => {
  it("refuses a child that widens its parent's tools, tier, budget or time", async () => {
    const { alice, carol, dave, base, verify } = await setup();
    const iat = Math.floor(NOW / 1000);
    const parent = await issueCapability(alice, base(carol.did, { tools: ["post_message"], tier: 2, budget: { calls: 5 }, nbf: iat, exp: iat + 600 }));
    const narrow = { tools: ["post_message"], tier: 2 as const, budget: { calls: 5 }, nbf: iat, exp: iat + 600, parent };
    const widenings: Partial<CapabilityInput>[] = [
      { tools: ["post_message", "grant_authority"] }, { tools: ["*"] }, { tier: 3 }, { budget: { calls: 6 } }, { budget: { units: 1 } },
      { exp: iat + 601 }, { nbf: iat - 1 },
    ];
    for (const widen of widenings) {
      const child = await issueCapability(carol, base(dave.did, { ...narrow, ...widen }));
      await expect(verify(child)).rejects.toEqual(refusal("token-widened", 403));
    }
  });

  it("refuses a child not signed by its parent's subject", async () => {
    const { alice, carol, dave, mallory, base, verify } = await setup();
    const parent = await issueCapability(alice, base(carol.did));
    await expect(verify(await issueCapability(mallory, base(dave.did, { parent })))).rejects.toEqual(refusal("token-chain-broken", 403));
  });

  it("refuses a revoked token and every token beneath a revoked parent", async () => {
    const { alice, carol, dave, base, verify } = await setup();
    const parent = await issueCapability(alice, base(carol.did, { jti: "parent-jti-1" }));
    const child = await issueCapability(carol, base(dave.did, { jti: "child-jti-1", parent }));
    await expect(verify(parent, { isRevoked: (jti) => jti === "parent-jti-1" })).rejects.toEqual(refusal("token-revoked", 403));
    await expect(verify(child, { isRevoked: (jti) => jti === "parent-jti-1" })).rejects.toEqual(refusal("token-revoked", 403));
    await expect(verify(child, { isRevoked: (jti) => jti === "child-jti-1" })).rejects.toEqual(refusal("token-revoked", 403));
    await expect(verify(child)).resolves.toMatchObject({ subject: dave.did });
  });

  it("refuses a token from an older (or unknown newer) membership epoch", async () => {
    const { alice, base, verify } = await setup();
    await expect(verify(await issueCapability(alice, base(alice.did, { epoch: EPOCH - 1 })))).rejects.toEqual(refusal("token-old-epoch", 403));
    await expect(verify(await issueCapability(alice, base(alice.did, { epoch: EPOCH + 1 })))).rejects.toEqual(refusal("token-epoch-ahead", 403));
  });

  it("the root issuer must be a member, and one who may grant when it gives the token away", async () => {
    const { carol, dave, mallory, base, verify } = await setup();
    await expect(verify(await issueCapability(mallory, base(mallory.did)))).rejects.toEqual(refusal("token-not-member", 403));
    await expect(verify(await issueCapability(carol, base(dave.did)))).rejects.toEqual(refusal("token-cannot-grant", 403));
    const selfRoot = await issueCapability(carol, base(carol.did));
    await expect(verify(await issueCapability(carol, base(dave.did, { parent: selfRoot })))).rejects.toEqual(refusal("token-cannot-grant", 403));
  });

  it("a budgeted chain must be recorded as grants in the committed view", async () => {
    const { alice, carol, base, verify } = await setup();
    const token = await issueCapability(alice, base(carol.did, { budget: { calls: 3 }, jti: "budgeted-jti-1" }));
    await expect(verify(token)).rejects.toEqual(refusal("token-grant-unrecorded", 403));
    const recorded = { issuer: alice.did, subject: carol.did };
    await expect(verify(token, { grant: (jti) => (jti === "budgeted-jti-1" ? recorded : undefined) })).resolves.toMatchObject({ budgeted: true, jti: "budgeted-jti-1" });
    const wrongSubject = { issuer: alice.did, subject: alice.did };
    await expect(verify(token, { grant: () => wrongSubject })).rejects.toEqual(refusal("token-grant-unrecorded", 403));
  });
});
