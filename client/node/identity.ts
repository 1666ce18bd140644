/**
 * This node's identity: one Ed25519 key, its did:key the node's name in every space.
 * Stored as a private JWK in `<home>/identity.json` (0600); created by `commons id` or by
 * the first command that needs to sign.
 */
import { existsSync, readFileSync } from "node:fs";
import { CommonsError } from "../../core/errors.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { ensureHome, writeSecret, type Home } from "./home.js";

export async function loadIdentity(home: Home): Promise<Ed25519Signer | null> {
  if (!existsSync(home.identityFile)) return null;
  let jwk: unknown;
  try {
    jwk = (JSON.parse(readFileSync(home.identityFile, "utf8")) as { jwk?: unknown }).jwk;
  } catch {
    throw new CommonsError("identity-corrupt", `${home.identityFile} is not JSON: restore it from a backup, or move it aside and run \`commons id\` for a new identity.`);
  }
  try {
    return await Ed25519Signer.fromJwk(jwk);
  } catch (error) {
    throw new CommonsError("identity-corrupt", `${home.identityFile}: ${(error as Error).message}`);
  }
}

/** The node's key, created (and saved 0600) if this home has none yet. */
export async function loadOrCreateIdentity(home: Home): Promise<{ signer: Ed25519Signer; created: boolean }> {
  const existing = await loadIdentity(home);
  if (existing !== null) return { signer: existing, created: false };
  ensureHome(home);
  const signer = await Ed25519Signer.generate();
  writeSecret(home.identityFile, `${JSON.stringify({ did: signer.did, jwk: signer.exportPrivateJwk() }, null, 2)}\n`);
  return { signer, created: true };
}

/** The node's key for commands that sign; a clear error if there is none yet. */
export async function requireIdentity(home: Home): Promise<Ed25519Signer> {
  return (await loadOrCreateIdentity(home)).signer;
}
