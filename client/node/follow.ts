/**
 * Following a local copy live, for `commons log --follow` and `commons watch`: the copy is
 * kept in step with its edge over the daemon's live socket (client/node/daemon.ts
 * `connectSpace`: the edge pushes each envelope and receipt as it commits them), and
 * `onChange` fires whenever the copy may hold something new — an ingest from the edge, or
 * another `commons` process writing the same copy (SQLite's data_version). A copy with no
 * edge (joined from a peer or a bundle) is followed for local writes only.
 *
 * The follower reads with its own connection and never holds the write lock between
 * ingests, so `post`, `sync` and a running `daemon` work beside it.
 */
import type { SpaceId } from "../../core/ids.js";
import { connectSpace, dataVersion } from "./daemon.js";
import type { Home } from "./home.js";
import { LocalSpace } from "./local-space.js";

export interface Follower {
  local: LocalSpace;
  /** True when a socket to an edge keeps the copy in step; false: local writes only. */
  live: boolean;
  close(): void;
}

export interface FollowOptions {
  onChange(): void;
  /** Connection state, one human line per change (online, offline, no edge). */
  report(line: string): void;
}

/** How often a copy with no edge is checked for other processes' writes (one PRAGMA read). */
const LOCAL_POLL_MS = 300;

export async function followSpace(home: Home, space: SpaceId, options: FollowOptions): Promise<Follower> {
  const link = await connectSpace(home, space, options.report, { onChange: options.onChange });
  if (link !== null) return { local: link.local, live: true, close: () => link.close() };
  const local = await LocalSpace.open(home, space, { lock: false });
  let seen = dataVersion(local);
  const poll = setInterval(() => {
    const now = dataVersion(local);
    if (now === seen) return;
    seen = now;
    options.onChange();
  }, LOCAL_POLL_MS);
  return {
    local,
    live: false,
    close: () => {
      clearInterval(poll);
      local.close();
    },
  };
}

