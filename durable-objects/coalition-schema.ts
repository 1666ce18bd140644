/**
 * The CoalitionDO's storage, in its SQLite: its key, what it last read of its coalition, the
 * messages it posted for its A2A tasks, and the tasks themselves.
 *
 *   coalition_identity (name, jwk, adopted)   its Ed25519 key: the one `form_coalition` made for
 *                                             the coalition and handed over (adopted = 1: the
 *                                             card's did is the coalition's `key`), or one of its
 *                                             own for a coalition formed elsewhere (adopted = 0)
 *   coalition_view (id = 1, json)             the coalition and its members as the space's
 *                                             committed state last showed them (a copy the
 *                                             card and the door read; the log stays the record)
 *   coalition_asks (task, owner, message, …)  one per SendMessage: the channel message it became,
 *                                             and the member reply that completed it
 *   a2a_tasks (…)                             core/a2a/task-store.ts owns the columns
 *   coalition_meta (key, value)               schema_version
 */
import { TASK_TABLES } from "../core/a2a/task-store.js";
import type { Did } from "../core/identity/did.js";
import { Ed25519Signer, type Ed25519PrivateJwk } from "../core/identity/signer.js";
import { migrateStore, type SqlStorage } from "../core/storage/sql.js";
import type { CoalitionView } from "./coalition-space.js";

const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS coalition_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS coalition_identity (name TEXT PRIMARY KEY, jwk TEXT NOT NULL, adopted INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS coalition_view (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS coalition_asks (task TEXT PRIMARY KEY, owner TEXT NOT NULL, message TEXT NOT NULL UNIQUE, asked_ms INTEGER NOT NULL, reply TEXT, replied_by TEXT)`,
    ...TASK_TABLES,
  ],
];

export function migrateCoalition(sql: SqlStorage): void {
  migrateStore(sql, "coalition_meta", MIGRATIONS);
}

/** The stored key, or undefined before one is adopted or made. */
export async function loadSigner(sql: SqlStorage): Promise<{ signer: Ed25519Signer; adopted: boolean } | undefined> {
  const [row] = sql.exec<{ jwk: string; adopted: number }>(`SELECT jwk, adopted FROM coalition_identity WHERE name = 'coalition'`);
  return row === undefined ? undefined : { signer: await Ed25519Signer.fromJwk(JSON.parse(row.jwk)), adopted: Number(row.adopted) === 1 };
}

/** Stores a key once: the first one stored stays (a later adoption or a second start never replaces it). */
export function storeSigner(sql: SqlStorage, jwk: Ed25519PrivateJwk, adopted: boolean): void {
  sql.exec(`INSERT OR IGNORE INTO coalition_identity (name, jwk, adopted) VALUES ('coalition', ?, ?)`, JSON.stringify(jwk), adopted ? 1 : 0);
}

export function readView(sql: SqlStorage): CoalitionView | undefined {
  const [row] = sql.exec<{ json: string }>(`SELECT json FROM coalition_view WHERE id = 1`);
  return row === undefined ? undefined : (JSON.parse(row.json) as CoalitionView);
}

export function writeView(sql: SqlStorage, view: CoalitionView): void {
  sql.exec(`INSERT INTO coalition_view (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json`, JSON.stringify(view));
}

export interface Ask {
  task: string;
  owner: Did;
  message: string;
  reply: string | null;
  repliedBy: Did | null;
}

export function recordAsk(sql: SqlStorage, task: string, owner: Did, message: string, now: number): void {
  sql.exec(`INSERT OR IGNORE INTO coalition_asks (task, owner, message, asked_ms) VALUES (?, ?, ?, ?)`, task, owner, message, now);
}

export function askByMessage(sql: SqlStorage, message: string): Ask | undefined {
  const [row] = sql.exec<{ task: string; owner: string; message: string; reply: string | null; replied_by: string | null }>(
    `SELECT task, owner, message, reply, replied_by FROM coalition_asks WHERE message = ?`, message,
  );
  return row === undefined ? undefined : { task: row.task, owner: row.owner as Did, message: row.message, reply: row.reply, repliedBy: row.replied_by as Did | null };
}

/** Records the first reply to an ask; false when it already had one (a second reply never completes it again). */
export function recordReply(sql: SqlStorage, message: string, reply: string, by: Did): boolean {
  return sql.exec(`UPDATE coalition_asks SET reply = ?, replied_by = ? WHERE message = ? AND reply IS NULL RETURNING task`, reply, by, message).length > 0;
}
