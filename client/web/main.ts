/**
 * The web app's entry: `/` is the landing page (this browser's spaces, a new one), and
 * `/s/<space>` is the space. Before the space opens, the gate decides what this browser is
 * there (docs/WEB.md, "Identity"): a newcomer holding an invite URL joins (`member.joined`
 * signed here, proven by the invite key); a name with no genesis yet offers to create it
 * (this browser's key becomes its owner); a key the door refuses sees the refusal, with the
 * door's code and message, and nothing of the space.
 */
import "./app.css";
import { h, render, type ComponentChild } from "preact";
import { isSpaceId } from "../../core/ids.js";
import { createJoinEnvelope, decodeInviteUrl } from "../../core/space/invite.js";
import { createEnvelope } from "../../core/log/writer.js";
import { EdgeRefusal, logState, postEnvelopes, type LogState } from "./edge.js";
import { identity, rememberSpace } from "./keystore.js";
import { SpaceNode } from "./space-node.js";
import { YjsLink } from "./yjs-link.js";
import { SpaceApp } from "./ui/app.js";
import { CreateSpace, JoinSpace, Landing, Refused } from "./ui/gate.js";

const root = document.getElementById("app")!;
const show = (node: ComponentChild) => render(node, root);

async function main(): Promise<void> {
  // Marks for profiling a first paint (DevTools performance panel): cheap, and always on.
  performance.mark("commons:main");
  const match = /^\/s\/([^/]+)\/?$/.exec(location.pathname);
  const signer = await identity();
  performance.mark("commons:identity");
  if (match === null) return show(h(Landing, { did: signer.did }));
  const space = decodeURIComponent(match[1]!);
  if (!isSpaceId(space)) return show(h(Refused, { space, code: "invalid-space-name", message: "Space names are 1–64 lowercase letters, digits, - _ or ." }));

  if (location.hash.startsWith("#invite=")) {
    return show(h(JoinSpace, {
      space,
      join: async (name: string) => {
        const invite = decodeInviteUrl(location.href);
        const { id, envelope } = await createJoinEnvelope({ invite, joiner: signer, now: Date.now(), ...(name ? { name } : {}) });
        const [result] = await postEnvelopes(space, [{ ...envelope, id }]);
        if (result?.status === "rejected") throw new EdgeRefusal(403, result.code ?? "rejected", result.message ?? "the edge refused the join");
        // Held but judged by the sequencer: a used-up, revoked or expired invite commits rejected.
        if (result?.commit?.state === "committed" && result.commit.verdict === "rejected") {
          throw new EdgeRefusal(403, "join-rejected", `the space's sequencer rejected this join: ${result.commit.reason ?? "no reason given"}. Ask the owner for a new invite link.`);
        }
        await rememberSpace({ space, role: "member", at: new Date().toISOString() });
        history.replaceState(null, "", location.pathname);
        await open(space);
      },
    }));
  }
  const state = await logState(space);
  if (!state.exists) {
    return show(h(CreateSpace, {
      space,
      create: async (title: string) => {
        const fresh = await logState(space);
        if (fresh.sequencer === null) throw new EdgeRefusal(503, "space-unavailable", "the edge named no sequencer key; reload and try again");
        const body = { owners: [signer.did], sequencer: fresh.sequencer as never, ...(title ? { title } : {}) };
        const { id, envelope } = await createEnvelope(signer, { space: space as never, last: null, heads: [] }, "space.created", body, Date.now());
        const [result] = await postEnvelopes(space, [{ ...envelope, id }]);
        if (result?.status === "rejected") throw new EdgeRefusal(409, result.code ?? "create-refused", result.message ?? "the edge refused the genesis");
        await rememberSpace({ space, role: "owner", ...(title ? { title } : {}), at: new Date().toISOString() });
        await open(space);
      },
    }));
  }
  await open(space, state);
}

/** Opens the space, or shows the door's refusal. `state` is the gate's `GET /log/state`, reused. */
async function open(space: string, state?: LogState): Promise<void> {
  const signer = await identity();
  const node = new SpaceNode(space, signer, state);
  // The document rides on the node's socket (one socket per page); attached before it opens.
  const yjs = new YjsLink(node, signer, node.nameOf(signer.did));
  try {
    await node.start();
  } catch (error) {
    node.stop();
    yjs.destroy();
    if (error instanceof EdgeRefusal) return show(h(Refused, { space, code: error.code, message: error.message }));
    throw error;
  }
  performance.mark("commons:space-ready");
  show(h(SpaceApp, { node, yjs }));
}

main().catch((error: unknown) => {
  const refusal = error instanceof EdgeRefusal ? error : null;
  show(h(Refused, { space: location.pathname, code: refusal?.code ?? (error as { code?: string }).code ?? "internal", message: String((error as Error).message ?? error) }));
});
