/**
 * Invites: how someone who is not yet a member joins without an owner online.
 *
 * An owner writes `invite.created` naming a fresh invite key (a did:key made for this
 * invite alone), the role and domains it hands out, an expiry and a number of uses. The
 * invite URL carries that key's private half (core/space/invite.ts). The newcomer signs
 * `member.joined` with its own key, citing the invite, and proves it holds the invite key
 * with `proof`: the invite key's Ed25519 signature over `inviteProofInput` (space, invite,
 * joiner). Any replica checks the proof on ingest; the sequencer commits the join if the
 * invite is committed, unrevoked, unexpired at the join's hlc and has uses left.
 */
import { z } from "zod";
import { didSchema, domainsSchema, envelopeIdSchema, inviteRoleSchema, isoTimeSchema, labelSchema, textSchema } from "./common.js";

/** Most uses one invite may have. */
export const INVITE_MAX_USES = 1000;

export const inviteCreatedBody = z.strictObject({
  /** The invite key's did: whoever holds its private half may join, `uses` times. */
  key: didSchema,
  role: inviteRoleSchema,
  domains: domainsSchema,
  /** A name the newcomer is shown by until they choose one. */
  name: labelSchema.optional(),
  expiresAt: isoTimeSchema,
  uses: z.number().int().min(1).max(INVITE_MAX_USES),
});

export const inviteRevokedBody = z.strictObject({
  invite: envelopeIdSchema,
  reason: textSchema.optional(),
});

export const memberJoinedBody = z.strictObject({
  invite: envelopeIdSchema,
  /** The invite key (must equal the invite's `key`). */
  key: didSchema,
  /** base64url Ed25519 signature by `key` over `inviteProofInput(space, invite, author)`. */
  proof: z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, "expected a base64url 64-byte signature"),
  name: labelSchema.optional(),
});

/** The bytes an invite key signs to let `joiner` in: canonical, so every replica checks the same. */
export function inviteProofInput(space: string, invite: string, joiner: string): Uint8Array {
  return new TextEncoder().encode(`commons-invite-proof:v1:${space}:${invite}:${joiner}`);
}
