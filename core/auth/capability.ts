/**
 * Capability tokens: EdDSA-signed JWTs (compact JWS) that say what a caller may do in one
 * space, verified through `jose` with a key taken ONLY from the issuer's did:key. The same
 * tokens, self-issued with `aud` = commons:agent:<did>, authenticate callers of an agent
 * (verifyAgentCapability: steps 1–5 only, see there).
 *
 * Verification order (each step's refusal is a CommonsError; docs/AUTHORITY.md):
 *   1. shape: a string of three base64url parts, ≤ MAX_TOKEN_LENGTH  → token-malformed (401)
 *   2. header: alg exactly "EdDSA" → token-alg-not-allowed; jwk/jku/x5c/x5u/x5t present →
 *      token-embedded-key; crit, or typ other than "JWT" → token-malformed (401)
 *   3. claims: strict schema → token-malformed; a kid other than the thumbprint of iss's
 *      key → token-embedded-key (401)
 *   4. signature by iss's key (jose compactVerify, algorithms ["EdDSA"]) → token-bad-signature
 *   5. aud = commons:space:<space> (an agent's: commons:agent:<did>) → token-wrong-audience;
 *      nbf/iat/exp with CLOCK_SKEW_SECONDS → token-not-yet-valid / token-expired (401)
 *   6. the parent, if any, through 1–6 (depth ≤ MAX_CHAIN_DEPTH → else token-chain-too-deep),
 *      then linkage (child iss = parent sub, same aud) → token-chain-broken and narrowing →
 *      token-widened (403)
 *   7. the committed view, for every token in the chain: revoked → token-revoked; an epoch
 *      below the one at which its subject's or issuer's membership was last set →
 *      token-old-epoch, above the space's → token-epoch-ahead; the root issuer a member → token-not-member, and
 *      one who may grant when the chain ends with someone else → token-cannot-grant; in a
 *      chain with a budget every token recorded as a grant → token-grant-unrecorded (403)
 */
import { compactVerify, errors as joseErrors } from "jose";
import type { Did } from "../identity/did.js";
import { verificationKey } from "../identity/did.js";
import { decodeBase64url, encodeBase64url } from "../identity/encoding.js";
import { jwkThumbprint, type Signer } from "../identity/signer.js";
import type { BodyOf, Tier } from "../log/types/index.js";
import { GRANTING_ROLES, type CapabilityAuthority } from "./authority.js";
import { agentAudienceFor, audienceFor, capabilityClaimsSchema, CLOCK_SKEW_SECONDS, MAX_CHAIN_DEPTH, MAX_TOKEN_LENGTH, type CapabilityClaims } from "./claims.js";
import { tokenError } from "./errors.js";
import { widening, type Budget, type Scope } from "./narrowing.js";

/** What the issuer chooses; `iss` is the signer, times default from `now` (ms). */
export interface CapabilityInput {
  sub: Did;
  space: string;
  tools: string[];
  tier: Tier;
  epoch: number;
  budget?: Budget;
  jti?: string;
  /** Lifetime in seconds when `exp` is not given. Default 3600. */
  ttlSeconds?: number;
  nbf?: number;
  exp?: number;
  iat?: number;
  parent?: string;
  /** Issue time in ms. Default Date.now(). */
  now?: number;
}

/** Header fields that carry or point at a key: refused, the key comes from `iss` alone. */
const EMBEDDED_KEY_HEADERS = ["jwk", "jku", "x5c", "x5u", "x5t", "x5t#S256"] as const;

/** Signs a capability token with `signer` as its issuer. */
export async function issueCapability(signer: Signer, input: CapabilityInput): Promise<string> {
  const iat = input.iat ?? Math.floor((input.now ?? Date.now()) / 1000);
  const claims = {
    iss: signer.did, sub: input.sub, aud: audienceFor(input.space), jti: input.jti ?? randomJti(),
    tools: input.tools, tier: input.tier, ...(input.budget === undefined ? {} : { budget: input.budget }),
    nbf: input.nbf ?? iat, exp: input.exp ?? iat + (input.ttlSeconds ?? 3600), iat, epoch: input.epoch,
    ...(input.parent === undefined ? {} : { parent: input.parent }),
  };
  return signClaims(signer, claims);
}

