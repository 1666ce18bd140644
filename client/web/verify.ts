/**
 * The page checks what its edge sends before it shows anything as held or committed: the
 * same stateless checks every replica runs (core/log/verify.ts: shape, space, id, the
 * author's Ed25519 signature with WebCrypto, a join's invite proof). A same-origin edge is
 * not trusted for this: a second edge, a proxy or a cache in between can change bytes, and a
 * changed envelope would otherwise be drawn under a genuine commit receipt (receipts name ids).
 *
 * An envelope whose id the page already holds is identified (hashed) but its signature is
 * not checked again: the id hashes every signed field, so a match is the bytes verified
 * when it first arrived (the split core/log/verify.ts is made for).
 */
import type { SpaceId } from "../../core/ids.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { WireEnvelope } from "../../core/log/replica.js";
import { badInviteProof, badSignature, hasValidInviteProof, hasValidSignature, identifyEnvelope, type Rejection } from "../../core/log/verify.js";

export interface Unverified {
  /** The id the envelope claimed (what a receipt would name), if it had one. */
  id: string;
  code: Rejection["code"];
  message: string;
}

async function check(raw: WireEnvelope, space: SpaceId, held: ReadonlyMap<EnvelopeId, unknown>): Promise<Rejection | null> {
  const identified = await identifyEnvelope(raw, space);
  if (!identified.ok) return identified;
  const value = identified.value;
  if (held.has(value.id)) return null;
  if (!(await hasValidSignature(value))) return badSignature(value.id);
  if (!(await hasValidInviteProof(value))) return badInviteProof(value.id);
  return null;
}

/** Checks a batch (in parallel: WebCrypto works off the main thread); keeps the batch's order. */
export async function verifyBatch(space: string, batch: readonly WireEnvelope[], held: ReadonlyMap<EnvelopeId, unknown>): Promise<{ good: WireEnvelope[]; bad: Unverified[] }> {
  const results = await Promise.all(batch.map((envelope) => check(envelope, space as SpaceId, held)));
  const good: WireEnvelope[] = [];
  const bad: Unverified[] = [];
  results.forEach((rejection, i) => {
    const envelope = batch[i]!;
    if (rejection === null) good.push(envelope);
    else bad.push({ id: String((envelope as { id?: unknown }).id ?? rejection.id ?? "?"), code: rejection.code, message: rejection.message });
  });
  return { good, bad };
}
