/**
 * The space's door: who a connection is, and what it may read or write, decided from the
 * space's *committed* state. Pure (no I/O, no clock of its own): the SpaceDO and the local
 * node's `commons serve` both ask it, for sockets and for HTTP reads (docs/PROTOCOL.md,
 * "Who is connecting").
 *
 * - Identity: a capability token (core/auth/capability.ts), sent as `?token=<jws>` (what a
 *   stock y-websocket provider carries in `params`) or `Authorization: Bearer <jws>`. Its
 *   subject is who connects. No token: anonymous. A token that does not verify is refused
 *   with its token-* code, never read as anonymous.
 * - Rights, from the committed membership: owner, human and agent read and write; observer
 *   reads; anyone else (a verified non-member, or anonymous) reads a `public-read` space and
 *   writes nothing, and gets nothing of a `private` one. `?role=observer` lowers one's own
 *   rights to read-only; nothing raises them.
 */
import { authorityFromState } from "../auth/authority.js";
import { verifyCapability } from "../auth/capability.js";
import { capabilityClaimsSchema } from "../auth/claims.js";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import { decodeBase64url } from "../identity/encoding.js";
import type { Role } from "../log/ids.js";
import type { SpaceState } from "../views/state.js";

/** The query parameters the door reads; hosts strip them before parsing a route's own query. */
export const TOKEN_PARAM = "token";
export const ROLE_PARAM = "role";
export const OBSERVER_ROLE = "observer";

/** What a connection presents at the door. */
export interface Credentials {
  token: string | null;
  /** `?role=observer`: the connection asks for read-only rights. */
  observing: boolean;
}

export interface Rights {
  read: boolean;
  write: boolean;
}

/** Who a connection is and what it may do; hosts keep `read`/`write` current (see RightsWatch). */
export interface Access extends Rights {
  /** The verified did:key, or null for an anonymous connection. */
  did: Did | null;
  observing: boolean;
}

/** Roles that may change the space's content (observers read). */
const WRITING_ROLES: ReadonlySet<Role> = new Set(["owner", "human", "agent"]);

const bearer = /^Bearer\s+(\S+)$/i;

/**
 * Reads the credentials from a request's URL and Authorization header. Two different tokens
 * (one in each place) are refused: which of them names the caller would be a guess.
 */
export function credentialsOf(url: URL, authorization: string | null | undefined): Credentials {
  const observing = url.searchParams.get(ROLE_PARAM) === OBSERVER_ROLE;
  const fromQuery = url.searchParams.get(TOKEN_PARAM);
  if (authorization === null || authorization === undefined || authorization === "") return { token: fromQuery, observing };
  const match = bearer.exec(authorization.trim());
  if (match === null) throw malformed('the Authorization header must be "Bearer <capability token>"');
  if (fromQuery !== null && fromQuery !== match[1]) throw malformed("send one token, in ?token= or in Authorization, not two different ones");
  return { token: match[1]!, observing };
}

/** The rights a did (or an anonymous connection, `null`) has in the committed state. */
export function rightsOf(state: Pick<SpaceState, "members" | "visibility">, did: Did | null, observing: boolean): Rights {
  const role = did === null ? undefined : state.members.get(did)?.role;
  if (role === undefined) return { read: state.visibility === "public-read", write: false };
  return { read: true, write: WRITING_ROLES.has(role) && !observing };
}

/**
 * Who presents `token`: its verified subject, or null without a token. Throws the token-*
 * CommonsError of a token that does not verify against the committed state.
 *
 * One refusal is an identity: `token-not-member` for a self-issued root token (iss = sub,
 * no parent) proves who its holder is — every cryptographic and time check passed before
 * the membership check refused it — so its holder is a verified non-member, who may read a
 * public-read space. A delegated token from a non-member proves nothing and stays refused.
 */
export async function identify(token: string | null, options: { space: string; state: SpaceState; now: number }): Promise<Did | null> {
  if (token === null) return null;
  try {
    const verified = await verifyCapability(token, { space: options.space, now: options.now, authority: authorityFromState(options.state) });
    return verified.subject;
  } catch (error) {
    if (error instanceof CommonsError && error.code === "token-not-member") {
      const claims = leafClaims(token);
      if (claims !== null && claims.iss === claims.sub && claims.parent === undefined) return claims.sub;
    }
    throw error;
  }
}

/** Identity and rights together: what the door decides for one connection. */
export async function admit(credentials: Credentials, options: { space: string; state: SpaceState; now: number }): Promise<Access> {
  const did = await identify(credentials.token, options);
  return { did, observing: credentials.observing, ...rightsOf(options.state, did, credentials.observing) };
}

/** Throws the refusal for a connection without read rights (it is then given nothing). */
export function requireRead(access: Access, space: string): void {
  if (access.read) return;
  if (access.did === null) {
    throw new CommonsError(
      "token-missing",
      `${space} is private: send a capability token (?token=<jws> or "Authorization: Bearer <jws>"); a member mints one with \`commons token ${space}\``,
      { status: 401, rpcCode: -32001 },
    );
  }
  throw new CommonsError("not-a-member", `${access.did} is not a member of ${space}, which is private: ask an owner to invite you`, { status: 403, rpcCode: -32003 });
}

/** A route's own query, without the door's parameters. */
export function withoutCredentials(params: URLSearchParams): URLSearchParams {
  const rest = new URLSearchParams(params);
  rest.delete(TOKEN_PARAM);
  return rest;
}

/**
 * How a socket that lost its read right is closed (membership removed, space made private):
 * 4403, in the 4400–4499 range stock y-websocket clients take as final (they stop
 * reconnecting), with the stable code as the reason.
 */
export const ACCESS_REVOKED = { closeCode: 4403, code: "access-revoked" } as const;

/**
 * Keeps open connections' rights in step with the committed state. Rights depend only on
 * the membership (which bumps the epoch on every change) and the visibility, and those move
 * only when something commits; so `changes` costs one comparison of the commit frontier
 * until it moves, one more of the membership until that moves, and then re-derives every
 * connection once. A new watch (an object that woke from hibernation) re-derives everyone
 * on its first call.
 */
export class RightsWatch {
  private frontier: number | undefined;
  private seen: string | undefined;

  /** The connections whose rights differ from what they hold, with their new rights. */
  changes<T>(frontier: number, committed: () => SpaceState, connections: Iterable<T>, accessOf: (connection: T) => Access): Array<[T, Rights]> {
    if (frontier === this.frontier) return [];
    this.frontier = frontier;
    const state = committed();
    const key = `${state.genesis ?? ""}/${state.epoch}/${state.visibility}`;
    if (key === this.seen) return [];
    this.seen = key;
    const changed: Array<[T, Rights]> = [];
    for (const connection of connections) {
      const access = accessOf(connection);
      const rights = rightsOf(state, access.did, access.observing);
      if (rights.read !== access.read || rights.write !== access.write) changed.push([connection, rights]);
    }
    return changed;
  }
}

function malformed(why: string): CommonsError {
  return new CommonsError("token-malformed", `The capability token is malformed (${why}).`, { status: 401, rpcCode: -32001 });
}

/** The claims of a token verifyCapability already checked (see identify); null if unreadable. */
function leafClaims(token: string): { iss: Did; sub: Did; parent?: string | undefined } | null {
  const bytes = decodeBase64url(token.split(".")[1] ?? "");
  if (bytes === null) return null;
  try {
    const parsed = capabilityClaimsSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : null;
  } catch {
    // Unreadable claims cannot name anyone: the caller keeps the original refusal.
    return null;
  }
}
