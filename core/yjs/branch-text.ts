/**
 * A branch's working text (docs/COORDINATION.md "Branches and promotion"): each artifact on
 * a branch is a Y.Text in the space's Yjs document under `branch/<branch>/<artifact>`, so
 * members edit it concurrently, offline too, and Yjs merges the edits. The log records
 * versions, not text: a `branch.updated` names the key and the SHA-256 of the text it
 * staged, and a promotion makes "this artifact = that branch key at that version" current.
 *
 * Nothing here ever copies a text into another shared Y.Text: two replicas doing that at a
 * promotion would both insert, and Yjs would keep both copies. The promoted version is a
 * pointer to the branch's own text, which stays where it is, as the branch's history.
 */
import type * as Y from "yjs";
import type { EnvelopeId } from "../log/ids.js";
import type { Artifact, Branch, SpaceState } from "../views/state.js";

/** The Yjs key of an artifact's text on a branch. */
export function branchKey(branch: EnvelopeId, artifact: EnvelopeId): string {
  return `branch/${branch}/${artifact}`;
}

/** The version a `branch.updated` records: the SHA-256 of the text's UTF-8 bytes. */
export async function textVersion(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256:${[...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Makes `text` read `next` by one delete and one insert between the common prefix and
 * suffix, so an edit of one part merges with another replica's edit of another part (a
 * rewrite of the whole text would be kept twice beside a concurrent one).
 */
export function editText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  while (start < current.length && start < next.length && current[start] === next[start]) start++;
  let end = 0;
  while (end < current.length - start && end < next.length - start && current[current.length - 1 - end] === next[next.length - 1 - end]) end++;
  text.doc!.transact(() => {
    text.delete(start, current.length - start - end);
    text.insert(start, next.slice(start, next.length - end));
  });
}

/** What a reader shows for a staged or current artifact version. */
export interface Rendered {
  text: string;
  /** Where the text comes from: the envelope itself (older envelopes), or a branch's Y.Text. */
  source: "inline" | "yjs";
  /** The version the log recorded (Yjs only). */
  version?: string;
  /**
   * Yjs only: whether this replica's text is that version. False when the text moved on since
   * (edited after staging) or this replica has not received all of it yet (sync first).
   */
  matches?: boolean;
}

type Staged = NonNullable<Branch["staged"]>[string];

/** Renders a version staged on a branch, from the replica's Yjs document. */
export async function renderStaged(doc: Y.Doc, staged: Staged): Promise<Rendered> {
  if ("inline" in staged.content) return { text: staged.content.inline, source: "inline" };
  const text = doc.getText(staged.content.ydoc).toString();
  return { text, source: "yjs", ...(staged.version === undefined ? {} : { version: staged.version, matches: (await textVersion(text)) === staged.version }) };
}

/**
 * The artifact's current version: its own inline content, or — once a branch staging it in
 * Yjs is promoted — that branch's text at the promoted version.
 */
export async function renderArtifact(state: SpaceState, doc: Y.Doc, artifact: Artifact): Promise<Rendered & { branch?: EnvelopeId }> {
  if ("inline" in artifact.content) return { text: artifact.content.inline, source: "inline" };
  const key = artifact.content.ydoc;
  const branch = branchOfKey(state, key, artifact.id);
  const staged = branch?.staged?.[artifact.id];
  if (branch === undefined || staged === undefined) return { text: doc.getText(key).toString(), source: "yjs" };
  return { ...(await renderStaged(doc, staged)), branch: branch.id };
}

function branchOfKey(state: SpaceState, key: string, artifact: EnvelopeId): Branch | undefined {
  const [prefix, branch, of] = key.split("/");
  if (prefix !== "branch" || of !== artifact) return undefined;
  return state.branches.get(branch as EnvelopeId);
}
