/**
 * Capability tokens, frozen: a fixed Ed25519 key, fixed claims and fixed times give a fixed
 * compact JWS (Ed25519 signatures are deterministic), written here as literals so that any
 * change to the header, the claims' names or order, their encoding or the signing input is
 * a visible diff. Tokens outlive the code that issued them (nodes mint, edges verify, across
 * versions); a change here breaks every token in the field.
 */
import { describe, expect, it } from "vitest";
import type { CapabilityAuthority } from "../../../core/auth/authority.js";
import { issueCapability, verifyCapability } from "../../../core/auth/capability.js";
import type { Did } from "../../../core/identity/did.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { Role } from "../../../core/log/ids.js";
import { seed } from "../log/fixtures.js";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((byte) => parseInt(byte, 16)));
/** RFC 8032 §7.1 test 1: its JWK thumbprint, the `kid` below, is RFC 8037 appendix A.3's. */
const RFC8032_SEED = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
/** 2026-01-01T00:00:00Z, in JWT seconds. */
const IAT = 1_767_225_600;
const SPACE = "golden";

const ALICE = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";
const BOB = "did:key:z6Mko9hTggMwjSTEaJaPUfE6tqcy2xvU6BnNq3e3o8qVBiyH";
const CAROL = "did:key:z6MkvRXNYcE7MMduynWTgeKbDaT1iijDSC8pZqXZc8rHPrf2";

async function cast() {
  const alice = await Ed25519Signer.fromSeed(RFC8032_SEED);
  const bob = await Ed25519Signer.fromSeed(seed(2));
  const carol = await Ed25519Signer.fromSeed(seed(3));
  expect([alice.did, bob.did, carol.did]).toEqual([ALICE, BOB, CAROL]);
  return { alice, bob, carol };
}

/** alice owns the space, bob is a human, carol an agent; the delegation's grants are recorded. */
const ROLES: Record<string, Role> = { [ALICE]: "owner", [BOB]: "human", [CAROL]: "agent" };
const GRANTS: Record<string, { issuer: Did; subject: Did; parent?: string }> = {
  "golden-parent-01": { issuer: ALICE as Did, subject: BOB as Did },
  "golden-child-001": { issuer: BOB as Did, subject: CAROL as Did, parent: "golden-parent-01" },
};
const AUTHORITY: CapabilityAuthority = {
  epoch: 1,
  memberEpoch: (did) => (ROLES[did] ? 1 : undefined),
  isRevoked: () => false,
  roleOf: (did) => ROLES[did],
  grant: (jti) => GRANTS[jti],
};
const verify = (token: string) => verifyCapability(token, { space: SPACE, now: (IAT + 120) * 1000, authority: AUTHORITY });

const text = (part: string) => Buffer.from(part, "base64url").toString("utf8");
const b64url = (value: string) => Buffer.from(value, "utf8").toString("base64url");

const ALICE_HEADER = '{"alg":"EdDSA","typ":"JWT","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}';

/** alice's self-issued token: every tool, tier 4, no budget, the default one-hour lifetime. */
const SELF =
  "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWeno3VHhIQ1R3WEJ5Z3JTNGsifQ." +
  "eyJpc3MiOiJkaWQ6a2V5Ono2TWt0d3VwZG1MWFZWcVR6Q3c0aTQ2cjR1R3lvc0dYUm5SM1hqTjRacTdvTU1zdyIsInN1YiI6ImRpZDprZXk6ejZN" +
  "a3R3dXBkbUxYVlZxVHpDdzRpNDZyNHVHeW9zR1hSblIzWGpONFpxN29NTXN3IiwiYXVkIjoiY29tbW9uczpzcGFjZTpnb2xkZW4iLCJqdGkiOiJn" +
  "b2xkZW4tc2VsZi0wMDAxIiwidG9vbHMiOlsiKiJdLCJ0aWVyIjo0LCJuYmYiOjE3NjcyMjU2MDAsImV4cCI6MTc2NzIyOTIwMCwiaWF0IjoxNzY3" +
  "MjI1NjAwLCJlcG9jaCI6MX0." +
  "_cST9bNbFDnQbFq9JNmFdD52I_GmTVpxge0OiT3PavVcDs17PAVLTuqT2Eqj-DivedRsiOjZfWKbWRnmgO-8Cg";

