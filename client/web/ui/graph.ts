/**
 * The work graph: who holds what, how work passed between people, what waits for what, and
 * the temporary teams around it. Three columns — members, coalitions, items — and five kinds
 * of edge, each an SVG line with `data-kind` so a test (or a stylesheet) can tell them apart:
 *
 *   created      member → item, dashed: who wrote the item;
 *   claim        member → item: the current claimant;
 *   handoff      member → item: an earlier holder the item passed from (committed claims in
 *                commit order, each change of claimant one handoff);
 *   depends      item → item, an arc on the right: an agent's armed handoff ("when the brief
 *                is ready, George can start visuals": visuals waits for the brief);
 *   member / for member → coalition and coalition → its item: a coalition's current team at
 *                its epoch, from the read model's committed coalition state.
 *
 * Handoffs and dependencies come from envelopes the page holds; a dependency counts only from
 * a trace the tool host wrote (its author the space's sequencer key, as the agents read them:
 * a member's own `trace.recorded` could name anyone).
 */
import { h } from "preact";
import { actorOf } from "../../../core/log/actor.js";
import { matchesThen } from "../../../core/a2a/selection.js";
import type { SpaceNode, View } from "../space-node.js";

type Item = View["work"][number];

/** The part of the read model's `coalitions` section the graph draws (core/state/coalition.ts). */
export interface CoalitionRow {
  id: string;
  name: string;
  item?: string;
  members: string[];
  epoch: number;
  status: "active" | "dissolved";
  spent: number;
}

/** The drawing's columns (viewBox units): it is drawn in a side panel, so it stays narrow. */
const WIDTH = 440, ROW = 26, MEMBER_X = 100, TEAM_X = 166, TEAM_W = 104, ITEM_X = 226, ARC_X = 405;

interface Edge {
  kind: "created" | "claim" | "handoff" | "depends" | "member" | "for";
  from: string;
  to: string;
}

/** Earlier holders of each item: committed, accepted claims in commit order, one per change of claimant. */
function handoffs(node: SpaceNode): Map<string, string[]> {
  const claims: Array<{ item: string; by: string; index: number }> = [];
  for (const [id, envelope] of node.held) {
    if (envelope.type !== "work.claimed") continue;
    const status = node.statusOf(id);
    if (status?.verdict === "accepted" && status.index !== undefined) claims.push({ item: envelope.body.item, by: actorOf(envelope), index: status.index });
  }
  const holders = new Map<string, string[]>();
  for (const claim of claims.sort((a, b) => a.index - b.index)) {
    const chain = holders.get(claim.item) ?? holders.set(claim.item, []).get(claim.item)!;
    if (chain.at(-1) !== claim.by) chain.push(claim.by);
  }
  return new Map([...holders].map(([item, chain]) => [item, chain.slice(0, -1)]));
}

/** Armed handoffs the tool host recorded for an agent: [the item waited for, the item that waits]. */
function dependencies(node: SpaceNode, work: readonly Item[]): Array<[string, string]> {
  // The tool host's keys: the genesis's sequencer and any an owner appointed after it.
  const owners = new Set((node.view.value?.members ?? []).filter((m) => m.role === "owner").map((m) => m.did as string));
  const hosts = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [id, envelope] of node.held) {
    if (envelope.type === "space.created") hosts.add(envelope.body.sequencer ?? envelope.author);
    if (envelope.type === "sequencer.appointed" && owners.has(envelope.author)) hosts.add(envelope.body.sequencer);
    if (envelope.type !== "trace.recorded" || envelope.body.kind !== "agent.handoff-armed" || !hosts.has(envelope.author)) continue;
    if (node.statusOf(id)?.verdict === "rejected") continue;
    const data = (envelope.body.data ?? {}) as { item?: unknown; then?: unknown };
    // A trace may name anything: only one on an item this view holds is drawn.
    if (typeof data.item !== "string" || typeof data.then !== "string" || !work.some((w) => w.id === data.item)) continue;
    const then = data.then;
    for (const w of work) if (w.id !== data.item && matchesThen(then, w)) out.push([data.item, w.id]);
  }
  return out;
}

