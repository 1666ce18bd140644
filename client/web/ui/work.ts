/**
 * Work: the queue from the read model (state, claimant, domains, age) and a small graph of
 * who holds which item: members on the left, items on the right, an edge per claim and a
 * dashed edge from whoever created an item (a handoff shows as a claimant other than the
 * creator).
 */
import { h } from "preact";
import { hlcWallTime } from "../../../core/log/hlc.js";
import type { SpaceNode, View } from "../space-node.js";

function age(node: SpaceNode, id: string, now: number): string {
  const envelope = node.held.get(id as never);
  if (envelope === undefined) return "";
  const minutes = Math.max(0, Math.round((now - hlcWallTime(envelope.hlc)) / 60_000));
  return minutes < 60 ? `${minutes}m` : minutes < 2880 ? `${Math.round(minutes / 60)}h` : `${Math.round(minutes / 1440)}d`;
}

function Graph({ node, work }: { node: SpaceNode; work: View["work"] }) {
  const people = [...new Set(work.flatMap((w) => [w.createdBy, ...(w.claimant ? [w.claimant] : [])]))];
  const rowH = 28;
  const height = Math.max(people.length, work.length) * rowH + 10;
  const y = (i: number) => 20 + i * rowH;
  return h("svg", { class: "graph", "data-testid": "work-graph", width: "100%", height, viewBox: `0 0 560 ${height}` },
    work.flatMap((w, i) => [
      h("line", { key: `c${w.id}`, x1: 130, y1: y(people.indexOf(w.createdBy)), x2: 330, y2: y(i), class: "created" }),
      w.claimant ? h("line", { key: `h${w.id}`, x1: 130, y1: y(people.indexOf(w.claimant)), x2: 330, y2: y(i), class: `claim ${w.status}` }) : null,
    ]),
    people.map((p, i) => h("text", { key: p, x: 125, y: y(i) + 4, "text-anchor": "end" }, node.nameOf(p))),
    work.map((w, i) => h("text", { key: w.id, x: 335, y: y(i) + 4, class: w.status }, `${w.title.slice(0, 24)} · ${w.status}`)),
  );
}

export function Work({ node }: { node: SpaceNode }) {
  const work = node.view.value?.work ?? [];
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
    work.length > 0 ? h(Graph, { node, work }) : null,
  );
}
