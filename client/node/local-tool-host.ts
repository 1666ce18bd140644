/**
 * The space's MCP tools on a local copy, for `commons mcp` (stdio): the same tools and the
 * same policy function as the edge, run against this node's replica while offline. The
 * caller is this node's own identity (whoever can run the process holds its key), so
 * envelopes are written by the node itself — tentative until the sequencer commits them.
 * Writes take the space's write lock one at a time, so a daemon or another command can
 * share the copy without ever signing a fork.
 */
import type { Did } from "../../core/identity/did.js";
import type { Signer } from "../../core/identity/signer.js";
import { LockTable, type ToolHost } from "../../core/mcp/tool-host.js";
import { committedState } from "./local-view.js";
import { lockFile } from "./home.js";
import type { LocalSpace } from "./local-space.js";
import { acquireLock } from "./lock.js";

export function localToolHost(local: LocalSpace, signer: Signer): ToolHost {
  return {
    space: local.space,
    replica: local.replica,
    hostDid: signer.did as Did,
    committed: () => committedState(local),
    write: async (type, body) => {
      // The node acts for itself: an `actor` naming its own key is just the author.
      const { actor, ...rest } = body as { actor?: string };
      const own = actor === undefined || actor === signer.did ? rest : body;
      const release = acquireLock(lockFile(local.home, local.space), `Space "${local.space}"`);
      try {
        const written = await local.replica.append(signer, type, own as never);
        return { id: written.id, status: local.replica.status(written.id) };
      } finally {
        release();
      }
    },
    // Presence lives at the edge; offline, every approver counts as away (requests queue).
    presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
    now: () => Date.now(),
    locks: new LockTable(),
  };
}
