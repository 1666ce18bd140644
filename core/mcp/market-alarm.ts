/**
 * The deadline's own award (docs/COORDINATION.md "Markets"): when a call for bids' deadline
 * passes, the tool host — the replica that sequences, in its own name — writes the
 * `work.awarded` the award rule computes from the committed bids, and every award, however
 * it was posted, is told in the channel: the winner, the bidders who lost, and the caller.
 *
 * The host's award is judged like any other (core/policy/coalition-rule.ts): its stamp must
 * be at or after the deadline and it must name exactly `awardOf`'s winner, so it is what
 * every replica computes from the same commits; a node offline meanwhile folds the same
 * award when it syncs. A member's `award_work` committed first closes the market, and the
 * alarm then finds nothing open and writes nothing.
 *
 * Open deadlines are indexed in the replica's SQL (`market_deadlines`, keyed by item,
 * ordered by time), fed from commits, so finding the next one is one indexed read, never a
 * scan of the log or of every market.
 */
import type { Did } from "../identity/did.js";
import type { WorkItemId } from "../log/ids.js";
import { awardOf } from "../state/market.js";
import type { SqlStorage } from "../storage/sql.js";
import type { LogEntry } from "../views/causal.js";
import type { SpaceState } from "../views/state.js";
import type { Once } from "./approvals.js";
import type { ToolHost } from "./tool-host.js";

/** Mentions a channel message may carry (core/log/types/channel.ts). */
const MAX_MENTIONS = 64;

/** The open calls for bids by deadline, in the replica's SQL. */
export class MarketDeadlines {
  private backfilled: boolean;

  constructor(private readonly sql: SqlStorage) {
    const existed = sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'market_deadlines'`).length > 0;
    sql.exec(`CREATE TABLE IF NOT EXISTS market_deadlines (item TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS market_deadlines_at ON market_deadlines (at)`);
    // A replica whose table is new (this code's first start on an older store, or a rebuilt
    // one) indexes the markets already open once, from the committed state (see `backfill`).
    this.backfilled = existed;
  }

  /** Indexes the open markets of `state` once, when the table was just made. */
  backfill(state: SpaceState): void {
    if (this.backfilled) return;
    this.backfilled = true;
    for (const market of state.markets.values()) if (market.status === "open") this.open(market.item, Date.parse(market.deadline));
  }

  /** Follows freshly committed, accepted envelopes: calls open a deadline, awards close it. Returns the deadlines opened. */
  note(accepted: readonly LogEntry[]): number[] {
    const opened: number[] = [];
    for (const { envelope } of accepted) {
      if (envelope.type === "work.bids_called") {
        const at = Date.parse(envelope.body.deadline);
        this.open(envelope.body.item, at);
        opened.push(at);
      } else if (envelope.type === "work.awarded") this.close(envelope.body.item);
    }
    return opened;
  }

  /** The earliest open deadline (ms), or null. */
  next(): number | null {
    const [row] = this.sql.exec<{ at: number }>(`SELECT at FROM market_deadlines ORDER BY at LIMIT 1`);
    return row === undefined ? null : Number(row.at);
  }

  /** Items whose deadline is at or before `now`, earliest first. */
  due(now: number): WorkItemId[] {
    return this.sql.exec<{ item: string }>(`SELECT item FROM market_deadlines WHERE at <= ? ORDER BY at, item`, now).map((row) => row.item as WorkItemId);
  }

  close(item: WorkItemId): void {
    this.sql.exec(`DELETE FROM market_deadlines WHERE item = ?`, item);
  }

  private open(item: WorkItemId, at: number): void {
    this.sql.exec(`INSERT OR REPLACE INTO market_deadlines (item, at) VALUES (?, ?)`, item, at);
  }
}

/**
 * Awards every market whose deadline has passed and is still open in the committed state.
 * Each item leaves the index whatever happens: where this replica does not sequence (a node
 * hosts the space) or its award is refused, a member awards it, and no wake repeats forever.
 */
export async function awardDue(host: ToolHost, deadlines: MarketDeadlines): Promise<void> {
  // Only the sequencer's award is the host's (core/state/market.ts `isDeadlineAward`).
  const sequences = host.committed().sequencer === host.hostDid;
  for (const item of deadlines.due(host.now())) {
    deadlines.close(item);
    if (!sequences) continue;
    // Twice at most: a bid still waiting to be sequenced commits in the same run as the
    // first award, ahead of it, and the second award is computed with it.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const market = host.committed().markets.get(item);
      if (market?.status !== "open") break;
      const best = awardOf(market);
      const written = await host.write("work.awarded", { item, ...(best === undefined ? {} : { winner: best.bidder, bid: best.id }) });
      if (written.status.state !== "committed" || written.status.verdict === "accepted") break;
      if (attempt === 2) console.error(`market ${item}: the deadline's award was ${JSON.stringify(written.status)}; a member awards it with award_work`);
    }
  }
}

/** Tells each freshly committed award in the channel, once: the winner, the losers and the caller are mentioned. */
export async function tellAwards(host: ToolHost, accepted: readonly LogEntry[], once: Once): Promise<void> {
  for (const { id, envelope } of accepted) {
    if (envelope.type !== "work.awarded") continue;
    const state = host.committed();
    const market = state.markets.get(envelope.body.item);
    if (market === undefined) continue;
    await once(`award:${id}`, async () => void (await host.write("channel.message", awardNotice(state, market.item))));
  }
}

function awardNotice(state: SpaceState, item: WorkItemId) {
  const market = state.markets.get(item)!;
  const title = state.work.get(item)?.title ?? item;
  const winning = market.bids.find((bid) => bid.id === market.bid);
  const losers = market.bids.filter((bid) => bid.id !== market.bid).map((bid) => bid.bidder);
  const mentions = [...new Set<Did>([...(winning ? [winning.bidder] : []), ...losers, market.calledBy])].slice(0, MAX_MENTIONS);
  const content = winning === undefined
    ? `🏷 "${title}": bidding closed at ${market.deadline} with no bids; the item is open to the first claim again (claim_work_item)`
    : `🏷 "${title}": awarded to ${winning.bidder} (bid ${winning.id}: ${winning.cost} units, ${winning.eta} s, confidence ${winning.confidence}), who holds the claim.` +
      (losers.length === 0 ? "" : ` Not awarded: ${losers.join(", ")}.`);
  return { content: content.slice(0, 32_000), mentions, threadRef: item };
}
