/**
 * Attention: only what needs me, one row per item, updated in place. What counts is the
 * edge's `GET /log?attention=<me>` (approval requests I may decide, mentions, escalations;
 * core/log/query.ts) joined with the read model's approval status, so a decided request
 * leaves the list. Approve and reject each sign one `approval.decided` here, showing the
 * exact arguments the decision binds to.
 *
 * An escalation is a tool call waiting for an approval I may give, or an agent putting a
 * work item before me: a message written for an agent member, in the item's thread,
 * mentioning me (the rules brain's circular deferral and under-claiming, docs/AGENTS.md).
 * Those are one row per item however many agents asked, showing the item's state as it
 * moves; "Take it" claims it from the row.
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { actorOf } from "../../../core/log/actor.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { WireEnvelope } from "../../../core/log/replica.js";
import { read } from "../edge.js";
import type { SpaceNode } from "../space-node.js";
import { readable } from "./channel.js";

interface Row {
  id: EnvelopeId;
  envelope: WireEnvelope;
}

export function Attention({ node }: { node: SpaceNode }) {
  // Asked again when the committed state moves (every commit sends view.changed), not per envelope.
  const view = node.view.value;
  const [rows, setRows] = useState<Row[]>([]);
  const [deciding, setDeciding] = useState<Set<string>>(new Set());
  useEffect(() => {
    let live = true;
    void (async () => {
      const token = await node.doorToken();
      const { envelopes } = await read<{ envelopes: Row[] }>(`/s/${node.space}/log?attention=${encodeURIComponent(node.signer.did)}&limit=200`, token);
      if (live) setRows(envelopes);
    })().catch(() => undefined); // offline: keep the rows shown; the next change asks again
    return () => void (live = false);
  }, [view]);
  const approvals = new Map((view?.approvals ?? []).map((a) => [a.id, a]));
  const decide = async (id: EnvelopeId, decision: "approved" | "rejected") => {
    setDeciding(new Set([...deciding, id]));
    await node.write("approval.decided", { request: id, decision });
  };
  const shown = rows.filter(({ id, envelope }) => envelope.type !== "approval.requested" || approvals.get(id)?.status === "pending");
  const items = new Map((view?.work ?? []).map((w) => [w.id as string, w]));
  const agents = new Set((view?.members ?? []).filter((m) => m.role === "agent").map((m) => m.did as string));
  const aboutItem = (envelope: WireEnvelope): string | undefined => {
    if (envelope.type !== "channel.message" || !agents.has(actorOf(envelope))) return undefined;
    const item = envelope.body.threadRef;
    return item !== undefined && items.has(item) ? item : undefined;
  };
  const escalated = new Set<string>();
  return h("section", { class: "attention", "data-testid": "attention" },
    h("h2", null, "Needs you"),
    shown.length === 0 ? h("p", { class: "quiet" }, "Nothing needs you.") : null,
    h("ul", null, shown.map(({ id, envelope }) => {
      if (envelope.type === "approval.requested") {
        const { action, expiresAt } = envelope.body;
        const busy = deciding.has(id);
        return h("li", { key: id, class: "approval", "data-testid": "approval", "data-id": id },
          h("strong", null, action.summary), ` · ${action.tool} · asked by ${node.nameOf(envelope.body.actor ?? envelope.author)} · until ${expiresAt}`,
          h("pre", { "data-testid": "approval-params" }, JSON.stringify(action.params, null, 2)),
          h("button", { disabled: busy, onClick: () => decide(id, "approved") }, "Approve"),
          h("button", { disabled: busy, class: "reject", onClick: () => decide(id, "rejected") }, "Reject"),
          busy ? h("span", { class: "quiet" }, " decision signed, waiting for the commit…") : null,
        );
      }
      const itemId = aboutItem(envelope);
      if (itemId !== undefined) {
        if (escalated.has(itemId)) return null; // one row per item: the first ask stands for the others
        escalated.add(itemId);
        const item = items.get(itemId)!;
        const state = item.status === "open" ? "open: nobody holds it" : item.status === "claimed" ? `claimed by ${node.nameOf(item.claimant ?? "")}` : "completed";
        return h("li", { key: itemId, class: `escalation ${item.status}`, "data-testid": "escalation", "data-item": itemId },
          `Escalation from ${node.nameOf(actorOf(envelope))} about `, h("strong", null, item.title), ": ",
          h("span", { class: "quiet" }, readable(node, (envelope.body as { content: string }).content)), " ",
          h("span", { class: "state", "data-testid": "escalation-state" }, state),
          item.status === "open" ? h("button", { onClick: () => void node.write("work.claimed", { item: item.id }) }, "Take it") : null,
        );
      }
      if (envelope.type === "channel.message") {
        const escalation = envelope.body.toolCalls?.some((call) => call.result === "pending_approval");
        return h("li", { key: id, class: escalation ? "escalation" : "mention", "data-testid": escalation ? "escalation" : "mention" },
          `${escalation ? "Escalation" : "Mention"} from ${node.nameOf(actorOf(envelope))}: `, readable(node, envelope.body.content));
      }
      return h("li", { key: id }, envelope.type);
    })),
  );
}
