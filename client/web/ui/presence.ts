/**
 * Presence: who is here (the awareness states bound to verified dids, named by the committed
 * membership), human or agent, and their mode; and my own mode, which others see at once.
 */
import { h } from "preact";
import type { SpaceNode } from "../space-node.js";
import type { Mode, YjsLink } from "../yjs-link.js";

const MODES: Mode[] = ["active", "monitoring", "away"];

export function Presence({ node, yjs }: { node: SpaceNode; yjs: YjsLink }) {
  const me = node.signer.did;
  const byDid = new Map<string, { id: string; mode: Mode; kind: string }>();
  for (const p of yjs.participants.value) byDid.set(p.id, p);
  const members = new Map((node.view.value?.members ?? []).map((m) => [m.did, m]));
  return h("section", { class: "presence", "data-testid": "presence" },
    h("h2", null, "Here"),
    h("ul", null, [...byDid.values()].map((p) => {
      const member = members.get(p.id as never);
      const kind = member ? (member.role === "agent" ? "agent" : "human") : p.kind;
      return h("li", { key: p.id, "data-testid": "participant", "data-did": p.id, "data-mode": p.mode },
        h("span", { class: `dot ${p.mode}` }), node.nameOf(p.id), ` · ${kind} · `, h("span", { class: "mode" }, p.mode), p.id === me ? " (you)" : "");
    })),
    h("label", null, "My mode ",
      h("select", { name: "mode", value: yjs.mode.value, onChange: (e: Event) => yjs.setMode((e.target as HTMLSelectElement).value as Mode) },
        MODES.map((m) => h("option", { key: m, value: m }, m)))),
  );
}
