/**
 * `commons host <space-url>`: rebuild an edge replica from this node's full copy — after
 * the edge's storage was wiped, or onto a new deployment.
 *
 * 1. Push, then sync: the empty edge lacks everything, and its door lets nobody read a
 *    space it does not hold, so every envelope goes first over `POST /log` (open to anyone;
 *    verified there as on any replica). Old commit receipts travel too: they are signed by
 *    the old edge key and stay valid, so every commit index of the old prefix is kept, and
 *    with it the committed membership the door reads. Then a sync with a token sends the
 *    Yjs history as a y-protocols step 2.
 * 2. The new edge has a new key, and the log still names the old one as sequencer, so it
 *    commits nothing yet. As an owner, this node appends
 *    `sequencer.appointed {sequencer: <new edge key>, fromIndex: <frontier + 1>}` and pushes
 *    it; the edge then commits everything still tentative from that index on.
 * 3. A last sync brings the new receipts home.
 */
import { CommonsError } from "../../core/errors.js";
import type { Signer } from "../../core/identity/signer.js";
import { buildView } from "../../core/views/build.js";
import type { LocalSpace } from "./local-space.js";
import { pushOverHttp } from "./push.js";
import { fetchState, type SpaceUrl } from "./remote.js";
import { syncOnce, type SyncOptions } from "./sync.js";

export interface HostReport {
  pushed: number;
  appointed: { sequencer: string; fromIndex: number } | null;
  frontier: number;
}

export async function hostSpace(local: LocalSpace, signer: Signer, target: SpaceUrl, options: SyncOptions = {}): Promise<HostReport> {
  const before = await fetchState(target.http, target.space);
  if (before.sequencer === null) throw new CommonsError("remote-error", `${target.http} named no sequencer key: is it a Commons edge?`);
  const pushed = await pushOverHttp(local.replica, target.http);
  await syncOnce(local, target.ws, options);
  local.setMeta("edge", target.http);
  let appointed: HostReport["appointed"] = null;
  if (local.replica.commits.nextSequencer !== before.sequencer) {
    const view = buildView(local.replica.since(0));
    if (view.committed.members.get(signer.did)?.role !== "owner") {
      throw new CommonsError("not-an-owner", `The copy is pushed, but only an owner can appoint the new edge (${before.sequencer}) as sequencer, and you (${signer.did}) are not one: ask an owner to run \`commons host ${target.http}/s/${target.space}\`.`);
    }
    const fromIndex = local.replica.commits.frontier + 1;
    await local.replica.append(signer, "sequencer.appointed", { sequencer: before.sequencer, fromIndex, reason: `re-hosted at ${target.http}` });
    appointed = { sequencer: before.sequencer, fromIndex };
    await syncOnce(local, target.ws, options); // pushes the appointment; the edge commits on receipt
  }
  await syncOnce(local, target.ws, options); // brings the receipts home
  return { pushed: pushed.accepted, appointed, frontier: local.replica.commits.frontier };
}
