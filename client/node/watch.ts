/**
 * What needs me, as items whose state changes: `commons watch`. Four kinds, all read from
 * the local copy (committed state plus the tentative overlay, client/node/local-view.ts):
 *
 * - `approval`: requests I may decide (naming me or my role), pending → approved / rejected / expired;
 * - `mention`: messages that mention me, tentative → committed;
 * - `escalation`: tool calls waiting for an approval I may give, following that approval; and
 *   an agent putting a work item before me (a message written for an agent member, in the
 *   item's thread, mentioning me: the rules brain's circular deferral or under-claiming),
 *   following the item until someone holds it — one line per item, however many agents ask;
 * - `blocked`: my own claims the space refused (another member holds the item), and my
 *   tool calls waiting for someone's approval — until the item is mine, open again, or decided.
 *
 * `update()` returns only the items whose state changed since the last call. New items are
 * found past an arrival cursor (core/log/query.ts: the attention index, and my claims and
 * requests by type), so the work per change is what arrived since plus the open items, never
 * the whole log.
 */
import type { Did } from "../../core/identity/did.js";
import { actorOf } from "../../core/log/actor.js";
import type { Envelope } from "../../core/log/envelope.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { SpaceState } from "../../core/views/state.js";
import type { LocalSpace } from "./local-space.js";
import { localView } from "./local-view.js";

export type AttentionKind = "approval" | "mention" | "escalation" | "blocked";

export interface AttentionItem {
  id: EnvelopeId;
  kind: AttentionKind;
  /** What it is about, one line (names resolved by the caller's `who`). */
  what: string;
  state: string;
  /** No further change will be reported for it. */
  final: boolean;
}

type Who = (did: string) => string;

/** An item that turned out never to need me (a claim that simply succeeded): forgotten unshown. */
const DROP = Symbol("drop");

interface Tracked {
  kind: AttentionKind;
  envelope: Envelope;
  shown: string | null;
}

export class AttentionWatch {
  #attentionCursor = 0;
  #ownCursor = 0;
  readonly #open = new Map<EnvelopeId, Tracked>();
  /** Items an agent's escalation is already shown for (the first ask stands for the others). */
  readonly #escalated = new Set<string>();

  constructor(private readonly local: LocalSpace, private readonly me: Did) {}

  /** The items that are new or changed since the last call, in arrival order. */
  update(who: Who, now = Date.now()): AttentionItem[] {
    const view = localView(this.local);
    this.#collect(view.current);
    const changed: AttentionItem[] = [];
    for (const [id, tracked] of this.#open) {
      const judged = this.#judge(id, tracked, view.current, view.tentative, who, now);
      if (judged === null) continue; // not (yet) something that needs me
      if (judged === DROP) {
        this.#open.delete(id); // never blocked: nothing to show
        continue;
      }
      if (judged.final) this.#open.delete(id);
      if (judged.state === tracked.shown) continue;
      tracked.shown = judged.state;
      changed.push({ id, kind: tracked.kind, ...judged, what: describe(tracked, view.current, who) });
    }
    return changed;
  }

