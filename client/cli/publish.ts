/**
 * Owner writes that are meant to take effect now — invites and their revocation, policies,
 * the space's visibility: check the writer is an owner, append to the local copy, sync with
 * the space's edge at once (two passes, so the receipts come home: `syncWithReceipts`), and
 * say what the sequencer decided. Offline, the envelopes stay in the copy, tentative, and
 * the next `commons sync` sends them (exit 3: nothing was lost).
 */
import { CommonsError } from "../../core/errors.js";
import type { Did } from "../../core/identity/did.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { EnvelopeStatus } from "../../core/log/replica.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import type { SpaceState } from "../../core/views/state.js";
import type { Signer } from "../../core/identity/signer.js";
import type { LocalSpace } from "../node/local-space.js";
import { committedState } from "../node/local-view.js";
import { parseSpaceUrl } from "../node/remote.js";
import { syncWithReceipts } from "./commands/node.js";
import type { Io } from "./io.js";

export type Write = { [T in EnvelopeType]: { type: T; body: BodyOf<T> } }[EnvelopeType];

export interface Published {
  ids: EnvelopeId[];
  statuses: EnvelopeStatus[];
  /** Set when the edge could not be reached: the writes are kept, tentative. */
  offline: CommonsError | null;
}

/** The committed state of the local copy (kept beside the log, not folded): what owner checks and `ls` read. */
export const committedOf = (local: LocalSpace): SpaceState => committedState(local);

/** Refuses a non-owner before anything is written (the sequencer would reject it anyway). */
export function requireOwner(local: LocalSpace, did: Did, what: string): void {
  const role = committedOf(local).members.get(did)?.role;
  if (role === "owner") return;
  throw new CommonsError("not-an-owner",
    `Only owners can ${what}; in ${local.space} you (${did}) are ${role === undefined ? "not a member" : `${role === "agent" || role === "observer" ? "an" : "a"} ${role}`}. ` +
    `Ask an owner (\`commons members ${local.space}\` lists them), or run \`commons sync ${local.space}\` first if you were made an owner since.`);
}

/** Appends `writes` by `signer`, syncs with the copy's edge, returns each verdict. */
export async function publish(io: Io, local: LocalSpace, signer: Signer, writes: readonly Write[]): Promise<Published> {
  const ids: EnvelopeId[] = [];
  for (const write of writes) ids.push((await local.replica.append(signer, write.type, write.body as never)).id);
  const edge = local.meta("edge");
  let offline: CommonsError | null = null;
  if (edge === undefined) {
    offline = new CommonsError("no-edge", `"${local.space}" has no edge: give one with \`commons sync ${local.space} --edge <space-url>\`.`);
  } else {
    try {
      await syncWithReceipts(io, local, parseSpaceUrl(`${edge}/s/${local.space}`).ws);
    } catch (error) {
      if (!(error instanceof CommonsError) || (error.code !== "offline" && error.code !== "sync-closed" && error.code !== "sync-timeout")) throw error;
      offline = error;
    }
  }
  return { ids, statuses: ids.map((id) => local.replica.status(id)), offline };
}

/** One line per write: committed, rejected (with why), or waiting for the sequencer. */
export function verdictText(status: EnvelopeStatus): string {
  if (status.state !== "committed") return "tentative: not committed yet";
  return status.verdict === "accepted" ? `committed #${status.index}` : `REJECTED #${status.index}: ${status.reason ?? ""}`;
}

/**
 * The exit code for a publish: 0 when every write committed accepted, 1 when the sequencer
 * rejected one (the message says why), 3 when the edge was unreachable (kept, tentative).
 */
export function publishedCode(io: Io, local: LocalSpace, published: Published): number {
  if (published.offline !== null) {
    io.err(`${published.offline.message}\nKept in the local copy, tentative: \`commons sync ${local.space}\` sends it when the edge is back.`);
    return 3;
  }
  const rejected = published.statuses.find((s) => s.state === "committed" && s.verdict === "rejected");
  if (rejected?.state === "committed") {
    io.err(`The sequencer rejected it: ${rejected.reason ?? "no reason given"}.`);
    return 1;
  }
  if (published.statuses.some((s) => s.state !== "committed")) {
    io.err(`The edge stored it, but the space's sequencer has not committed it yet: \`commons sync ${local.space}\` later shows the verdict.`);
  }
  return 0;
}