/** Checks `claims` against the schema and signs them as a compact JWS with `signer`'s key. */
async function signClaims(signer: Signer, claims: unknown): Promise<string> {
  const parsed = capabilityClaimsSchema.safeParse(claims);
  if (!parsed.success) throw tokenError("token-malformed", `Cannot issue this token: ${parsed.error.issues[0]?.message ?? "invalid claims"}.`);
  const header = { alg: "EdDSA", typ: "JWT", kid: await jwkThumbprint(signer.did) };
  const input64 = `${encodeJson(header)}.${encodeJson(parsed.data)}`;
  const signature = await signer.sign(new TextEncoder().encode(input64));
  return `${input64}.${encodeBase64url(signature)}`;
}

export interface VerifyOptions {
  space: string;
  /** Verification time in ms. */
  now: number;
  authority: CapabilityAuthority;
  /**
   * Verifying a token in order to record it (the grant_authority tool): its own grant need
   * not be recorded yet; its parents' must.
   */
  recording?: boolean;
}

export interface VerifiedCapability {
  /** The caller: the leaf token's subject. */
  subject: Did;
  /** The leaf's issuer, and the root issuer whose membership backs the chain. */
  issuer: Did;
  root: Did;
  /** The leaf's jti: spends and revocations name it. */
  jti: string;
  tools: string[];
  tier: Tier;
  budget?: Budget;
  /** True when any token in the chain has a budget: every call must then spend from `jti`. */
  budgeted: boolean;
  /** Expiry of the leaf, ms. */
  expiresAt: number;
  /** The verified claims, leaf first. */
  chain: CapabilityClaims[];
}

/** Verifies a bearer capability token for `space`; throws a token-* CommonsError otherwise. */
export async function verifyCapability(token: string, options: VerifyOptions): Promise<VerifiedCapability> {
  const chain = await verifyChain(token, options, 1);
  const leaf = chain[0]!;
  const root = chain[chain.length - 1]!;
  checkAuthority(chain, options.authority, options.recording === true);
  return {
    subject: leaf.sub, issuer: leaf.iss, root: root.iss, jti: leaf.jti, tools: leaf.tools, tier: leaf.tier,
    ...(leaf.budget === undefined ? {} : { budget: leaf.budget }), budgeted: chain.some((claims) => claims.budget !== undefined),
    expiresAt: leaf.exp * 1000, chain,
  };
}

/** Steps 1–6: the token and its parents, cryptographically and structurally; leaf first. */
async function verifyChain(token: string, options: VerifyOptions, depth: number): Promise<CapabilityClaims[]> {
  const claims = await verifyOne(token, { audience: audienceFor(options.space), now: options.now });
  if (claims.parent === undefined) return [claims];
  if (depth >= MAX_CHAIN_DEPTH) {
    throw tokenError("token-chain-too-deep", `Delegation chains are at most ${MAX_CHAIN_DEPTH} tokens long: ask a holder nearer the root for a token.`);
  }
  const parents = await verifyChain(claims.parent, options, depth + 1);
  const parent = parents[0]!;
  if (claims.iss !== parent.sub || claims.aud !== parent.aud) {
    throw tokenError("token-chain-broken", `Token ${claims.jti} is signed by ${claims.iss}, but its parent was issued to ${parent.sub}: only a parent's subject can delegate it.`);
  }
  const widened = widening(scopeOf(claims), scopeOf(parent));
  if (widened !== null) {
    throw tokenError("token-widened", `Token ${claims.jti} widens its parent (${widened}); a delegation may only narrow tools, tier, budget and time: issue a narrower one.`);
  }
  return [claims, ...parents];
}

