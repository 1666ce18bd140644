/**
 * Stateless envelope verification: everything that can be checked from the envelope alone
 * (shape, type, size, space, hlc suffix, id, signature). Checks that need the replica's
 * state (chain, forks, deps) run in `replica.ts` inside its write transaction.
 *
 * Split in two steps so a replica can skip the expensive signature check for an envelope
 * it already holds: the id hashes every signed field, so an id match is a byte match with
 * an envelope that was verified when it first arrived.
 */
import { didSuffix, verifySignature } from "../identity/did.js";
import { decodeBase64url } from "../identity/encoding.js";
import type { SpaceId } from "../ids.js";
import type { RejectionCode } from "./codes.js";
import { envelopeIdOf, parseEnvelope, type ParsedEnvelope } from "./envelope.js";
import type { EnvelopeId } from "./ids.js";
import { inviteProofInput } from "./types/invite.js";

const utf8 = new TextEncoder();

export interface IdentifiedEnvelope extends ParsedEnvelope {
  id: EnvelopeId;
}

export type Rejection = { ok: false; code: RejectionCode; message: string; id?: EnvelopeId };
export type IdentifyResult = { ok: true; value: IdentifiedEnvelope } | Rejection;

/** Parses, checks the space and hlc suffix, computes the id and compares a claimed one. */
export async function identifyEnvelope(raw: unknown, space: SpaceId): Promise<IdentifyResult> {
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return parsed;
  const { envelope, claimedId, signedText } = parsed.value;
  if (envelope.space !== space) {
    return { ok: false, code: "envelope-wrong-space", message: `The envelope is for space "${envelope.space}", not "${space}".` };
  }
  if (!envelope.hlc.endsWith(didSuffix(envelope.author))) {
    return { ok: false, code: "envelope-malformed", message: "The hlc suffix is not the last 8 characters of the author's did." };
  }
  const id = await envelopeIdOf(signedText);
  if (claimedId !== undefined && claimedId !== id) {
    return { ok: false, code: "envelope-id-mismatch", message: `The envelope claims id ${claimedId} but hashes to ${id}.`, id };
  }
  return { ok: true, value: { ...parsed.value, id } };
}

/** Verifies the author's signature over the unsigned canonical text. */
export async function hasValidSignature(identified: IdentifiedEnvelope): Promise<boolean> {
  const signature = decodeBase64url(identified.envelope.sig);
  if (signature === null) return false;
  return verifySignature(identified.envelope.author, utf8.encode(identified.unsignedText), signature);
}

/** Every stateless check, in order. Never throws. */
export async function verifyEnvelope(raw: unknown, space: SpaceId): Promise<IdentifyResult> {
  const identified = await identifyEnvelope(raw, space);
  if (!identified.ok) return identified;
  if (!(await hasValidSignature(identified.value))) {
    return badSignature(identified.value.id);
  }
  return identified;
}

/** For a `member.joined`: the invite key's signature over (space, invite, joiner). True for every other type. */
export async function hasValidInviteProof(identified: IdentifiedEnvelope): Promise<boolean> {
  const { envelope } = identified;
  if (envelope.type !== "member.joined") return true;
  const proof = decodeBase64url(envelope.body.proof);
  if (proof === null) return false;
  return verifySignature(envelope.body.key, inviteProofInput(envelope.space, envelope.body.invite, envelope.author), proof);
}

export function badSignature(id: EnvelopeId): Rejection {
  return { ok: false, code: "envelope-bad-signature", message: "The signature does not verify with the author's did:key.", id };
}

export function badInviteProof(id: EnvelopeId): Rejection {
  return { ok: false, code: "envelope-bad-invite-proof", message: "The join's proof is not the invite key's signature over this space, invite and joiner.", id };
}
