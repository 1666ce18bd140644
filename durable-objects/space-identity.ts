/**
 * The SpaceDO's own Ed25519 key: the space's default sequencer signs commit receipts with
 * it. Kept in the object's SQLite once the space exists, so it lives exactly as long as
 * this replica: a wiped replica gets a new key, and an owner appoints it (or a node) as the
 * sequencer with a signed `sequencer.appointed` envelope.
 *
 * Before the genesis a space stores nothing (the door: connecting to a name makes no space):
 * the key a newcomer is shown in `/log/state` lives in memory until a genesis naming it
 * arrives (`pendingSigner`, then `storeSigner`).
 */
import { Ed25519Signer } from "../core/identity/signer.js";
import type { SqlStorage } from "../core/storage/sql.js";

const SCHEMA = `CREATE TABLE IF NOT EXISTS space_identity (name TEXT PRIMARY KEY, jwk TEXT NOT NULL)`;

export async function loadOrCreateSigner(sql: SqlStorage): Promise<Ed25519Signer> {
  sql.exec(SCHEMA);
  const [row] = sql.exec<{ jwk: string }>(`SELECT jwk FROM space_identity WHERE name = 'sequencer'`);
  if (row) return Ed25519Signer.fromJwk(JSON.parse(row.jwk));
  const signer = await Ed25519Signer.generate();
  storeSigner(sql, signer);
  return signer;
}

/** Keeps `signer` as this replica's sequencer key (the genesis that names it has arrived). */
export function storeSigner(sql: SqlStorage, signer: Ed25519Signer): void {
  sql.exec(SCHEMA);
  sql.exec(`INSERT OR IGNORE INTO space_identity (name, jwk) VALUES ('sequencer', ?)`, JSON.stringify(signer.exportPrivateJwk()));
}
