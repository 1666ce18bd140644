/**
 * Who is calling the space's MCP endpoint: the verified subject of the bearer capability
 * token (core/auth), never anything in the request body. A body that tries to name its
 * own caller (`caller_agent`, `actor`, … as a tool argument the tool does not define) is
 * refused outright: identity is not a parameter.
 */
import { authorityFromState } from "../core/auth/authority.js";
import { verifyCapability } from "../core/auth/capability.js";
import { CommonsError } from "../core/errors.js";
import type { Caller } from "../core/mcp/tool-host.js";
import { toolNamed } from "../core/mcp/tools.js";
import type { SpaceState } from "../core/views/state.js";

const bearer = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/;

export async function authenticate(request: Request, space: string, state: SpaceState, now = Date.now()): Promise<Caller> {
  const header = request.headers.get("Authorization");
  if (header === null) {
    throw new CommonsError("token-missing", `Send "Authorization: Bearer <capability token>"; a member gets one with \`commons token ${space}\``, { status: 401, rpcCode: -32001 });
  }
  const match = bearer.exec(header.trim());
  if (!match) throw new CommonsError("token-malformed", 'The Authorization header must be "Bearer <token>"', { status: 401, rpcCode: -32001 });
  const verified = await verifyCapability(match[1]!, { space, now, authority: authorityFromState(state) });
  return { did: verified.subject, grant: verified.jti, tools: verified.tools, tierCeiling: verified.tier, budgeted: verified.budgeted };
}

/** Argument names that try to say who the caller is. */
const IDENTITY_ARGUMENT = /^(caller|caller_?agent|caller_?id|as|as_?user|on_?behalf_?of|actor|agent|identity|user|user_?id|sender|from|principal|subject|sub|iss)$/i;

/**
 * Looks at the parsed body before the SDK does (SpaceMcp.fetch reads it once): refuses
 * JSON-RPC batches (-32600: batching left MCP in 2025-06-18, and one request per exchange is
 * what the 2026 revision serves) and a `tools/call` whose arguments name a caller identity
 * the tool does not take (403 `identity-argument-refused`). A body that is not JSON
 * (`undefined`) passes: the SDK answers with the protocol's parse error.
 */
export function inspectBody(message: unknown): void {
  if (Array.isArray(message)) {
    throw new CommonsError("batch-not-supported", "JSON-RPC batches are not part of MCP since 2025-06-18: send one message per request", { status: 400, rpcCode: -32600 });
  }
  const call = message as { method?: unknown; params?: { name?: unknown; arguments?: unknown } } | null | undefined;
  if (call?.method !== "tools/call" || typeof call.params?.arguments !== "object" || call.params.arguments === null) return;
  const tool = typeof call.params.name === "string" ? toolNamed(call.params.name) : undefined;
  const accepted = new Set(Object.keys((tool?.input as { shape?: object } | undefined)?.shape ?? {}));
  const named = Object.keys(call.params.arguments).find((key) => IDENTITY_ARGUMENT.test(key) && !accepted.has(key));
  if (named !== undefined) {
    throw new CommonsError(
      "identity-argument-refused",
      `"${named}" tries to name the caller; the caller is the subject of your bearer token. Remove the argument.`,
      { status: 403, rpcCode: -32003 },
    );
  }
}
