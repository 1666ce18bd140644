/**
 * Delegated authority in the log: grants (the log's record of a capability token),
 * revocations, and budget spends. All three are control plane: they take effect only once
 * the sequencer commits them, and spends are judged in commit order, which is what stops
 * two offline replicas from spending the same budget twice (core/views/grants.ts).
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, didSchema, distinct, isoTimeSchema, labelSchema, textSchema, tierSchema } from "./common.js";

/** A token id (`jti`): 8–128 URL-safe characters, e.g. a random base64url string. */
export const jtiSchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "expected 8–128 characters of [A-Za-z0-9_-]");

/** Tool names a grant allows, or ["*"] for every tool. */
export const toolsSchema = distinct(labelSchema, 64).min(1);

/** Limits of a grant: tool calls and abstract units (a tool says what a unit is). Absent: no limit. */
export const budgetSchema = z.strictObject({
  calls: z.number().int().min(0).max(1_000_000_000).optional(),
  units: z.number().int().min(0).max(1_000_000_000).optional(),
});

/**
 * Records a grant (the claims of a capability token with this `jti`) from its issuer — the
 * actor — to `subject`. With `parent`, it narrows the parent grant, which must be the
 * issuer's own; without, the issuer must be an owner or human member.
 */
export const authorityGrantedBody = z.strictObject({
  jti: jtiSchema,
  subject: didSchema,
  tools: toolsSchema,
  tier: tierSchema,
  budget: budgetSchema.optional(),
  expiresAt: isoTimeSchema,
  parent: jtiSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/** Revokes a grant and every grant beneath it; by its issuer or an owner. */
export const authorityRevokedBody = z.strictObject({
  jti: jtiSchema,
  reason: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/** Spends one call and `units` (default 1) of a grant's budget, and of every ancestor's. */
export const budgetSpentBody = z.strictObject({
  grant: jtiSchema,
  units: z.number().int().min(1).max(1_000_000).optional(),
  tool: labelSchema,
  actor: actorSchema,
});
