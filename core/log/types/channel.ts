/**
 * The shared channel's message: the seed's `ChannelMessage`, with participants named by did.
 * Id, sender and timestamp are not in the body: they are the envelope's id, author and hlc.
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, approverSchema, didSchema, distinct, envelopeIdSchema, isoTimeSchema, jsonObjectSchema, labelSchema, textSchema } from "./common.js";

/** What one tool call did, as logged in the channel (the seed's `ToolCallLog`). */
export const toolCallLogSchema = z.strictObject({
  tool: labelSchema,
  params: jsonObjectSchema,
  result: z.enum(["success", "pending_approval", "rejected"]),
  /** Who must approve a `pending_approval` call: a did or a role. An escalation to them. */
  approvalRequired: approverSchema.optional(),
  approvedBy: didSchema.optional(),
  approvedAt: isoTimeSchema.optional(),
});

export const channelMessageBody = z.strictObject({
  content: textSchema,
  mentions: distinct(didSchema, 64).optional(),
  /** The id of the message this one replies to (a thread is named by its root). */
  threadRef: envelopeIdSchema.optional(),
  toolCalls: z.array(toolCallLogSchema).max(32).optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});
