/**
 * Tier-3 approvals in the channel: a request says what would run and who must approve
 * (one did, or anyone holding a role) until when; a decision refers to the request's id.
 * Decisions take effect once committed; one after `expiresAt` (by its hlc) is rejected.
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, approverSchema, digestSchema, envelopeIdSchema, isoTimeSchema, jsonObjectSchema, labelSchema, textSchema } from "./common.js";

export const approvalRequestedBody = z.strictObject({
  action: z.strictObject({ tool: labelSchema, params: jsonObjectSchema, summary: textSchema }),
  approver: approverSchema,
  expiresAt: isoTimeSchema,
  /** The work item this action belongs to, if any. */
  item: envelopeIdSchema.optional(),
  /**
   * `approvalBinding(action.tool, action.params)` (core/policy/binding.ts): a decision
   * approves exactly the call it showed; the tool re-checks it before running.
   */
  binding: digestSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const approvalDecidedBody = z.strictObject({
  request: envelopeIdSchema,
  decision: z.enum(["approved", "rejected"]),
  reason: textSchema.optional(),
  actor: actorSchema,
});
