/**
 * Zod building blocks shared by the envelope frame and every body schema. All objects are
 * strict: a field the schema does not know is a malformed envelope, so the value a replica
 * validated is exactly the value that was signed and stored.
 */
import { z } from "zod";
import { isDid, type Did } from "../../identity/did.js";
import { isEnvelopeId, ROLES, type EnvelopeId, type Role } from "../ids.js";

export const didSchema = z.custom<Did>((value) => typeof value === "string" && isDid(value), {
  message: "expected an Ed25519 did:key (did:key:z6Mk…)",
});

export const envelopeIdSchema = z.custom<EnvelopeId>((value) => typeof value === "string" && isEnvelopeId(value), {
  message: 'expected an envelope id ("sha256:" + 64 lowercase hex digits)',
});

export const roleSchema = z.enum(ROLES);

/** Who must approve: one member (a did) or anyone holding a role. */
export type Approver = Did | Role;
export const approverSchema = z.union([didSchema, roleSchema]);

/** A short single-purpose label: titles, names, tool names. */
export const labelSchema = z.string().min(1).max(200);
/** Free text: message content, descriptions, results. The envelope size cap bounds it too. */
export const textSchema = z.string().max(32_000);
/** Domains a member self-selects on ("infra", "billing"…). */
export const domainsSchema = z.array(z.string().min(1).max(64)).max(32);
/** Arbitrary JSON parameters (tool params, trace data, view definitions). */
export const jsonObjectSchema = z.record(z.string(), z.json());
/** Timestamps inside bodies are ISO 8601 UTC, compared through `Date.parse`. */
export const isoTimeSchema = z.iso.datetime();

/** A SHA-256 digest as "sha256:" + 64 lowercase hex digits (e.g. an approval binding). */
export const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" + 64 lowercase hex digits');

/** An authorization tier: 1 run now, 2 run if a pattern allows else ask, 3 ask a human, 4 refuse. */
export type Tier = 1 | 2 | 3 | 4;
export const tierSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

/**
 * Who a tool host acted for. Bodies of tool-writable types carry it when the envelope is
 * signed by the space's tool host (its sequencer key) on behalf of a verified caller; the
 * envelope is then judged, and attributed, as the actor's (`actorOf` in core/log/actor.ts).
 * Absent: the author acted for itself.
 */
export const actorSchema = didSchema.optional();

/**
 * The approved request an effect carries out (tier 3, or tier 2 without a matching
 * pattern): the commit rule accepts the effect only if that request was approved by an
 * approver the policy names, was asked by the same actor for this tool and these
 * arguments, and has not been carried out before (core/views/authority.ts).
 */
export const approvalRefSchema = envelopeIdSchema.optional();

/** Membership a space can hand out by invite: never owner. */
export const inviteRoleSchema = z.enum(["human", "agent", "observer"]);

/** Who may read a space: members only (`private`, the default) or anyone (`public-read`). */
export const visibilitySchema = z.enum(["private", "public-read"]);
export type Visibility = z.infer<typeof visibilitySchema>;

/** An array of distinct values, so "owners", "mentions" and the like cannot repeat. */
export function distinct<T extends z.ZodType<string>>(item: T, max: number) {
  return z.array(item).max(max).refine((list) => new Set(list).size === list.length, { message: "entries must be distinct" });
}
