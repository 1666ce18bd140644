/**
 * Stable rejection codes for envelopes a replica refuses, with what the sender should do.
 * These strings cross the wire (ingest results, HTTP bodies) and are documented in
 * docs/SIGNED-LOG.md: never rename one.
 */
export const REJECTION_CODES = {
  "envelope-malformed": "The envelope or its body does not match the schema: fix the writer; resending will not help.",
  "envelope-unknown-type": "The type is not one this replica knows: upgrade the replica or stop sending the type.",
  "envelope-too-large": "The canonical envelope is over 64 KiB: move large content into the Yjs doc or an artifact.",
  "envelope-wrong-space": "The envelope belongs to another space: send it to its own space.",
  "envelope-bad-signature": "The signature does not verify with the author's did:key: the envelope was altered or mis-signed.",
  "envelope-id-mismatch": "The id sent with the envelope is not the hash of its content: the envelope was altered in transit.",
  "envelope-seq-gap": "The author's previous envelopes are missing here: send them first, in seq order, then resend this one.",
  "envelope-prev-mismatch": "prev is not the id of the author's previous envelope held here: the author's chain is broken.",
  "envelope-fork": "The author signed two different envelopes with the same seq: both are kept as evidence and the author is flagged.",
  "envelope-deps-missing": "Some deps are not held here yet: send them first (missingFor orders them causally), then resend.",
  "envelope-hlc-regressed": "The hlc is not after its prev's and every dep's: the writer's clock state is wrong.",
  "envelope-hlc-in-future": "The hlc is more than 5 minutes ahead of this replica's clock: fix the writer's clock, then write again (the envelope was not stored).",
  "envelope-not-member": "The author was never made a member of this space: join with an invite (`commons join <invite-url>`) or ask an owner to add you, then write again.",
  "envelope-bad-invite-proof": "The join's proof is not the invite key's signature over this space, invite and joiner: use the invite URL exactly as given.",
  "rate-limited": "Too many envelopes or bytes from this author or connection: wait for the time given in the message, then resend.",
  "envelope-genesis-conflict": "This space already has a different space.created: the two are different spaces; pick another name.",
} as const;

export type RejectionCode = keyof typeof REJECTION_CODES;
