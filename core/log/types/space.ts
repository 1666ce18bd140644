/**
 * Control-plane bodies: the space's genesis, membership, policies, saved views and the
 * sequencer (its appointment and its commit receipts). Membership and policy changes take
 * effect only once committed; commits and appointments are never themselves committed.
 */
import { z } from "zod";
import { isValidPattern, PATTERN_MAX_LENGTH } from "../../policy/patterns.js";
import { actorSchema, approvalRefSchema, approverSchema, didSchema, distinct, domainsSchema, envelopeIdSchema, jsonObjectSchema, labelSchema, roleSchema, textSchema, tierSchema, visibilitySchema } from "./common.js";

/** The genesis. Its author must be one of `owners`; `sequencer` defaults to the author. */
export const spaceCreatedBody = z.strictObject({
  owners: distinct(didSchema, 64).min(1),
  sequencer: didSchema.optional(),
  title: labelSchema.optional(),
  /** Who may read: members only (default) or anyone. Owners change it with `space.configured`. */
  visibility: visibilitySchema.optional(),
});

/** Changes the space's settings; by an owner. */
export const spaceConfiguredBody = z.strictObject({
  visibility: visibilitySchema,
});

/** Adds a member, or changes an existing member's role and domains. Bumps the epoch. */
export const memberAddedBody = z.strictObject({
  member: didSchema,
  role: roleSchema,
  domains: domainsSchema,
  name: labelSchema.optional(),
});

/** Removes a member. Bumps the epoch. */
export const memberRemovedBody = z.strictObject({
  member: didSchema,
  reason: textSchema.optional(),
});

/** A pattern over a call's arguments (grammar in core/policy/patterns.ts), checked here. */
export const patternSchema = z.string().max(PATTERN_MAX_LENGTH).refine(isValidPattern, {
  message: 'expected "field=glob" terms joined by "&" (see docs/AUTHORITY.md)',
});

/**
 * One conditional rule of a tool's policy. Every condition given must hold (absent ones
 * hold trivially); the first rule that holds decides the tier, else the policy's `tier`.
 */
export const policyRuleSchema = z.strictObject({
  when: z.strictObject({
    /** The actor is one of these members. */
    actors: distinct(didSchema, 64).optional(),
    /** The actor holds one of these roles. */
    roles: distinct(roleSchema, 4).optional(),
    /** The call's domains (args, or its work item's) are all among the actor's own (true), or not (false). */
    inOwnDomain: z.boolean().optional(),
    /** The call names a domain outside the actor's own (true), or names none outside them (false). */
    crossDomain: z.boolean().optional(),
    /** Every pattern matches the call's arguments. */
    match: z.array(patternSchema).min(1).max(16).optional(),
  }),
  tier: tierSchema,
  approver: approverSchema.optional(),
  reason: textSchema.optional(),
});

/**
 * The authorization policy for one tool (`*` for the default): 1 run, 2 pattern-or-ask,
 * 3 ask, 4 refuse. `rules` refine it per actor, role, domain or argument (first match wins);
 * `patterns` are what tier 2 allows without asking. Decided by core/policy/tiers.ts.
 */
export const policySetBody = z.strictObject({
  tool: labelSchema,
  tier: tierSchema,
  patterns: z.array(patternSchema).max(64).optional(),
  approver: approverSchema.optional(),
  reason: textSchema.optional(),
  rules: z.array(policyRuleSchema).max(32).optional(),
  approval: approvalRefSchema,
  /** The owner the tool host (`set_policy`) wrote this for. */
  actor: actorSchema,
});

/** A named, saved view layout or query (data for UIs; no effect on authority). */
export const viewDefinedBody = z.strictObject({
  name: labelSchema,
  definition: jsonObjectSchema,
});

export const COMMIT_MAX_ENTRIES = 256;

/** One sequencer receipt: the commit index and verdict of one envelope. */
export const commitEntrySchema = z.strictObject({
  id: envelopeIdSchema,
  index: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  verdict: z.enum(["accepted", "rejected"]),
  reason: textSchema.optional(),
});

/** A batch of receipts with consecutive indexes and distinct ids. */
export const commitBody = z
  .strictObject({ entries: z.array(commitEntrySchema).min(1).max(COMMIT_MAX_ENTRIES) })
  .refine(({ entries }) => entries.every((entry, i) => entry.index === entries[0]!.index + i), {
    message: "commit indexes must be consecutive",
  })
  .refine(({ entries }) => new Set(entries.map((entry) => entry.id)).size === entries.length, {
    message: "a commit lists each envelope once",
  });

/**
 * Hands the sequencer role to `sequencer` from commit index `fromIndex` on. Valid when its
 * author is an owner in the committed view of indexes below `fromIndex`; receipts for
 * indexes ≥ `fromIndex` signed by the previous sequencer no longer count.
 */
export const sequencerAppointedBody = z.strictObject({
  sequencer: didSchema,
  fromIndex: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  reason: textSchema.optional(),
});
