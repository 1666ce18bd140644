/**
 * The channel, live: messages from the log in arrival order grouped into threads, each with
 * its sender by member name (and the host that signed it for them), its tool calls and their
 * status, mentions of me, whether it is tentative, unsent, committed or rejected, and a
 * "new since you looked" marker; post and reply sign a `channel.message` here. A member's
 * did in a message's text is shown as @name (the exact text stays in the tooltip).
 */
import { h } from "preact";
import { useState } from "preact/hooks";
import { actorOf } from "../../../core/log/actor.js";
import type { EnvelopeOf } from "../../../core/log/envelope.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { SpaceNode } from "../space-node.js";

type Message = EnvelopeOf<"channel.message"> & { id: EnvelopeId };

/** Shown at most; older ones behind "earlier" (a big space's first paint stays small). */
const PAGE = 200;

export function statusLabel(node: SpaceNode, id: EnvelopeId): { label: string; kind: string } {
  if (node.isUnsent(id)) return { label: "unsent", kind: "unsent" };
  const status = node.statusOf(id);
  if (status === undefined) return { label: "tentative", kind: "tentative" };
  return status.verdict === "accepted" ? { label: `committed #${status.index}`, kind: "committed" } : { label: `rejected: ${status.reason ?? ""}`, kind: "rejected" };
}

/** A message's text with each member's did shown as @name (agents write dids; people read names). */
export function readable(node: SpaceNode, text: string): string {
  const names = new Map((node.view.value?.members ?? []).filter((m) => m.name).map((m) => [m.did as string, m.name!]));
  return names.size === 0 ? text : text.replace(/did:key:z[1-9A-HJ-NP-Za-km-z]+/g, (did) => (names.has(did) ? `@${names.get(did)}` : did));
}

function ToolCalls({ node, calls }: { node: SpaceNode; calls: NonNullable<Message["body"]["toolCalls"]> }) {
  return h("ul", { class: "tools" }, calls.map((call, i) =>
    h("li", { key: i, class: `tool ${call.result}`, "data-testid": "tool-call" },
      h("code", null, call.tool), " ", h("span", { class: "result" }, call.result.replace("_", " ")),
      call.approvalRequired ? ` · needs ${call.approvalRequired.startsWith("did:") ? node.nameOf(call.approvalRequired) : call.approvalRequired}` : "",
      call.approvedBy ? ` · approved by ${node.nameOf(call.approvedBy)}${call.approvedAt ? ` at ${call.approvedAt}` : ""}` : "",
      h("pre", null, JSON.stringify(call.params)),
    )));
}

function Line({ node, message, onReply, mine }: { node: SpaceNode; message: Message; onReply?: () => void; mine: string }) {
  const sender = actorOf(message);
  const status = statusLabel(node, message.id);
  const mentionsMe = message.body.mentions?.includes(mine as never) ?? false;
  return h("div", { class: `msg ${status.kind}${mentionsMe ? " mention" : ""}`, "data-testid": "message", "data-id": message.id },
    h("span", { class: "who" }, node.nameOf(sender), sender !== message.author ? h("span", { class: "via" }, ` via ${node.nameOf(message.author)}`) : null),
    h("span", { class: "text", title: message.body.content }, readable(node, message.body.content)),
    h("span", { class: "status", "data-testid": "status" }, status.label),
    message.body.toolCalls ? h(ToolCalls, { node, calls: message.body.toolCalls }) : null,
    onReply ? h("button", { class: "link", onClick: onReply }, "reply") : null,
  );
}

export function Channel({ node, seenBefore }: { node: SpaceNode; seenBefore: number }) {
  node.version.value; // re-render on every change of the log
  const [text, setText] = useState("");
  const [replyTo, setReplyTo] = useState<EnvelopeId | null>(null);
  const [all, setAll] = useState(false);
  const messages: Message[] = [];
  for (const envelope of node.held.values()) if (envelope.type === "channel.message") messages.push(envelope as Message);
  const replies = new Map<string, Message[]>();
  const roots: Message[] = [];
  for (const m of messages) {
    const root = m.body.threadRef;
    // A reply in a thread whose root is no message (a tool host's report on an approval request) stands alone.
    if (root !== undefined && node.held.get(root)?.type === "channel.message") (replies.get(root) ?? replies.set(root, []).get(root)!).push(m);
    else roots.push(m);
  }
  const shown = all ? roots : roots.slice(-PAGE);
  const me = node.signer.did;
  const firstNew = roots.findIndex((m, i) => i >= seenBefore && actorOf(m) !== me);
  const post = async (e: Event) => {
    e.preventDefault();
    const content = text.trim();
    if (content === "") return;
    const mentions = (node.view.value?.members ?? []).filter((m) => m.name && content.includes(`@${m.name}`)).map((m) => m.did);
    setText("");
    await node.write("channel.message", { content, ...(replyTo ? { threadRef: replyTo } : {}), ...(mentions.length ? { mentions } : {}) });
    setReplyTo(null);
  };
  return h("section", { class: "channel", "data-testid": "channel" },
    h("h2", null, "Channel"),
    roots.length > shown.length ? h("button", { class: "link", onClick: () => setAll(true) }, `${roots.length - shown.length} earlier`) : null,
    h("div", { class: "messages" }, shown.map((m) => {
      const index = roots.indexOf(m);
      return h("div", { key: m.id, class: "thread" },
        index === firstNew ? h("div", { class: "new-marker", "data-testid": "new-marker" }, "new since you looked") : null,
        h(Line, { node, message: m, mine: me, onReply: () => setReplyTo(m.id) }),
        (replies.get(m.id) ?? []).map((r) => h("div", { key: r.id, class: "reply" }, h(Line, { node, message: r, mine: me }))),
      );
    })),
    h("form", { class: "composer", onSubmit: post },
      replyTo ? h("span", { class: "replying" }, "replying in thread ", h("button", { type: "button", class: "link", onClick: () => setReplyTo(null) }, "×")) : null,
      h("input", { name: "message", placeholder: replyTo ? "Reply…" : "Message the space (@name mentions)", value: text, maxLength: 8000, onInput: (e: Event) => setText((e.target as HTMLInputElement).value) }),
      h("button", { type: "submit" }, replyTo ? "Reply" : "Post"),
    ),
  );
}
