/**
 * The space, once the door let this browser in: connection state, the channel, what needs
 * me, work, presence, the shared editor (loaded on demand) and the evidence timeline; and,
 * for owners, inviting someone (an `invite.created` signed here; the invite key's seed goes
 * only into the URL's fragment, core/space/invite.ts).
 */
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { decodeBase64url } from "../../../core/identity/encoding.js";
import { encodeInviteUrl } from "../../../core/space/invite.js";
import type { SpaceNode } from "../space-node.js";
import type { YjsLink } from "../yjs-link.js";
import { Attention } from "./attention.js";
import { Channel } from "./channel.js";
import { Presence } from "./presence.js";
import { Work } from "./work.js";

const INVITE_TTL_MS = 24 * 3600_000;

function Invite({ node }: { node: SpaceNode }) {
  const [url, setUrl] = useState<string | null>(null);
  const [role, setRole] = useState<"human" | "agent" | "observer">("human");
  const invite = async () => {
    const key = await Ed25519Signer.generate();
    const seed = decodeBase64url(key.exportPrivateJwk().d)!;
    const wire = await node.write("invite.created", { key: key.did, role, domains: [], expiresAt: new Date(Date.now() + INVITE_TTL_MS).toISOString(), uses: 1 });
    await node.sent(wire.id);
    setUrl(encodeInviteUrl({ edge: location.origin, space: node.space as never, invite: wire.id, seed }));
  };
  return h("div", { class: "invite" },
    h("select", { name: "invite-role", value: role, onChange: (e: Event) => setRole((e.target as HTMLSelectElement).value as never) },
      ["human", "agent", "observer"].map((r) => h("option", { key: r, value: r }, r))),
    h("button", { onClick: invite }, "Invite"),
    url ? h("input", { readOnly: true, "data-testid": "invite-url", value: url, onFocus: (e: Event) => (e.target as HTMLInputElement).select() }) : null,
    url ? h("span", { class: "quiet" }, " one use, 24 h; whoever holds the link holds the invite") : null,
  );
}

/** A component from a chunk loaded on first use (the editor, the timeline's fold): off the first paint. */
function useLazy<T>(load: () => Promise<T>): T | null {
  const [mod, setMod] = useState<T | null>(null);
  useEffect(() => void load().then(setMod), []);
  return mod;
}

/** The timeline folds the whole log at a cut: loaded and computed only once someone opens it. */
function LazyTimeline({ node }: { node: SpaceNode }) {
  const [open, setOpen] = useState(false);
  if (open) return h(OpenTimeline, { node });
  return h("section", { class: "timeline" }, h("h2", null, "Timeline ", h("button", { onClick: () => setOpen(true) }, "Open timeline")));
}

function OpenTimeline({ node }: { node: SpaceNode }) {
  const mod = useLazy(() => import("./timeline.js"));
  return mod ? h(mod.Timeline, { node }) : h("section", { class: "timeline" }, h("h2", null, "Timeline"), h("p", { class: "quiet" }, "loading…"));
}

function Editor({ yjs, name }: { yjs: YjsLink; name: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let unmount: (() => void) | undefined;
    let live = true;
    void import("./editor.js").then(({ mountEditor }) => { if (live) unmount = mountEditor(ref.current!, yjs, name); });
    return () => { live = false; unmount?.(); };
  }, []);
  return h("section", { class: "editor" }, h("h2", null, "Notes"), h("div", { ref, "data-testid": "editor" }));
}

export function SpaceApp({ node, yjs }: { node: SpaceNode; yjs: YjsLink }) {
  const seenKey = `commons:seen:${node.space}`;
  const [seenBefore] = useState(() => Number(localStorage.getItem(seenKey) ?? Infinity));
  const me = node.view.value?.members.find((m) => m.did === node.signer.did);
  const name = me?.name ?? node.nameOf(node.signer.did);
  // The document's socket opened with the log's (main.ts); the name others see follows the view.
  useEffect(() => yjs.setName(name), [name]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (node.unsent.value > 0 || yjs.dirty.value) { e.preventDefault(); e.returnValue = ""; }
    };
    const seen = () => localStorage.setItem(seenKey, String([...node.held.values()].filter((e) => e.type === "channel.message" && e.body.threadRef === undefined).length));
    addEventListener("beforeunload", warn);
    addEventListener("pagehide", seen);
    return () => { removeEventListener("beforeunload", warn); removeEventListener("pagehide", seen); yjs.destroy(); };
  }, []);
  const connection = node.connection.value;
  const pending = node.unsent.value > 0 || yjs.dirty.value;
  const state = connection === "offline" ? "offline" : connection !== "synced" || pending || !yjs.synced.value ? "syncing" : "synced";
  const refusal = node.refusal.value;
  return h("div", { class: "space" },
    h("header", null,
      h("h1", null, node.space),
      h("span", { class: `conn ${state}`, "data-testid": "connection", "data-state": state }, state, pending ? ` · ${node.unsent.value} unsent` : ""),
      h("span", { class: "me", "data-testid": "me" }, `${name} · ${me?.role ?? "?"}`),
      me?.role === "owner" ? h(Invite, { node }) : null,
    ),
    refusal ? h("p", { class: "error", role: "alert", "data-testid": "write-refusal" }, `${refusal.code}: ${refusal.message}`) : null,
    node.unverified.value.length > 0 ? h("p", { class: "error", role: "alert", "data-testid": "unverified" }, `${node.unverified.value.length} envelope(s) from the edge failed verification and are not shown: ${[...new Set(node.unverified.value.map((u) => u.code))].join(", ")}`) : null,
    h("div", { class: "grid" },
      h(Channel, { node, seenBefore }),
      h("aside", null, h(Attention, { node }), h(Presence, { node, yjs }), h(Work, { node })),
    ),
    h(Editor, { yjs, name }),
    h(LazyTimeline, { node }),
  );
}
