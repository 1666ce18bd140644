/**
 * Work: the queue from the read model (state, claimant, domains, age) and the graph of who
 * holds which item, its handoffs, dependencies and coalitions (./graph.ts). The coalitions
 * are the read model's committed `coalitions` section.
 */
import { h } from "preact";
import { hlcWallTime } from "../../../core/log/hlc.js";
import type { SpaceNode } from "../space-node.js";
import { Graph, type CoalitionRow } from "./graph.js";

function age(node: SpaceNode, id: string, now: number): string {
  const envelope = node.held.get(id as never);
  if (envelope === undefined) return "";
  const minutes = Math.max(0, Math.round((now - hlcWallTime(envelope.hlc)) / 60_000));
  return minutes < 60 ? `${minutes}m` : minutes < 2880 ? `${Math.round(minutes / 60)}h` : `${Math.round(minutes / 1440)}d`;
}

export function Work({ node }: { node: SpaceNode }) {
  const work = node.view.value?.work ?? [];
  const coalitions = (node.view.value as { coalitions?: CoalitionRow[] } | null)?.coalitions ?? [];
  const now = Date.now();
  return h("section", { class: "work", "data-testid": "work" },
    h("h2", null, "Work"),
    work.length === 0 ? h("p", { class: "quiet" }, "No work items yet.") :
      h("table", null,
        h("thead", null, h("tr", null, ["item", "state", "claimant", "domains", "age"].map((c) => h("th", { key: c }, c)))),
        h("tbody", null, work.map((w) => h("tr", { key: w.id, "data-testid": "work-item" },
          h("td", null, w.title), h("td", { class: w.status }, w.status), h("td", null, w.claimant ? node.nameOf(w.claimant) : "—"),
          h("td", null, w.domains.join(", ")), h("td", null, age(node, w.id, now)),
        ))),
      ),
    work.length > 0 || coalitions.length > 0 ? h(Graph, { node, work, coalitions }) : null,
  );
}