/** Steps 1–5 for one token, whose `aud` must be `audience`. */
async function verifyOne(token: string, { audience, now }: { audience: string; now: number }): Promise<CapabilityClaims> {
  const malformed = (why: string) => tokenError("token-malformed", `The capability token is malformed (${why}): send the compact JWS exactly as issued.`);
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) throw malformed(`not a string of at most ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split(".");
  if (parts.length !== 3) throw malformed("expected three dot-separated parts");
  const header = decodeJson(parts[0]!);
  if (header === null) throw malformed("the header is not base64url JSON");
  if (header.alg !== "EdDSA") {
    throw tokenError("token-alg-not-allowed", `Only EdDSA (Ed25519) tokens are accepted, not ${JSON.stringify(header.alg)}: issue the token with an Ed25519 key.`);
  }
  for (const field of EMBEDDED_KEY_HEADERS) {
    if (Object.hasOwn(header, field)) {
      throw tokenError("token-embedded-key", `The token header carries "${field}": the key is taken only from the issuer's did:key; remove it.`);
    }
  }
  if (Object.hasOwn(header, "crit") || (header.typ !== undefined && header.typ !== "JWT")) throw malformed("unsupported crit or typ header");
  const payload = decodeJson(parts[1]!);
  if (payload === null) throw malformed("the payload is not base64url JSON");
  const parsed = capabilityClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(`${issue?.path.join(".") || "claims"}: ${issue?.message ?? "invalid"}`);
  }
  const claims = parsed.data;
  if (header.kid !== undefined && header.kid !== (await jwkThumbprint(claims.iss))) {
    throw tokenError("token-embedded-key", "The token's kid names a key other than its issuer's did:key: the key comes only from iss.");
  }
  try {
    await compactVerify(token, await verificationKey(claims.iss), { algorithms: ["EdDSA"] });
  } catch (error) {
    if (error instanceof joseErrors.JOSEAlgNotAllowed) throw tokenError("token-alg-not-allowed", "Only EdDSA tokens are accepted.", error);
    throw tokenError("token-bad-signature", `The token's signature is not ${claims.iss}'s: it was altered or signed by another key; get a fresh token.`, error);
  }
  if (claims.aud !== audience) {
    throw tokenError("token-wrong-audience", `This token is for ${claims.aud}, not ${audience}: use a token issued for ${audience.startsWith("commons:agent:") ? "this agent (its did is on its card)" : "this space"}.`);
  }
  const seconds = now / 1000;
  if (claims.nbf > seconds + CLOCK_SKEW_SECONDS || claims.iat > seconds + CLOCK_SKEW_SECONDS) {
    throw tokenError("token-not-yet-valid", `Token ${claims.jti} is not valid before ${new Date(claims.nbf * 1000).toISOString()}: wait, or check the issuer's clock.`);
  }
  if (claims.exp <= seconds - CLOCK_SKEW_SECONDS) {
    throw tokenError("token-expired", `Token ${claims.jti} expired at ${new Date(claims.exp * 1000).toISOString()}: get a new one from its issuer.`);
  }
  return claims;
}

/** Step 7: what the committed view says about the chain. */
function checkAuthority(chain: CapabilityClaims[], authority: CapabilityAuthority, recording: boolean): void {
  for (const claims of chain) {
    if (authority.isRevoked(claims.jti)) {
      throw tokenError("token-revoked", `Token ${claims.jti}${claims === chain[0] ? "" : " (a parent of yours)"} was revoked: ask for a new grant.`);
    }
    // A token outlives other people's membership changes, not its own people's: it stops
    // when its subject's or its issuer's membership was set after it was issued.
    for (const who of [claims.sub, claims.iss]) {
      const since = authority.memberEpoch(who);
      if (since !== undefined && claims.epoch < since) {
        throw tokenError("token-old-epoch", `Token ${claims.jti} was issued at membership epoch ${claims.epoch}, before ${who === claims.sub ? "its subject's" : "its issuer's"} membership changed at epoch ${since}: re-issue it (the space is at ${authority.epoch}).`);
      }
    }
    if (claims.epoch > authority.epoch) {
      throw tokenError("token-epoch-ahead", `Token ${claims.jti} names membership epoch ${claims.epoch} but this replica has committed ${authority.epoch}: sync the replica, or re-issue against ${authority.epoch}.`);
    }
  }
  const leaf = chain[0]!;
  const root = chain[chain.length - 1]!;
  const role = authority.roleOf(root.iss);
  if (role === undefined) throw tokenError("token-not-member", `${root.iss}, who issued the root token, is not a member of this space: ask a member for a token.`);
  if (root.iss !== leaf.sub && !GRANTING_ROLES.has(role)) {
    throw tokenError("token-cannot-grant", `${root.iss} is a(n) ${role} and cannot grant authority to others: ask an owner or human member.`);
  }
  if (chain.some((claims) => claims.budget !== undefined)) {
    for (const claims of recording ? chain.slice(1) : chain) {
      const grant = authority.grant(claims.jti);
      if (grant === undefined || grant.issuer !== claims.iss || grant.subject !== claims.sub || grant.parent !== (chain[chain.indexOf(claims) + 1]?.jti)) {
        throw tokenError("token-grant-unrecorded", `Token ${claims.jti} has a budget in its chain but no matching committed authority.granted: record the grant (grant_authority) first.`);
      }
    }
  }
}

