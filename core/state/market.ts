/**
 * Markets in the committed state: a work item with a call for bids, its committed bids and
 * its award (core/log/types/market.ts), and the award rule every replica applies to them.
 *
 * The award rule (docs/COORDINATION.md): of the committed bids — each already judged to
 * meet the call (cost within `maxCost`, done by `dueBy`) — the lowest cost wins; ties go to
 * the shorter estimate, then the higher confidence, then the smaller bid envelope id (a
 * hash: no bidder chooses it). It reads only committed data, so it is the same everywhere.
 */
import type { Did } from "../identity/did.js";
import { onBehalfOf } from "../log/actor.js";
import type { Envelope, EnvelopeOf } from "../log/envelope.js";
import type { OneOf } from "./coalition.js";
import type { EnvelopeId, WorkItemId } from "../log/ids.js";
import type { SpaceState } from "../views/state.js";

export interface Bid {
  id: EnvelopeId;
  bidder: Did;
  cost: number;
  eta: number;
  confidence: number;
}

export interface Market {
  item: WorkItemId;
  called: EnvelopeId;
  calledBy: Did;
  deadline: string;
  criteria?: string;
  maxCost?: number;
  dueBy?: string;
  status: "open" | "awarded";
  /** Committed bids in commit order (one per bidder). */
  bids: Bid[];
  winner?: Did;
  bid?: EnvelopeId;
  award?: EnvelopeId;
}

export type MarketType = "work.bids_called" | "work.bid" | "work.awarded";

/**
 * The deadline's own award (core/mcp/market-alarm.ts): a `work.awarded` the space's tool
 * host (its sequencer) wrote in its own name. No member called a tool for it, so no policy
 * tier applies; it is judged by the award rule alone (core/policy/coalition-rule.ts).
 */
export function isDeadlineAward(envelope: Envelope, sequencer: Did | undefined): boolean {
  return envelope.type === "work.awarded" && sequencer !== undefined && envelope.author === sequencer && onBehalfOf(envelope) === undefined;
}

export function isMarketEnvelope(envelope: Envelope): envelope is OneOf<MarketType> {
  return envelope.type === "work.bids_called" || envelope.type === "work.bid" || envelope.type === "work.awarded";
}

/** The winning bid by the award rule; undefined when there are no bids. */
export function awardOf(market: Pick<Market, "bids">): Bid | undefined {
  let best: Bid | undefined;
  for (const bid of market.bids) if (best === undefined || better(bid, best)) best = bid;
  return best;
}

function better(a: Bid, b: Bid): boolean {
  if (a.cost !== b.cost) return a.cost < b.cost;
  if (a.eta !== b.eta) return a.eta < b.eta;
  if (a.confidence !== b.confidence) return a.confidence > b.confidence;
  return a.id < b.id;
}

/** One fold step for a market type (judged accepted by core/policy/coalition-rule.ts). */
export function applyMarket(state: SpaceState, id: EnvelopeId, actor: Did, envelope: OneOf<MarketType>): void {
  if (envelope.type === "work.bids_called") {
    const { item, deadline, criteria, maxCost, dueBy } = envelope.body;
    state.markets.set(item, {
      item, called: id, calledBy: actor, deadline, ...(criteria === undefined ? {} : { criteria }),
      ...(maxCost === undefined ? {} : { maxCost }), ...(dueBy === undefined ? {} : { dueBy }), status: "open", bids: [],
    });
    state.work.get(item)?.history.push(id);
    return;
  }
  const market = state.markets.get(envelope.body.item);
  if (market === undefined) return;
  if (envelope.type === "work.bid") {
    const { cost, eta, confidence } = envelope.body;
    market.bids.push({ id, bidder: actor, cost, eta, confidence });
    return;
  }
  const { winner, bid } = envelope.body as EnvelopeOf<"work.awarded">["body"];
  market.status = "awarded";
  market.award = id;
  const item = state.work.get(market.item);
  item?.history.push(id);
  if (winner === undefined || bid === undefined) return;
  market.winner = winner;
  market.bid = bid;
  // The winner holds the claim, exactly as a committed claim would.
  if (item !== undefined) {
    item.status = "claimed";
    item.claimant = winner;
    item.claim = id;
  }
}
