/**
 * Contract-net claiming (docs/COORDINATION.md "Markets"). A work item is first-claim-wins
 * until someone calls for bids on it; from then on it is a market item: `work.claimed` is
 * refused, members bid until the deadline, and the award names the winner the award rule
 * (core/state/market.ts `awardOf`) computes from the committed bids — the same on every
 * replica. The winner then holds the claim. All three are control plane.
 *
 * Deadlines are judged by HLC stamps, never by a replica's clock: a bid counts when its
 * stamp is at or before the deadline, and the award is accepted only with a stamp at or
 * after it. Bidding also closes in commit order: a bid committed after the award is refused
 * whatever its stamp (a writer can set its stamp back; it cannot reorder commits).
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, didSchema, envelopeIdSchema, isoTimeSchema, textSchema } from "./common.js";

export const workBidsCalledBody = z.strictObject({
  item: envelopeIdSchema,
  /** Bids stamped after this are refused; the award may not be stamped before it. */
  deadline: isoTimeSchema,
  /** What a good bid looks like, for bidders to read (free text; not judged). */
  criteria: textSchema.optional(),
  /** Bids costing more (in budget units) are refused. */
  maxCost: z.number().int().min(0).max(1_000_000_000).optional(),
  /** The work must be done by then: a bid whose estimate, counted from the deadline, ends later is refused. */
  dueBy: isoTimeSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const workBidBody = z.strictObject({
  item: envelopeIdSchema,
  /** Budget units the bidder asks for. */
  cost: z.number().int().min(0).max(1_000_000_000),
  /** Estimated time to finish, in seconds. */
  eta: z.number().int().min(0).max(365 * 24 * 3600),
  /** The bidder's confidence, 0–1. */
  confidence: z.number().min(0).max(1),
  note: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/** Closes bidding: `winner` and `bid` must be what the award rule computes (both absent when no bid was committed). */
export const workAwardedBody = z.strictObject({
  item: envelopeIdSchema,
  winner: didSchema.optional(),
  bid: envelopeIdSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
}).refine((body) => (body.winner === undefined) === (body.bid === undefined), { message: "an award names both its winner and the winning bid, or neither" });