/** alice → bob: two tools, tier 3, a budget of 5 calls and 50 units. */
const PARENT =
  "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6ImtQcktfcW14VldhWVZBOXd3QkY2SXVvM3ZWeno3VHhIQ1R3WEJ5Z3JTNGsifQ." +
  "eyJpc3MiOiJkaWQ6a2V5Ono2TWt0d3VwZG1MWFZWcVR6Q3c0aTQ2cjR1R3lvc0dYUm5SM1hqTjRacTdvTU1zdyIsInN1YiI6ImRpZDprZXk6ejZN" +
  "a285aFRnZ013alNURWFKYVBVZkU2dHFjeTJ4dlU2Qm5OcTNlM284cVZCaXlIIiwiYXVkIjoiY29tbW9uczpzcGFjZTpnb2xkZW4iLCJqdGkiOiJn" +
  "b2xkZW4tcGFyZW50LTAxIiwidG9vbHMiOlsicG9zdF9tZXNzYWdlIiwiY3JlYXRlX3dvcmtfaXRlbSJdLCJ0aWVyIjozLCJidWRnZXQiOnsiY2Fs" +
  "bHMiOjUsInVuaXRzIjo1MH0sIm5iZiI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjI5MjAwLCJpYXQiOjE3NjcyMjU2MDAsImVwb2NoIjoxfQ." +
  "YZawDTOQY0CiopA3uRajRzu8H5RIEdLuWKjZi4r-21Xr8pJflGc1374D36woSa-IqcNYztEnzrGWh2bTF2J6Aw";

/**
 * bob → carol under PARENT: one tool, tier 1, 2 calls and 20 units (a child must limit what
 * its parent limits), a shorter window. Its payload embeds PARENT, so it is written as parts.
 */
const CHILD_HEADER = '{"alg":"EdDSA","typ":"JWT","kid":"aVBtapLd11SUVKIMGJfPzOEDuN0sXcmzJQNVT-_sKEU"}';
const CHILD_CLAIMS =
  `{"iss":"${BOB}","sub":"${CAROL}","aud":"commons:space:golden","jti":"golden-child-001","tools":["post_message"],` +
  `"tier":1,"budget":{"calls":2,"units":20},"nbf":1767225660,"exp":1767227400,"iat":1767225660,"epoch":1,"parent":"${PARENT}"}`;
const CHILD_SIG = "MnaThNM7v6kgp0aYTDa_nOf1HuNUs9ZR2NE_bN6DwpO49YBhELqCiKY6ZeroqIkhATqyd1B1MceL6npWbLlwCA";

describe("capability tokens (golden vectors)", () => {
  it("a self-issued token is a fixed compact JWS", async () => {
    const { alice } = await cast();
    const token = await issueCapability(alice, { sub: alice.did, space: SPACE, tools: ["*"], tier: 4, epoch: 1, jti: "golden-self-0001", iat: IAT });
    expect(token).toBe(SELF);
    const [header, claims] = token.split(".") as [string, string, string];
    expect(text(header)).toBe(ALICE_HEADER);
    expect(text(claims)).toBe(
      `{"iss":"${ALICE}","sub":"${ALICE}","aud":"commons:space:golden","jti":"golden-self-0001","tools":["*"],"tier":4,` +
        '"nbf":1767225600,"exp":1767229200,"iat":1767225600,"epoch":1}',
    );
  });

  it("a delegation with budgets: the parent and the child are fixed too", async () => {
    const { alice, bob, carol } = await cast();
    const parent = await issueCapability(alice, {
      sub: bob.did, space: SPACE, tools: ["post_message", "create_work_item"], tier: 3, epoch: 1, jti: "golden-parent-01", iat: IAT, budget: { calls: 5, units: 50 },
    });
    expect(parent).toBe(PARENT);
    const child = await issueCapability(bob, {
      sub: carol.did, space: SPACE, tools: ["post_message"], tier: 1, epoch: 1, jti: "golden-child-001", iat: IAT + 60, exp: IAT + 1800, budget: { calls: 2, units: 20 }, parent,
    });
    expect(child).toBe(`${b64url(CHILD_HEADER)}.${b64url(CHILD_CLAIMS)}.${CHILD_SIG}`);
  });

  it("verifyCapability accepts the frozen tokens", async () => {
    expect(await verify(SELF)).toMatchObject({
      subject: ALICE, issuer: ALICE, root: ALICE, jti: "golden-self-0001", tools: ["*"], tier: 4, budgeted: false, expiresAt: (IAT + 3600) * 1000,
    });
    const child = `${b64url(CHILD_HEADER)}.${b64url(CHILD_CLAIMS)}.${CHILD_SIG}`;
    const verified = await verify(child);
    expect(verified).toMatchObject({
      subject: CAROL, issuer: BOB, root: ALICE, jti: "golden-child-001", tools: ["post_message"], tier: 1, budget: { calls: 2, units: 20 }, budgeted: true, expiresAt: (IAT + 1800) * 1000,
    });
    expect(verified.chain.map((claims) => claims.jti)).toEqual(["golden-child-001", "golden-parent-01"]);
  });
});
