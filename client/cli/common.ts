/**
 * Small pieces the commands share: opening a space for a command, showing envelopes and
 * their commit status, resolving id prefixes, and the `state` summary used to compare
 * replicas (`commons state --json`).
 */
import { createHash } from "node:crypto";
import * as Y from "yjs";
import { CommonsError } from "../../core/errors.js";
import type { SpaceId } from "../../core/ids.js";
import type { Did } from "../../core/identity/did.js";
import { actorOf } from "../../core/log/actor.js";
import type { Envelope } from "../../core/log/envelope.js";
import { hlcWallTime } from "../../core/log/hlc.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { EnvelopeStatus } from "../../core/log/replica.js";
import { buildView, viewSnapshot } from "../../core/views/build.js";
import { LocalSpace, withSpace, type OpenOptions } from "../node/local-space.js";
import { localView } from "../node/local-view.js";
import type { Io } from "./io.js";

export const open = <T>(io: Io, space: SpaceId, options: OpenOptions, work: (local: LocalSpace) => Promise<T> | T) =>
  withSpace(io.home, space, options, work);

/** A command's result on stdout: its human line, or with --json one JSON object (the same facts). */
export function say(io: Io, json: boolean, human: string, data: object): void {
  io.out(json ? JSON.stringify(data) : human);
}

/** `did:key:z6MkhaXg…Xz4e` → `z6MkhaXg…Xz4e`: enough to tell members apart on screen. */
export const shortDid = (did: string) => (did.startsWith("did:key:") ? `${did.slice(8, 16)}…${did.slice(-4)}` : did);
export const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export function statusText(status: EnvelopeStatus): string {
  if (status.state === "committed") return status.verdict === "accepted" ? `committed #${status.index}` : `REJECTED #${status.index}: ${status.reason ?? ""}`;
  return status.state;
}

/** How a did is shown: the member's name, "sequencer" for the space's sequencer, else a short did. */
export type Who = (did: string) => string;

/** Names from the copy's current view (committed plus tentative joins), read once per call. */
export function whoIn(local: LocalSpace): Who {
  const members = localView(local).current.members;
  const sequencer = local.replica.commits.nextSequencer;
  return (did) => members.get(did as Did)?.name ?? (did === sequencer ? "sequencer" : shortDid(did));
}

/**
 * Who wrote an envelope: the member it acts for (`actorOf`), and the tool host that signed
 * it when that is someone else — `ops-bot via sequencer` for an MCP call the edge ran.
 */
export function byline(envelope: Envelope, who: Who): string {
  const actor = actorOf(envelope);
  return actor === envelope.author ? who(actor) : `${who(actor)} via ${who(envelope.author)}`;
}

/** One line per envelope: when, who, what, and whether the sequencer committed it. */
export function envelopeLine(id: EnvelopeId, envelope: Envelope, status: EnvelopeStatus, who: Who = shortDid): string {
  const when = new Date(hlcWallTime(envelope.hlc)).toISOString().replace("T", " ").slice(0, 19);
  return `${shortId(id)}  ${when}  ${byline(envelope, who).padEnd(14)}  ${envelope.type.padEnd(18)} ${describe(envelope, who)}  [${statusText(status)}]`;
}

function describe(envelope: Envelope, who: Who): string {
  switch (envelope.type) {
    case "channel.message": return JSON.stringify(envelope.body.content.length > 80 ? `${envelope.body.content.slice(0, 80)}…` : envelope.body.content);
    case "work.created": return JSON.stringify(envelope.body.title);
    case "work.claimed": case "work.released": case "work.completed": case "work.updated": return shortId(envelope.body.item);
    case "approval.requested": return `${envelope.body.action.summary} (approver ${who(envelope.body.approver)})`;
    case "approval.decided": return `${envelope.body.decision} ${shortId(envelope.body.request)}`;
    case "member.added": return `${who(envelope.body.member)} as ${envelope.body.role}`;
    case "member.removed": return who(envelope.body.member);
    case "commit": return `indexes ${envelope.body.entries[0]!.index}–${envelope.body.entries.at(-1)!.index}`;
    case "sequencer.appointed": return `${shortDid(envelope.body.sequencer)} from #${envelope.body.fromIndex}`;
    case "space.created": return `owners ${envelope.body.owners.map(who).join(", ")}`;
    case "space.configured": return envelope.body.visibility;
    case "invite.created": return `${envelope.body.role}${envelope.body.domains.length ? ` in ${envelope.body.domains.join(",")}` : ""}, ${envelope.body.uses} use(s) until ${envelope.body.expiresAt}`;
    case "invite.revoked": return shortId(envelope.body.invite);
    case "member.joined": return `by invite ${shortId(envelope.body.invite)}`;
    case "policy.set": return `${envelope.body.tool}: tier ${envelope.body.tier}`;
    default: return "";
  }
}

/**
 * Resolves a full id or a unique prefix (with or without `sha256:`) among `candidates`;
 * `listWith` is the command that lists them (`commons work <space> ls`), named when none matches.
 */
export function resolveId(listWith: string, text: string, candidates: Iterable<string>, what: string): EnvelopeId {
  const needle = text.startsWith("sha256:") ? text : `sha256:${text}`;
  const matches = [...candidates].filter((id) => id.startsWith(needle));
  if (matches.length === 1) return matches[0] as EnvelopeId;
  if (matches.length === 0) throw new CommonsError("not-found", `No ${what} ${text} in this space: list them with \`${listWith}\` (\`commons sync <space>\` first for the latest).`);
  throw new CommonsError("ambiguous-id", `${text} matches ${matches.length} ${what}s: give more characters.`);
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * Everything two replicas must agree on once in step: the comparable state of a copy. It
 * folds the whole log on purpose (`commons state` digests the full view, channel and
 * verdicts included, to compare copies); no other command's path does.
 */
export function spaceState(local: LocalSpace) {
  const entries = local.replica.since(0);
  const view = buildView(entries);
  const snapshot = JSON.stringify(viewSnapshot(view));
  const doc = local.ydoc();
  const stateVector = Object.fromEntries([...Y.decodeStateVector(Y.encodeStateVector(doc)).entries()].sort(([a], [b]) => a - b));
  const notes = doc.getText("notes").toString();
  return {
    space: local.space,
    edge: local.meta("edge") ?? null,
    lastSync: local.meta("last_sync") ?? null,
    count: entries.length,
    vv: local.replica.versionVector(),
    heads: local.replica.heads(),
    frontier: local.replica.commits.frontier,
    sequencer: local.replica.commits.nextSequencer ?? null,
    tentative: local.tentative(),
    // How far this copy is verified, and what the open that printed this checked.
    verified: { upTo: local.verifiedPoint?.arrival ?? null, open: local.opened.report === null ? null : { mode: local.opened.report.mode, checked: local.opened.report.checked } },
    ids: sha256(entries.map((e) => e.id).sort().join("\n")),
    view: sha256(snapshot),
    doc: { stateVector, notesLength: notes.length, notes: sha256(notes) },
  };
}
