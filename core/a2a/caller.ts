/**
 * Who is calling an agent: the verified subject of a self-issued Commons capability token
 * whose audience is the agent (`Authorization: Bearer <token>`, aud commons:agent:<did>;
 * core/auth/capability.ts). Anonymous callers are refused: every task has a verified owner.
 * Never anything from the body: identity is not a parameter.
 *
 * The SDK carries the caller as its `User` on the ServerCallContext; the task store scopes
 * every read and write to `userName` (the did), so a caller sees only its own tasks.
 */
import type { ServerCallContext, User } from "@a2a-js/sdk/server";
import { verifyAgentCapability } from "../auth/capability.js";
import { agentAudienceFor } from "../auth/claims.js";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";

export class CallerUser implements User {
  constructor(readonly did: Did, readonly jti: string, readonly methods: readonly string[]) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.did;
  }
}

/** The verified caller of a call; the transports never run a call without one. */
export function callerOf(context: ServerCallContext): CallerUser {
  const user = context.user;
  if (!(user instanceof CallerUser)) throw new CommonsError("internal", "an A2A call reached the agent without a verified caller", { status: 500 });
  return user;
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/;

/**
 * The caller of `request`, or a 401/403 CommonsError (token-missing, token-malformed and
 * the token-* codes of verifyAgentCapability) whose message says how to get a good token.
 */
export async function authenticateCaller(request: Request, agent: Did, now = Date.now()): Promise<CallerUser> {
  const header = request.headers.get("Authorization");
  if (header === null) {
    throw new CommonsError("token-missing", `Send "Authorization: Bearer <token>": a token you sign for ${agentAudienceFor(agent)}, e.g. \`commons a2a token <agent-url>\`.`, { status: 401 });
  }
  const match = BEARER.exec(header.trim());
  if (!match) throw new CommonsError("token-malformed", 'The Authorization header must be "Bearer <token>".', { status: 401 });
  const verified = await verifyAgentCapability(match[1]!, { agent, now });
  return new CallerUser(verified.caller, verified.jti, verified.methods);
}

/** Refuses (403 `method-not-allowed`) an A2A method the caller's token does not name. */
export function requireMethod(caller: CallerUser, method: string): void {
  if (caller.methods.includes("*") || caller.methods.includes(method)) return;
  throw new CommonsError(
    "method-not-allowed",
    `Your token allows ${caller.methods.join(", ")}, not ${method}: sign a token that names ${method} (or "*").`,
    { status: 403 },
  );
}
