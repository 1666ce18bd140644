/**
 * At-most-once actions keyed by name, over the replica's SQL storage: the tool host records
 * a key before it acts, so a replayed commit, a restart or a second decision never runs an
 * approved action twice. (At most once, not at least once: an action that fails midway is
 * reported in the channel, not retried.)
 */
import type { SqlStorage } from "../storage/sql.js";
import type { Once } from "./approvals.js";

export function sqlOnce(sql: SqlStorage, now: () => number = Date.now): Once {
  sql.exec(`CREATE TABLE IF NOT EXISTS mcp_once (key TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  return async (key, action) => {
    const fresh = sql.exec(`INSERT OR IGNORE INTO mcp_once (key, at) VALUES (?, ?) RETURNING key`, key, now());
    if (fresh.length === 0) return;
    await action();
  };
}
