/**
 * The membership fold, once: what a committed membership envelope does to who holds which
 * role. The committed state (core/views/state.ts), the commit rule's owners (core/log/commits.ts
 * and its SQL index) and attention's roles (core/log/query.ts) all step through this.
 */
import type { Did } from "../identity/did.js";
import type { Envelope } from "../log/envelope.js";
import type { Role } from "../log/ids.js";

export interface MembershipChange {
  did: Did;
  /** The role from now on; null: no longer a member. */
  role: Role | null;
  domains: string[];
  name?: string;
}

/** What an invite hands out, for a `member.joined` (the caller looks the invite up). */
export interface InviteTerms {
  role: Exclude<Role, "owner">;
  domains: string[];
  name?: string;
}

/** Types whose committed envelopes change membership. */
export const MEMBERSHIP_TYPES: ReadonlySet<string> = new Set(["space.created", "member.added", "member.removed", "member.joined"]);

/** The changes one accepted envelope makes; [] for every other type (and a join without its invite). */
export function membershipChanges(envelope: Envelope, invite?: InviteTerms): MembershipChange[] {
  switch (envelope.type) {
    case "space.created":
      return envelope.body.owners.map((did) => ({ did, role: "owner", domains: [] }));
    case "member.added": {
      const { member, role, domains, name } = envelope.body;
      return [{ did: member, role, domains, ...(name === undefined ? {} : { name }) }];
    }
    case "member.removed":
      return [{ did: envelope.body.member, role: null, domains: [] }];
    case "member.joined": {
      if (invite === undefined) return [];
      const name = envelope.body.name ?? invite.name;
      return [{ did: envelope.author, role: invite.role, domains: invite.domains, ...(name === undefined ? {} : { name }) }];
    }
    default:
      return [];
  }
}

/** Applies changes to a set of owners (what sequencer appointments are checked against). */
export function applyToOwners(owners: Set<Did>, changes: readonly MembershipChange[]): void {
  for (const change of changes) {
    if (change.role === "owner") owners.add(change.did);
    else owners.delete(change.did);
  }
}
