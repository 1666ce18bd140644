/**
 * One sync of a local copy with a remote replica — the edge or a `commons serve` peer —
 * over one space socket: the signed log (LogSyncClient, frame type 100) and the Yjs
 * document (y-protocols) side by side. Returns when both are in step both ways.
 *
 * The socket carries a self-issued token for this node's key (client/node/remote.ts
 * doorToken; the key is made on first use), so the remote's door knows who syncs. A
 * refusal is reported with the door's own code and message, not as "offline".
 */
import { CommonsError } from "../../core/errors.js";
import type { IngestResult } from "../../core/log/replica.js";
import { openLogSocket } from "../sdk/log-socket.js";
import { requireIdentity } from "./identity.js";
import type { LocalSpace } from "./local-space.js";
import { doorToken, offline, parseRemote, refusalOf } from "./remote.js";
import { YjsLink } from "./yjs-link.js";

export interface SyncReport {
  received: number;
  pushed: number;
  rejected: IngestResult[];
  remoteSequencer: string | null;
}

export interface SyncOptions {
  progress?: (received: number, remoteCount: number) => void;
  /** Give up after this long (a remote that accepts the socket but never answers). */
  timeoutMs?: number;
}

export async function syncOnce(local: LocalSpace, wsUrl: string, options: SyncOptions = {}): Promise<SyncReport> {
  const before = local.replica.count();
  const rejected: IngestResult[] = [];
  const doc = local.ydoc();
  let link: YjsLink | null = null;
  const { http } = parseRemote(wsUrl);
  const signer = await requireIdentity(local.home);
  const token = await doorToken(signer, http, local.space).catch((error: unknown) => {
    throw error instanceof CommonsError && error.code !== "offline" ? error : offline(wsUrl, local.tentative());
  });
  const socket = await openLogSocket(wsUrl, local.replica, {
    token,
    live: false,
    events: { progress: (done, remoteCount) => options.progress?.(done, Math.max(done, remoteCount - before)), rejected: (result) => rejected.push(result) },
    onYjsFrame: (frame) => link?.onFrame(frame),
  }).catch(async () => {
    throw (await refusalOf(http, local.space, token)) ?? offline(wsUrl, local.tentative());
  });
  link = new YjsLink(doc, local.ystore, (frame) => socket.ws.send(frame));
  const timeout = options.timeoutMs ?? 120_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.all([socket.synced(), link.synced]),
      socket.closed.then(({ code, reason }) => {
        throw new CommonsError("sync-closed", `${wsUrl} closed the socket (${code} ${reason}) during sync: run sync again.`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new CommonsError("sync-timeout", `${wsUrl} did not finish syncing in ${timeout / 1000}s: check the remote, then sync again.`)), timeout);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    link.destroy();
    socket.close();
  }
  const after = local.replica.count();
  local.setMeta("last_sync", new Date().toISOString());
  local.setMeta("last_sync_vv", JSON.stringify(socket.sync.remoteVector));
  // Both now hold the union: what the remote gained is what we pushed.
  return { received: after - before, pushed: Math.max(0, after - socket.sync.remoteCount), rejected, remoteSequencer: socket.sync.remoteSequencer };
}
