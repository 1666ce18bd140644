/**
 * The evidence timeline: scrub through commit indexes and see the space at that consistent
 * cut, folded here from the envelopes this browser holds with the same code as
 * `commons replay --at <index>` (core/views/build.ts: the causal past of the receipt that
 * stamped the index); what changed since the previous point; and who did what, through
 * which tool, under which decision.
 */
import { h } from "preact";
import { useMemo, useState } from "preact/hooks";
import { actorOf } from "../../../core/log/actor.js";
import type { Envelope } from "../../../core/log/envelope.js";
import { cutAtCommitIndex, replay, viewSnapshot } from "../../../core/views/build.js";
import type { SpaceNode } from "../space-node.js";

function what(envelope: Envelope): string {
  switch (envelope.type) {
    case "channel.message":
      return envelope.body.toolCalls?.length ? `ran ${envelope.body.toolCalls.map((c) => `${c.tool} (${c.result})`).join(", ")}` : `said "${envelope.body.content.slice(0, 60)}"`;
    case "approval.requested":
      return `asked to run ${envelope.body.action.tool}`;
    case "approval.decided":
      return `${envelope.body.decision} a request`;
    case "work.created":
      return `created work "${envelope.body.title}"`;
    default:
      return envelope.type;
  }
}

export function Timeline({ node }: { node: SpaceNode }) {
  node.version.value;
  const frontier = node.commits.frontier;
  const [at, setAt] = useState<number | null>(null);
  const index = Math.min(at ?? frontier, frontier);
  const entries = () => [...node.held.values()].filter((e) => !node.isUnsent(e.id)).map(({ id, ...envelope }) => ({ id, envelope: envelope as Envelope }));
  const snapshot = useMemo(() => {
    if (index < 1) return null;
    const all = entries();
    const view = replay(all, cutAtCommitIndex(all, index));
    return { view, json: JSON.stringify(viewSnapshot(view)) };
  }, [index, frontier]);
  const committed = node.commits.committed().slice(0, index);
  const recent = committed.slice(-12).reverse();
  const state = snapshot?.view.current;
  return h("section", { class: "timeline", "data-testid": "timeline" },
    h("h2", null, "Timeline"),
    frontier === 0 ? h("p", { class: "quiet" }, "Nothing committed yet.") : h("div", null,
      h("input", { type: "range", name: "at", min: 1, max: frontier, value: index, onInput: (e: Event) => setAt(Number((e.target as HTMLInputElement).value)) }),
      h("span", { "data-testid": "cut-index" }, ` #${index} of ${frontier}`),
      state ? h("p", { "data-testid": "cut-summary" },
        `members: ${[...state.members.values()].map((m) => `${m.name ?? m.did.slice(-6)} (${m.role})`).join(", ")}; `,
        `work: ${[...state.work.values()].map((w) => `${w.title} [${w.status}]`).join("; ") || "none"}; `,
        `approvals: ${[...state.approvals.values()].map((a) => `${a.action.summary} [${a.status}]`).join("; ") || "none"}; `,
        `messages: ${snapshot!.view.channel.messages.length}`) : null,
      h("ol", { class: "evidence", reversed: true }, recent.map((c) => {
        const envelope = node.held.get(c.id);
        return h("li", { key: c.id, class: c.verdict }, `#${c.index} `, envelope ? `${node.nameOf(actorOf(envelope))} ${what(envelope)}` : c.id.slice(0, 16), c.verdict === "rejected" ? ` — rejected: ${c.reason ?? ""}` : "");
      })),
      snapshot ? h("details", null, h("summary", null, "state at this cut (JSON)"), h("pre", { "data-testid": "snapshot" }, snapshot.json)) : null,
    ),
  );
}