  /** New attention envelopes, and my own claims and requests, since the cursors. */
  #collect(state: SpaceState): void {
    for (let more = true; more;) {
      const page = this.local.replica.query({ since: this.#attentionCursor, attention: this.me, limit: 1000 });
      for (const { id, envelope } of page.envelopes) {
        const item = escalatedItem(envelope, state);
        if (item !== undefined && this.#escalated.has(item)) continue;
        if (item !== undefined) this.#escalated.add(item);
        const kind: AttentionKind = envelope.type === "approval.requested" ? "approval" : item !== undefined || isEscalation(envelope) ? "escalation" : "mention";
        if (!this.#open.has(id)) this.#open.set(id, { kind, envelope, shown: null });
      }
      this.#attentionCursor = page.nextCursor;
      more = page.hasMore;
    }
    for (let more = true; more;) {
      const page = this.local.replica.query({ since: this.#ownCursor, type: ["work.claimed", "approval.requested"], limit: 1000 });
      for (const { id, envelope } of page.envelopes) if (actorOf(envelope) === this.me) this.#open.set(id, { kind: "blocked", envelope, shown: null });
      this.#ownCursor = page.nextCursor;
      more = page.hasMore;
    }
  }

  #judge(id: EnvelopeId, tracked: Tracked, current: SpaceState, tentative: ReturnType<typeof localView>["tentative"], who: Who, now: number): { state: string; final: boolean } | null | typeof DROP {
    const { envelope } = tracked;
    const status = this.local.replica.status(id);
    if (status.state === "committed" && status.verdict === "rejected" && tracked.kind !== "blocked") return { state: `refused: ${status.reason ?? ""}`, final: true };
    if (envelope.type === "approval.requested") return approvalState(current, id, who, now, tracked.kind === "blocked");
    if (envelope.type === "work.claimed") {
      const item = current.work.get(envelope.body.item);
      const refused = status.state === "committed" && status.verdict === "rejected" ? status.reason : tentative.get(id)?.verdict === "rejected" ? tentative.get(id)?.reason : undefined;
      if (item?.claimant === this.me) return tracked.shown === null ? DROP : { state: "resolved: you hold it", final: true };
      if (item?.status === "completed") return tracked.shown === null ? DROP : { state: `resolved: completed by ${who(item.completedBy ?? "")}`, final: true };
      if (refused === undefined && item?.claimant === undefined) return tracked.shown === null ? null : { state: "open again: claim it anew", final: true };
      return { state: `blocked: ${item?.claimant ? `held by ${who(item.claimant)}` : (refused ?? "refused")}`, final: false };
    }
    const approval = envelope.type === "channel.message" ? envelope.body.approval : undefined;
    if (tracked.kind === "escalation" && approval !== undefined && current.approvals.has(approval)) return approvalState(current, approval, who, now, false);
    const item = escalatedItem(envelope, current);
    if (tracked.kind === "escalation" && item !== undefined) return itemState(current, item, who);
    return status.state === "committed" ? { state: `committed #${status.index}`, final: true } : { state: status.state, final: false };
  }
}

function approvalState(state: SpaceState, id: EnvelopeId, who: Who, now: number, mine: boolean): { state: string; final: boolean } | null {
  const request = state.approvals.get(id);
  if (request === undefined) return null; // not in the view yet (or rejected on arrival)
  if (request.status !== "pending") return { state: `${request.status} by ${who(request.decidedBy ?? "")}${request.reason ? `: ${request.reason}` : ""}`, final: true };
  if (Date.parse(request.expiresAt) < now) return { state: "expired", final: true };
  return { state: mine ? `waiting for ${who(request.approver)} to approve` : `pending: yours to decide until ${request.expiresAt.slice(0, 16).replace("T", " ")}`, final: false };
}

/** An agent's escalation of a work item (see the header): the item, else undefined. */
function escalatedItem(envelope: Envelope, state: SpaceState): string | undefined {
  if (envelope.type !== "channel.message" || state.members.get(actorOf(envelope))?.role !== "agent") return undefined;
  const item = envelope.body.threadRef;
  return item !== undefined && state.work.has(item) ? item : undefined;
}

function itemState(state: SpaceState, id: string, who: Who): { state: string; final: boolean } {
  const item = state.work.get(id as EnvelopeId)!;
  if (item.status === "open") return { state: `open: "${item.title}" needs an owner`, final: false };
  return { state: item.status === "claimed" ? `resolved: claimed by ${who(item.claimant ?? "")}` : `resolved: completed by ${who(item.completedBy ?? "")}`, final: true };
}

function isEscalation(envelope: Envelope): boolean {
  return envelope.type === "channel.message" && (envelope.body.toolCalls ?? []).some((call) => call.result === "pending_approval");
}

function describe({ envelope }: Tracked, state: SpaceState, who: Who): string {
  const by = who(actorOf(envelope));
  switch (envelope.type) {
    case "approval.requested": return `${envelope.body.action.summary} (${envelope.body.action.tool}) for ${by}`;
    case "work.claimed": return `claim of ${JSON.stringify(state.work.get(envelope.body.item)?.title ?? envelope.body.item.replace(/^sha256:/, "").slice(0, 12))}`;
    case "channel.message": return `${by}: ${JSON.stringify(envelope.body.content.length > 80 ? `${envelope.body.content.slice(0, 80)}…` : envelope.body.content)}`;
    default: return envelope.type;
  }
}
