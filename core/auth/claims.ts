/**
 * The claims of a capability token, as a strict zod schema: what `issueCapability` signs
 * and what `verifyCapability` accepts. Times are JWT NumericDates (seconds since the epoch).
 *
 *   iss     did:key of the issuer: the only place the verification key comes from
 *   sub     did:key of the caller the token is for
 *   aud     "commons:space:<space>", or "commons:agent:<agent did>" for a token that calls an
 *           agent (AgentDO, docs/AGENTS.md): the agent is its did, so a token for one agent is
 *           never good at a same-named agent of another deployment, or a re-created one
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

/**
 * The audience of a token that calls an agent. Space verifiers compare `aud` with
 * `audienceFor(space)` exactly, so such a token is never accepted by a space, nor a space
 * token by an agent (verifyAgentCapability compares with `agentAudienceFor(did)`).
 */
export const AGENT_AUDIENCE_PREFIX = "commons:agent:";

export function agentAudienceFor(agent: string): string {
  return `${AGENT_AUDIENCE_PREFIX}${agent}`;
}

export const capabilityClaimsSchema = z.strictObject({
  iss: didSchema,
  sub: didSchema,
  aud: z.string().max(200).refine((aud) => aud.startsWith(AUDIENCE_PREFIX) || aud.startsWith(AGENT_AUDIENCE_PREFIX), {
    message: `must start with "${AUDIENCE_PREFIX}" or "${AGENT_AUDIENCE_PREFIX}"`,
  }),
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
