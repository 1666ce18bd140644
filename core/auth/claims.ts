/**
 * The claims of a capability token, as a strict zod schema: what `issueCapability` signs
 * and what `verifyCapability` accepts. Times are JWT NumericDates (seconds since the epoch).
 *
 *   iss     did:key of the issuer: the only place the verification key comes from
 *   sub     did:key of the caller the token is for
 *   aud     "commons:space:<space>"
 *   jti     the token's id (what revocations and budget spends name)
 *   tools   tool names it allows, or ["*"]
 *   tier    ceiling 1–4: the highest tier of decision under which its calls may proceed
 *   budget  {calls?, units?}: limits, enforced through recorded grants and `budget.spent`
 *   nbf, exp, iat
 *   epoch   the space's committed membership epoch when issued
 *   parent  the parent token itself (compact JWS), for a delegated token
 */
import { z } from "zod";
import { budgetSchema, jtiSchema, toolsSchema } from "../log/types/authority.js";
import { didSchema, tierSchema } from "../log/types/common.js";

/** Largest accepted token, parents included (a depth-3 chain is about 3 KiB). */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Longest chain: a root token and two delegations beneath it. */
export const MAX_CHAIN_DEPTH = 3;
/** Allowed clock difference between issuer and verifier, in seconds. */
export const CLOCK_SKEW_SECONDS = 30;

const numericDate = z.number().int().min(0).max(253_402_300_799); // up to year 9999

export const AUDIENCE_PREFIX = "commons:space:";

export function audienceFor(space: string): string {
  return `${AUDIENCE_PREFIX}${space}`;
}

export const capabilityClaimsSchema = z.strictObject({
  iss: didSchema,
  sub: didSchema,
  aud: z.string().startsWith(AUDIENCE_PREFIX).max(200),
  jti: jtiSchema,
  tools: toolsSchema,
  tier: tierSchema,
  budget: budgetSchema.optional(),
  nbf: numericDate,
  exp: numericDate,
  iat: numericDate,
  epoch: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  parent: z.string().max(MAX_TOKEN_LENGTH).optional(),
}).refine((claims) => claims.nbf < claims.exp, { message: "nbf must be before exp" });

export type CapabilityClaims = z.output<typeof capabilityClaimsSchema>;
