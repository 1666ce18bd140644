/**
 * Work items and claims. An item is named by its `work.created` envelope id. Claims are
 * weak until committed: among concurrent tentative claims every replica picks the same
 * winner (first in causal order, ties by id); the first *committed* claim wins for good.
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, domainsSchema, envelopeIdSchema, labelSchema, textSchema } from "./common.js";

export const workCreatedBody = z.strictObject({
  title: labelSchema,
  description: textSchema.optional(),
  domains: domainsSchema.optional(),
  /** The seed's clock: HF (high-frequency), LF (low-frequency) or Dormant work. */
  clock: z.enum(["HF", "LF", "Dormant"]).optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const workClaimedBody = z.strictObject({ item: envelopeIdSchema, note: textSchema.optional(), actor: actorSchema, approval: approvalRefSchema });

export const workReleasedBody = z.strictObject({ item: envelopeIdSchema, reason: textSchema.optional(), actor: actorSchema, approval: approvalRefSchema });

export const workUpdatedBody = z.strictObject({
  item: envelopeIdSchema,
  title: labelSchema.optional(),
  description: textSchema.optional(),
  note: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const workCompletedBody = z.strictObject({
  item: envelopeIdSchema,
  result: textSchema.optional(),
  artifact: envelopeIdSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});
