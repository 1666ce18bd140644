/**
 * Signs a chain of envelopes for one author in a space, for tests that post them to the
 * edge: `write(type, body)` appends the next envelope to `envelopes` (wire form, with id).
 */
import type { Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import { createEnvelope, type WriterState } from "../../core/log/writer.js";

export function chainWriter(space: string, author: Signer) {
  const state: WriterState = { space: parseSpaceId(space), last: null, heads: [] };
  const envelopes: unknown[] = [];
  let now = Date.now();
  const write = async <T extends EnvelopeType>(type: T, body: BodyOf<T>): Promise<EnvelopeId> => {
    const { id, envelope } = await createEnvelope(author, state, type, body, now++);
    state.last = { seq: envelope.seq, id, hlc: envelope.hlc };
    envelopes.push({ ...envelope, id });
    return id;
  };
  return { envelopes, write, last: () => state.last };
}
