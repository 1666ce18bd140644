/**
 * What token verification needs to know about the space, answered from the *committed*
 * view (never the tentative one: a membership or a revocation counts once sequenced).
 * `authorityFromState(view.committed)` is the usual implementation; tests and other hosts
 * may supply their own.
 */
import type { Did } from "../identity/did.js";
import type { Role } from "../log/ids.js";
import { isRevoked } from "../views/grants.js";
import type { SpaceState } from "../views/state.js";

export interface CapabilityAuthority {
  /** The committed membership epoch: no token may name a later one. */
  readonly epoch: number;
  /** The epoch at which a member's membership was last set (undefined for non-members). */
  memberEpoch(did: Did): number | undefined;
  /** True when the jti, or a recorded ancestor of it, is revoked. */
  isRevoked(jti: string): boolean;
  /** The member's role, or undefined for a non-member. */
  roleOf(did: Did): Role | undefined;
  /** The recorded grant (`authority.granted`) with this jti, if any. */
  grant(jti: string): { issuer: Did; subject: Did; parent?: string | undefined } | undefined;
}

/** Roles that may issue a grant from their own authority (a root token for someone else). */
export const GRANTING_ROLES: ReadonlySet<Role> = new Set(["owner", "human"]);

export function authorityFromState(state: SpaceState): CapabilityAuthority {
  return {
    epoch: state.epoch,
    memberEpoch: (did) => state.members.get(did)?.epoch,
    isRevoked: (jti) => isRevoked(state, jti),
    roleOf: (did) => state.members.get(did)?.role,
    grant: (jti) => state.grants.get(jti),
  };
}
