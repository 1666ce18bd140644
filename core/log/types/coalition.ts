/**
 * Coalitions: temporary teams in a space (docs/COORDINATION.md). A coalition is named by
 * the id of its `coalition.formed`; every join or leave bumps its membership epoch, and
 * everything done *for* the coalition — spending its budget, voting on a promotion or a
 * dissolution — names the epoch it was written at, so a member who left (or a vote cast
 * before the team changed) no longer counts. All of these are control plane: they take
 * effect once committed, in commit order (core/state/coalition.ts folds them,
 * core/policy/coalition-rule.ts judges them).
 *
 * `branch.updated` is the tentative work a coalition promotes: a version of an artifact
 * staged on a branch, which becomes the artifact's current version only at promotion (its
 * text inline, or the branch's Y.Text at a recorded version).
 */
import { z } from "zod";
import { actorSchema, approvalRefSchema, didSchema, distinct, envelopeIdSchema, labelSchema, textSchema } from "./common.js";
import { artifactContentSchema } from "./records.js";

/** A membership epoch: 1 at formation, +1 per join or leave. */
export const coalitionEpochSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const coalitionFormedBody = z.strictObject({
  name: labelSchema,
  goal: textSchema,
  /** The work item (incident, task) the team forms around; completing it lets a member dissolve the team. */
  item: envelopeIdSchema.optional(),
  /**
   * The coalition's own identity: budget grants name it as their subject. The key of its
   * CoalitionDO, or any fresh key (nothing is ever signed by it in the space).
   */
  key: didSchema,
  /** The founding members (the former is one unless it says otherwise); members must be space members. */
  members: distinct(didSchema, 64).min(1),
  /** Approvals a promotion or a dissolution needs (k of the current members); default a majority. */
  quorum: z.number().int().min(1).max(64).optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

export const coalitionJoinedBody = z.strictObject({ coalition: envelopeIdSchema, actor: actorSchema, approval: approvalRefSchema });

export const coalitionLeftBody = z.strictObject({
  coalition: envelopeIdSchema,
  reason: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/** Ends the coalition: by its former or an owner, or by a member once its goal item is completed. */
export const coalitionDissolvedBody = z.strictObject({
  coalition: envelopeIdSchema,
  epoch: coalitionEpochSchema,
  reason: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/** Spends `units` of the coalition's budget (a grant whose subject is its key), by a member at `epoch`. */
export const coalitionSpentBody = z.strictObject({
  coalition: envelopeIdSchema,
  epoch: coalitionEpochSchema,
  units: z.number().int().min(1).max(1_000_000),
  /** What the units paid for (a tool name, "llm-tokens", …). */
  tool: labelSchema,
  note: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
});

/**
 * A member's vote at `epoch`: to promote one of the coalition's branches, or to dissolve
 * the coalition. The k-th vote for the same motion at the same epoch carries it out.
 */
export const coalitionVotedBody = z.strictObject({
  coalition: envelopeIdSchema,
  epoch: coalitionEpochSchema,
  motion: z.enum(["promote", "dissolve"]),
  /** The branch, for "promote". */
  branch: envelopeIdSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
}).refine((body) => (body.motion === "promote") === (body.branch !== undefined), { message: 'a "promote" vote names its branch; a "dissolve" vote names none' });

/**
 * A version of `artifact` staged on `branch`: current only once the branch is promoted.
 * The text is either inline (older envelopes, and the `write_branch` tool), or the branch's
 * Y.Text (core/yjs/branch-text.ts): then `content.ydoc` is exactly `branch/<branch>/<artifact>`
 * and `version` the SHA-256 of the text staged, so the log pins a version without holding it.
 */
export const branchUpdatedBody = z.strictObject({
  branch: envelopeIdSchema,
  artifact: envelopeIdSchema,
  content: artifactContentSchema,
  version: z.string().regex(/^sha256:[0-9a-f]{64}$/, "a version is sha256: and 64 hex digits").optional(),
  note: textSchema.optional(),
  actor: actorSchema,
  approval: approvalRefSchema,
}).refine((body) => !("ydoc" in body.content) || body.content.ydoc === `branch/${body.branch}/${body.artifact}`, {
  message: "a branch's Yjs text lives under branch/<branch>/<artifact>: name that key",
}).refine((body) => ("ydoc" in body.content) === (body.version !== undefined), {
  message: "a Yjs version names its version (the SHA-256 of its text); an inline one names none",
});
