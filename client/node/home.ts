/**
 * Where a local node keeps its state: `~/.commons` (or `$COMMONS_HOME`).
 *
 *   <home>/identity.json        this node's Ed25519 private JWK (0600)
 *   <home>/spaces/<space>.db    one SQLite file per joined space: log tables, y_updates,
 *                               node_meta (edge URL, last sync…); plus SQLite's -wal/-shm
 *   <home>/spaces/<space>.lock  held while a process writes the space (client/node/lock.ts)
 *
 * The directory is created 0700 and secret files 0600, so other users on the machine can
 * read neither the key nor the copies.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { SpaceId } from "../../core/ids.js";
import { isSpaceId } from "../../core/ids.js";

export interface Home {
  root: string;
  identityFile: string;
  spacesDir: string;
}

/** The node's home: `COMMONS_HOME` if set, else `~/.commons`. Created on first use. */
export function commonsHome(env: NodeJS.ProcessEnv = process.env): Home {
  const root = resolve(env.COMMONS_HOME && env.COMMONS_HOME.length > 0 ? env.COMMONS_HOME : join(homedir(), ".commons"));
  return { root, identityFile: join(root, "identity.json"), spacesDir: join(root, "spaces") };
}

export function ensureHome(home: Home): void {
  mkdirSync(home.spacesDir, { recursive: true, mode: 0o700 });
  chmodSync(home.root, 0o700);
}

export const spaceFile = (home: Home, space: SpaceId) => join(home.spacesDir, `${space}.db`);
export const lockFile = (home: Home, space: SpaceId) => join(home.spacesDir, `${space}.lock`);

export function hasSpace(home: Home, space: SpaceId): boolean {
  return existsSync(spaceFile(home, space));
}

/** Names of the spaces with a local copy, sorted. */
export function listSpaces(home: Home): SpaceId[] {
  if (!existsSync(home.spacesDir)) return [];
  return readdirSync(home.spacesDir)
    .filter((name) => name.endsWith(".db"))
    .map((name) => name.slice(0, -3))
    .filter(isSpaceId)
    .sort();
}

/** Writes a secret file readable by its owner only (created 0600, re-chmodded if it existed). */
export function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