/**
 * Tokens that call an agent (A2A, docs/AGENTS.md): self-issued (iss = sub = the caller), so
 * the token proves the caller holds its did's key, with `aud` = commons:agent:<agent did>.
 * No space's membership backs them, so no chain and no step 7: `tier` is fixed at 1 and
 * `epoch` at 0 (they mean nothing to an agent); `tools` names the A2A methods allowed
 * (`SendMessage`, `GetTask`, …) or ["*"].
 */
export interface AgentCapabilityInput {
  /** The agent's did (from its signed card). */
  agent: Did;
  /** A2A method names, or ["*"] (the default). */
  methods?: string[];
  jti?: string;
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number;
  /** Issue time in ms. Default Date.now(). */
  now?: number;
}

export interface VerifiedAgentCapability {
  /** The caller: the token's issuer and subject. */
  caller: Did;
  jti: string;
  methods: string[];
  /** Expiry, ms. */
  expiresAt: number;
}

/** Signs a token with which `signer` calls the agent `input.agent`. */
export async function issueAgentCapability(signer: Signer, input: AgentCapabilityInput): Promise<string> {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const claims = {
    iss: signer.did, sub: signer.did, aud: agentAudienceFor(input.agent), jti: input.jti ?? randomJti(),
    tools: input.methods ?? ["*"], tier: 1, nbf: iat, exp: iat + (input.ttlSeconds ?? 3600), iat, epoch: 0,
  };
  return signClaims(signer, claims);
}

/** Verifies a bearer token for the agent whose did is `agent`; throws a token-* CommonsError otherwise. */
export async function verifyAgentCapability(token: string, { agent, now }: { agent: Did; now: number }): Promise<VerifiedAgentCapability> {
  const claims = await verifyOne(token, { audience: agentAudienceFor(agent), now });
  if (claims.parent !== undefined || claims.iss !== claims.sub) {
    throw tokenError("token-cannot-grant", `Tokens for an agent are self-issued (iss = sub, no parent): sign one with your own key (\`commons a2a token <agent-url>\`).`);
  }
  return { caller: claims.sub, jti: claims.jti, methods: claims.tools, expiresAt: claims.exp * 1000 };
}

/**
 * The `authority.granted` body that records a verified token (for the grant_authority
 * tool: the caller signs the token locally and passes it; the tool verifies it with
 * `recording: true`, checks its iss is the caller, and writes this body with `actor` = iss).
 */
export function grantBody(verified: VerifiedCapability): BodyOf<"authority.granted"> {
  const leaf = verified.chain[0]!;
  const parent = verified.chain[1]?.jti;
  return {
    jti: leaf.jti, subject: leaf.sub, tools: leaf.tools, tier: leaf.tier, ...(leaf.budget === undefined ? {} : { budget: leaf.budget }),
    expiresAt: new Date(leaf.exp * 1000).toISOString(), ...(parent === undefined ? {} : { parent }),
  };
}

function scopeOf(claims: CapabilityClaims): Scope {
  return { tools: claims.tools, tier: claims.tier, budget: claims.budget, notBefore: claims.nbf * 1000, expires: claims.exp * 1000 };
}

function encodeJson(value: unknown): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
}

/** A JSON object from base64url, or null. */
function decodeJson(part: string): Record<string, unknown> | null {
  const bytes = decodeBase64url(part);
  if (bytes === null) return null;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    // Not UTF-8 or not JSON: the caller reports "malformed".
    return null;
  }
}

/** 16 random bytes, base64url: 22 characters. */
export function randomJti(): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(16)));
}