export function Graph({ node, work, coalitions }: { node: SpaceNode; work: readonly Item[]; coalitions: readonly CoalitionRow[] }) {
  node.version.value; // claims and traces are read from the held envelopes
  const earlier = handoffs(node);
  const teams = coalitions.filter((c) => c.status === "active");
  const people = [...new Set([...work.flatMap((w) => [w.createdBy, ...(earlier.get(w.id) ?? []), ...(w.claimant ? [w.claimant] : [])]), ...teams.flatMap((c) => c.members)])];
  const edges: Edge[] = [];
  for (const w of work) {
    edges.push({ kind: "created", from: w.createdBy, to: w.id });
    for (const from of earlier.get(w.id) ?? []) edges.push({ kind: "handoff", from, to: w.id });
    if (w.claimant) edges.push({ kind: "claim", from: w.claimant, to: w.id });
  }
  for (const [from, to] of dependencies(node, work)) edges.push({ kind: "depends", from, to });
  for (const c of teams) {
    for (const m of c.members) edges.push({ kind: "member", from: m, to: c.id });
    if (c.item !== undefined && work.some((w) => w.id === c.item)) edges.push({ kind: "for", from: c.id, to: c.item });
  }

  const height = Math.max(people.length, work.length, teams.length) * ROW + 10;
  const y = (i: number) => 20 + i * ROW;
  const at = new Map<string, { x: number; y: number }>();
  people.forEach((p, i) => at.set(p, { x: MEMBER_X, y: y(i) }));
  teams.forEach((c, i) => at.set(c.id, { x: TEAM_X, y: y(i) }));
  work.forEach((w, i) => at.set(w.id, { x: ITEM_X, y: y(i) }));
  const line = (e: Edge, i: number) => {
    const a = at.get(e.from)!, b = at.get(e.to)!;
    const data = { key: `${e.kind}${i}`, class: e.kind, "data-testid": "graph-edge", "data-kind": e.kind, "data-from": e.from, "data-to": e.to };
    if (e.kind === "depends") return h("path", { ...data, d: `M ${ARC_X} ${a.y} C ${ARC_X + 30} ${a.y}, ${ARC_X + 30} ${b.y}, ${ARC_X} ${b.y}`, "marker-end": "url(#arrow)" });
    // A coalition's node sits between the columns: its edges end at its box's sides.
    const x1 = e.kind === "for" ? a.x + TEAM_W / 2 : a.x, x2 = e.kind === "member" ? b.x - TEAM_W / 2 : b.x;
    return h("line", { ...data, x1, y1: a.y, x2, y2: b.y });
  };
  return h("svg", { class: "graph", "data-testid": "work-graph", width: "100%", height, viewBox: `0 0 ${WIDTH} ${height}` },
    h("defs", null, h("marker", { id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 6, markerHeight: 6, orient: "auto" }, h("path", { d: "M0,0 L8,4 L0,8 z" }))),
    edges.map(line),
    people.map((p, i) => h("text", { key: p, x: MEMBER_X - 5, y: y(i) + 4, "text-anchor": "end", "data-testid": "graph-member", "data-did": p }, node.nameOf(p).slice(0, 14))),
    teams.map((c, i) => h("g", { key: c.id, class: "coalition", "data-testid": "graph-coalition", "data-id": c.id, "data-epoch": c.epoch },
      h("rect", { x: TEAM_X - TEAM_W / 2, y: y(i) - 11, width: TEAM_W, height: 22, rx: 6 }),
      h("text", { x: TEAM_X, y: y(i) + 4, "text-anchor": "middle" }, `${c.name.length > 9 ? `${c.name.slice(0, 8)}…` : c.name} · e${c.epoch}`),
      h("title", null, `coalition ${c.name}: ${c.members.length} members at epoch ${c.epoch}, ${c.spent} spent`))),
    // The state is the item's colour (app.css), the whole title its tooltip: the labels stay one short line.
    work.map((w, i) => h("text", { key: w.id, x: ITEM_X + 5, y: y(i) + 4, class: w.status, "data-testid": "graph-item", "data-id": w.id, "data-status": w.status },
      w.title.length > 22 ? `${w.title.slice(0, 21)}…` : w.title, h("title", null, `${w.title} · ${w.status}`))),
  );
}
