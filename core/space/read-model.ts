/**
 * The space's read model: what agents and the web UI read instead of folding the log —
 * members, work items, approvals, grants and budgets, invites, policies, coalitions and locks — from the
 * committed state the sequencer keeps (core/state/sequencer.ts `committed()`), filtered at the
 * boundary. Served as `GET /s/:space/view` (docs/PROTOCOL.md) with an ETag that changes
 * exactly when the committed frontier or the locks do; `view.changed` on the space socket
 * tells live readers when to ask again.
 */
import { z } from "zod";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import type { SpaceState } from "../views/state.js";

export const VIEW_SECTIONS = ["members", "work", "approvals", "grants", "invites", "policies", "coalitions", "locks"] as const;
export type ViewSection = (typeof VIEW_SECTIONS)[number];

const ViewQuery = z.strictObject({
  sections: z.string().max(200).optional(),
  status: z.enum(["open", "claimed", "completed"]).optional(),
  domain: z.string().min(1).max(64).optional(),
  claimant: z.string().max(200).optional(),
  approvals: z.enum(["pending", "approved", "rejected"]).optional(),
});

export interface ViewFilter {
  sections: ReadonlySet<ViewSection>;
  status?: "open" | "claimed" | "completed";
  domain?: string;
  claimant?: string;
  approvals?: "pending" | "approved" | "rejected";
}

/** Parses `?sections=members,work&status=open&domain=ops&claimant=did&approvals=pending` (the door's own `token`/`role` already stripped). */
export function parseViewQuery(params: URLSearchParams): ViewFilter {
  const raw = Object.fromEntries(params);
  const checked = ViewQuery.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new CommonsError("invalid-query", `${issue?.path.join(".") || "query"}: ${issue?.message ?? "is invalid"}`, { status: 400 });
  }
  const { sections, ...filters } = checked.data;
  const wanted = sections === undefined ? [...VIEW_SECTIONS] : sections.split(",").map((s) => s.trim());
  for (const section of wanted) {
    if (!(VIEW_SECTIONS as readonly string[]).includes(section)) {
      throw new CommonsError("invalid-query", `sections: "${section.slice(0, 40)}" is not one of ${VIEW_SECTIONS.join(", ")}`, { status: 400 });
    }
  }
  return { sections: new Set(wanted as ViewSection[]), ...filters };
}

export interface Lock {
  resource: string;
  holder: Did;
  until: number;
}

/** The view for `filter`: plain JSON, in a stable order. */
export function readModel(state: SpaceState, frontier: number, locks: readonly Lock[], filter: ViewFilter): Record<string, unknown> {
  const out: Record<string, unknown> = { frontier, epoch: state.epoch, visibility: state.visibility };
  const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
  const has = (section: ViewSection) => filter.sections.has(section);
  if (has("members")) out.members = byKey(state.members);
  if (has("work")) {
    out.work = byKey(state.work)
      .filter((item) => filter.status === undefined || item.status === filter.status)
      .filter((item) => filter.domain === undefined || item.domains.includes(filter.domain))
      .filter((item) => filter.claimant === undefined || item.claimant === filter.claimant)
      .map(({ history, ...item }) => ({ ...item, changes: history.length }));
  }
  if (has("approvals")) out.approvals = byKey(state.approvals).filter((a) => filter.approvals === undefined || a.status === filter.approvals);
  if (has("grants")) out.grants = byKey(state.grants).map((grant) => ({ ...grant, revoked: state.revoked.has(grant.jti) }));
  if (has("invites")) out.invites = byKey(state.invites);
  if (has("policies")) out.policies = byKey(state.policies);
  // The team, epoch and spend of each coalition (the web app draws them on its work graph); votes stay in the log.
  if (has("coalitions")) out.coalitions = byKey(state.coalitions).map(({ votes, ...coalition }) => ({ ...coalition, votes: votes.length }));
  if (has("locks")) out.locks = [...locks].sort((a, b) => (a.resource < b.resource ? -1 : 1));
  return out;
}

/** A weak ETag: the committed frontier and the locks' version are all a view depends on. */
export function viewEtag(frontier: number, locksVersion: number): string {
  return `W/"${frontier}.${locksVersion}"`;
}
