/**
 * The SpaceDO's own Ed25519 key: the space's default sequencer signs commit receipts with
 * it. Made on first use and kept in the object's SQLite, so it lives exactly as long as
 * this replica: a wiped replica gets a new key, and an owner appoints it (or a node) as the
 * sequencer with a signed `sequencer.appointed` envelope.
 */
import { Ed25519Signer } from "../core/identity/signer.js";
import type { SqlStorage } from "../core/storage/sql.js";

const SCHEMA = `CREATE TABLE IF NOT EXISTS space_identity (name TEXT PRIMARY KEY, jwk TEXT NOT NULL)`;

export async function loadOrCreateSigner(sql: SqlStorage): Promise<Ed25519Signer> {
  sql.exec(SCHEMA);
  const [row] = sql.exec<{ jwk: string }>(`SELECT jwk FROM space_identity WHERE name = 'sequencer'`);
  if (row) return Ed25519Signer.fromJwk(JSON.parse(row.jwk));
  const signer = await Ed25519Signer.generate();
  sql.exec(`INSERT INTO space_identity (name, jwk) VALUES ('sequencer', ?)`, JSON.stringify(signer.exportPrivateJwk()));
  return signer;
}
