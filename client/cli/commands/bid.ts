/**
 * `commons bid`: contract-net claiming on the local copy (docs/COORDINATION.md "Markets").
 * `call` puts an open item to market with a deadline; members bid on it until then; `award`
 * (after the deadline) names the winner the award rule computes from the committed bids,
 * and the winner holds the claim. Deadlines are compared with the envelopes' HLC stamps.
 */
import type { SpaceId } from "../../../core/ids.js";
import { awardOf } from "../../../core/state/market.js";
import type { SpaceState } from "../../../core/views/state.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, shortDid, shortId } from "../common.js";
import { arity, bool, positiveInt, space, str, unknownAction, usage, type CommandSpec, type Values } from "../spec.js";
import { writeOnCopy } from "./coalition.js";

type Input =
  | { space: SpaceId; action: "bid"; item: string; cost: number; eta: number; confidence: number; note?: string }
  | { space: SpaceId; action: "call"; item: string; inSeconds: number; criteria?: string; maxCost?: number; dueInSeconds?: number }
  | { space: SpaceId; action: "award"; item: string; json: boolean }
  | { space: SpaceId; action: "show"; item: string; json: boolean };

const ACTIONS = ["call", "show", "award"] as const;

const itemId = (state: SpaceState, spaceName: SpaceId, text: string) => resolveId(`commons work ${spaceName} ls`, text, state.work.keys(), "work item");

function number(values: Values, flag: string, min: number, max: number): number {
  const text = str(values, flag);
  const value = text === undefined ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || value < min || value > max) throw usage("bid", `--${flag} takes a number from ${min} to ${max}.`);
  return value;
}

const bid: CommandSpec<Input> = {
  name: "bid",
  summary: "Bid on a market work item; call for bids on one, see its bids, award it",
  usage: [
    "bid <space> <item> --cost <units> --eta <seconds> --confidence <0-1> [--note <text>]",
    "bid <space> call <item> --in <seconds> [--criteria <text>] [--max-cost <units>] [--due-in <seconds>]",
    "bid <space> show <item> [--json]",
    "bid <space> award <item>",
  ],
  details:
    "A bid counts when it is stamped at or before the deadline and committed before the award. The award rule: lowest cost wins; ties go to the shorter estimate, then the higher confidence, then the smaller bid id. Once bids are called, the item can no longer be claimed directly. At the deadline the edge posts the award itself and tells the bidders in the item's thread; `award` does it sooner where no edge sequences (a node hosting the space).",
  examples: ["commons bid incident-42 call 3fa9c1 --in 300 --max-cost 50", "commons bid incident-42 3fa9c1 --cost 12 --eta 900 --confidence 0.8", "commons bid incident-42 award 3fa9c1"],
  options: {
    cost: { type: "string" }, eta: { type: "string" }, confidence: { type: "string" }, note: { type: "string" }, in: { type: "string" },
    criteria: { type: "string" }, "max-cost": { type: "string" }, "due-in": { type: "string" }, json: { type: "boolean" },
  },
  actions: ACTIONS,
  parse(positionals, values) {
    const name = space("bid", positionals[0]);
    const first = positionals[1];
    if (first === undefined) throw usage("bid", "Name the work item to bid on (or call, show, award).");
    if (first === "call") {
      arity("bid", positionals, 3, 3);
      const inSeconds = positiveInt("bid", "in", str(values, "in"), 7 * 24 * 3600);
      if (inSeconds === undefined) throw usage("bid", "call needs --in <seconds>: how long bidding stays open.");
      const criteria = str(values, "criteria");
      const maxCost = values["max-cost"] === undefined ? undefined : number(values, "max-cost", 0, 1_000_000_000);
      const dueInSeconds = positiveInt("bid", "due-in", str(values, "due-in"), 365 * 24 * 3600);
      return { space: name, action: "call", item: positionals[2]!, inSeconds, ...(criteria ? { criteria } : {}), ...(maxCost !== undefined ? { maxCost } : {}), ...(dueInSeconds ? { dueInSeconds } : {}) };
    }
    if (first === "award" || first === "show") return arity("bid", positionals, 3, 3), { space: name, action: first, item: positionals[2]!, json: bool(values, "json") };
    // Anything else is the item to bid on: an id or a unique hex prefix of one (`commons work <space> ls`).
    if (!/^(sha256:)?[0-9a-f]{4,64}$/.test(first)) throw unknownAction("bid", first, ACTIONS, " (or a work item id to bid on, from commons work <space> ls)");
    arity("bid", positionals, 2, 2);
    const note = str(values, "note");
    return {
      space: name, action: "bid", item: first, cost: Math.floor(number(values, "cost", 0, 1_000_000_000)), eta: Math.floor(number(values, "eta", 0, 365 * 24 * 3600)),
      confidence: number(values, "confidence", 0, 1), ...(note ? { note } : {}),
    };
  },
  async run(input, io) {
    if (input.action === "show") {
      return open(io, input.space, { lock: false }, (local) => {
        const state = localView(local).committed;
        const market = state.markets.get(itemId(state, input.space, input.item));
        if (market === undefined) {
          io.err("no committed call for bids on this item: it is first-claim-wins (`commons bid <space> call <item> --in <seconds>` puts it to market)");
          return 1;
        }
        const leading = awardOf(market);
        if (input.json) io.out(JSON.stringify({ ...market, leading: leading ?? null }));
        else {
          io.out(`${market.status}  deadline ${market.deadline}${market.maxCost !== undefined ? `  max cost ${market.maxCost}` : ""}  ${market.bids.length} bids${market.winner ? `  won by ${market.winner}` : ""}`);
          for (const b of market.bids) io.out(`  ${shortId(b.id)}  ${shortDid(b.bidder).padEnd(14)} cost ${b.cost}  eta ${b.eta}s  confidence ${b.confidence}${b.id === leading?.id ? "  ← leading" : ""}`);
        }
        return 0;
      });
    }
    if (input.action === "call") {
      return writeOnCopy(io, input.space, "work.bids_called", (local) => {
        const deadline = Date.now() + input.inSeconds * 1000;
        return {
          item: itemId(localView(local).current, input.space, input.item), deadline: new Date(deadline).toISOString(),
          ...(input.criteria ? { criteria: input.criteria } : {}), ...(input.maxCost !== undefined ? { maxCost: input.maxCost } : {}),
          ...(input.dueInSeconds ? { dueBy: new Date(deadline + input.dueInSeconds * 1000).toISOString() } : {}),
        };
      });
    }
    if (input.action === "award") {
      return writeOnCopy(io, input.space, "work.awarded", (local) => {
        const state = localView(local).committed;
        const item = itemId(state, input.space, input.item);
        const best = state.markets.get(item) === undefined ? undefined : awardOf(state.markets.get(item)!);
        return { item, ...(best === undefined ? {} : { winner: best.bidder, bid: best.id }) };
      });
    }
    return writeOnCopy(io, input.space, "work.bid", (local) => ({
      item: itemId(localView(local).current, input.space, input.item), cost: input.cost, eta: input.eta, confidence: input.confidence, ...(input.note ? { note: input.note } : {}),
    }));
  },
};

export const bidCommands = [bid] as CommandSpec[];
