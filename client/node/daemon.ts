/**
 * `commons daemon`: stays connected to every joined space's edge, keeps the log and the Yjs
 * document in step both ways, and reconnects with backoff (partysocket's
 * ReconnectingWebSocket) when the edge goes away. Writes by other `commons` commands on
 * the same copies are noticed (SQLite's data_version changes) and pushed at once.
 *
 * The daemon does not hold the spaces' write locks between operations, so `commons post`
 * and friends keep working while it runs; it takes the lock around each write of its own.
 * Every connection attempt carries a fresh self-issued token (client/node/remote.ts
 * doorToken), so a reconnect an hour later, or after a membership change, still gets in.
 */
import ReconnectingWebSocket from "partysocket/ws";
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import type { SpaceId } from "../../core/ids.js";
import { LogSyncClient } from "../../core/log/sync-client.js";
import { MessageType } from "../../core/yjs/frames.js";
import { lockFile, type Home } from "./home.js";
import { requireIdentity } from "./identity.js";
import { LocalSpace, FROM_STORE } from "./local-space.js";
import { acquireLock } from "./lock.js";
import { doorToken, parseSpaceUrl, withToken } from "./remote.js";
import { YjsLink } from "./yjs-link.js";

export interface DaemonLink {
  space: SpaceId;
  /** The link's own connection to the copy (read it from `onChange`; it holds no lock). */
  local: LocalSpace;
  close(): void;
}

export interface ConnectOptions {
  /**
   * Called after the copy may have changed: envelopes or receipts ingested from the remote,
   * or another process's write noticed. `commons log --follow` and `commons watch` read
   * what is new from `local` here.
   */
  onChange?: () => void;
}

/** Connects one space; `report` gets one human line per state change. */
export async function connectSpace(home: Home, space: SpaceId, report: (line: string) => void, options: ConnectOptions = {}): Promise<DaemonLink | null> {
  const changed = () => options.onChange?.();
  const local = await LocalSpace.open(home, space, { lock: false });
  const edge = local.meta("edge");
  if (edge === undefined) {
    report(`${space}: no edge to sync with (joined from a bundle or a peer): skipped`);
    local.close();
    return null;
  }
  const locked = <T>(work: () => T): T => {
    const release = acquireLock(lockFile(home, space), `Space "${space}"`);
    try {
      return work();
    } finally {
      release();
    }
  };
  const url = parseSpaceUrl(`${edge}/s/${space}`).ws;
  const signer = await requireIdentity(home);
  // Asked before every attempt; an edge that is down fails this too, and the backoff goes on.
  const connectUrl = async () => withToken(url, await doorToken(signer, edge, space));
  const ws = new ReconnectingWebSocket(connectUrl, [], { WebSocket: globalThis.WebSocket, minReconnectionDelay: 250, maxReconnectionDelay: 10_000, reconnectionDelayGrowFactor: 1.6, connectionTimeout: 4_000 });
  ws.binaryType = "arraybuffer";
  const doc = local.ydoc();
  const send = (frame: Uint8Array) => ws.send(frame as Uint8Array<ArrayBuffer>);
  const sync = new LogSyncClient(local.replica, send, { live: true });
  const link = new YjsLink(doc, local.ystore, send);
  let lastRow = Math.max(0, ...local.ystore.rows().map((r) => r.seq));
  let lastVersion = dataVersion(local);
  let online = false;

  ws.addEventListener("open", () => {
    online = true;
    link.reset();
    sync.hello();
    void Promise.all([sync.synced(), link.synced]).then(() => {
      link.goLive();
      local.setMeta("last_sync", new Date().toISOString());
      report(`${space}: online, in step with ${edge} (${local.replica.count()} envelopes, ${local.tentative()} tentative)`);
    }, () => undefined /* the socket closed mid-sync; the reconnect starts over */);
  });
  ws.addEventListener("close", () => {
    sync.fail(new Error("socket closed"));
    if (online) report(`${space}: offline (${local.tentative()} tentative); reconnecting with backoff`);
    online = false;
  });
  ws.addEventListener("message", (event) => {
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) === MessageType.log) {
      const json = decoding.readVarString(decoder);
      const release = acquireLock(lockFile(home, space), `Space "${space}"`);
      void sync.onMessage(json).finally(() => {
        release();
        changed();
      });
    } else locked(() => link.onFrame(bytes));
  });
  // Another process wrote the copy: push its envelopes, forward its Yjs rows.
  const poll = setInterval(() => {
    const now = dataVersion(local);
    if (now === lastVersion) return;
    lastVersion = now;
    changed();
    const rows = local.sql.exec<{ seq: number; data: Uint8Array }>(`SELECT seq, data FROM y_updates WHERE seq > ? ORDER BY seq`, lastRow);
    for (const row of rows) {
      lastRow = Math.max(lastRow, Number(row.seq));
      Y.applyUpdate(doc, row.data, FROM_STORE);
    }
    const pending = online ? local.replica.missingFor(sync.remoteVector, 100_000).length : 0;
    if (pending > 0) {
      void sync.push().then(
        () => report(`${space}: pushed ${pending} local envelope(s)`),
        () => undefined, // the socket closed: the next hello pushes them
      );
    }
  }, 300);
  return {
    space,
    local,
    close: () => {
      clearInterval(poll);
      ws.close();
      link.destroy();
      local.close();
    },
  };
}

/** SQLite's data_version: changes when another connection (another process) commits to the file. */
export function dataVersion(local: LocalSpace): number {
  return Number(local.sql.exec<{ data_version: number }>(`PRAGMA data_version`)[0]?.data_version ?? 0);
}
