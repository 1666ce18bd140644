/**
 * Records about the work: artifacts (content inline, or a key into the space's Yjs doc),
 * branches of exploration, and traces of what agents did. An artifact or branch is named
 * by the id of the envelope that created it.
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, envelopeIdSchema, jsonObjectSchema, labelSchema, textSchema } from "./common.js";

/** Artifact content: inline text, or the name of a shared type in the space's Yjs doc. */
export const artifactContentSchema = z.union([
  z.strictObject({ inline: textSchema }),
  z.strictObject({ ydoc: labelSchema }),
]);

export const artifactCreatedBody = z.strictObject({
  title: labelSchema,
  kind: labelSchema.optional(),
  content: artifactContentSchema,
  item: envelopeIdSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const artifactUpdatedBody = z.strictObject({
  artifact: envelopeIdSchema,
  content: artifactContentSchema,
  note: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const branchCreatedBody = z.strictObject({
  name: labelSchema,
  purpose: textSchema.optional(),
  from: envelopeIdSchema.optional(),
  /** The coalition whose quorum promotes this branch (docs/COORDINATION.md); its members write on it. */
  coalition: envelopeIdSchema.optional(),
  actor: actorSchema,
});

export const branchMergedBody = z.strictObject({ branch: envelopeIdSchema, summary: textSchema.optional(), approval: approvalRefSchema });

export const branchAbandonedBody = z.strictObject({ branch: envelopeIdSchema, reason: textSchema.optional() });

export const traceRecordedBody = z.strictObject({
  kind: labelSchema,
  summary: textSchema,
  ref: envelopeIdSchema.optional(),
  data: jsonObjectSchema.optional(),
});
