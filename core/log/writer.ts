/**
 * The writer side: turns (signer, type, body) into a signed envelope at the tip of the
 * signer's chain. Pure apart from signing; `LogReplica.append` feeds it the replica's state
 * and serializes calls so an author never signs two envelopes with one seq.
 */
import { CommonsError } from "../errors.js";
import type { Signer } from "../identity/signer.js";
import type { SpaceId } from "../ids.js";
import { MAX_DEPS, signEnvelope, type EnvelopeOf, type UnsignedEnvelopeOf } from "./envelope.js";
import { nextHlc } from "./hlc.js";
import type { EnvelopeId } from "./ids.js";
import { ENVELOPE_BODY_SCHEMAS, type BodyOf, type EnvelopeType } from "./types/index.js";

export interface WriterState {
  space: SpaceId;
  /** The author's chain tip here, or null before its first envelope. */
  last: { seq: number; id: EnvelopeId; hlc: string } | null;
  /** Current heads by other authors, with their hlc stamps. */
  heads: { id: EnvelopeId; hlc: string }[];
}

/**
 * Builds and signs the next envelope by `signer`: seq and prev from its tip, deps from the
 * heads of others (the newest {@link MAX_DEPS} if there are more), an hlc after all of them.
 * The body is validated first, so a writer bug fails here, not at every replica.
 */
export async function createEnvelope<T extends EnvelopeType>(
  signer: Signer,
  state: WriterState,
  type: T,
  body: BodyOf<T>,
  now: number,
): Promise<{ id: EnvelopeId; envelope: EnvelopeOf<T> }> {
  const checked = ENVELOPE_BODY_SCHEMAS[type].safeParse(body);
  if (!checked.success) {
    throw new CommonsError("envelope-malformed", `Invalid ${type} body: ${checked.error.issues[0]?.message ?? "schema violation"}.`);
  }
  const cited = [...state.heads].sort((a, b) => (a.hlc < b.hlc ? 1 : a.hlc > b.hlc ? -1 : 0)).slice(0, MAX_DEPS);
  const seen = cited.map((head) => head.hlc);
  if (state.last !== null) seen.push(state.last.hlc);
  const unsigned = {
    space: state.space,
    author: signer.did,
    seq: (state.last?.seq ?? 0) + 1,
    prev: state.last?.id ?? null,
    deps: cited.map((head) => head.id).sort(),
    hlc: nextHlc(signer.did, now, seen),
    type,
    body,
  } as UnsignedEnvelopeOf<T>;
  return signEnvelope(signer, unsigned);
}
