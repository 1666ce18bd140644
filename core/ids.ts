/**
 * Branded identifiers. A branded id is a plain string at run time; the brand only stops
 * one kind of id being passed where another is expected. Parse at the trust boundary
 * (route, socket, CLI argument), then pass the branded value inward.
 */
import { CommonsError } from "./errors.js";

export type SpaceId = string & { readonly __brand: "SpaceId" };

/**
 * Space names: 1–64 characters of lowercase ASCII letters, digits, `-`, `_` and `.`,
 * starting and ending with a letter or digit. Lowercase only, so `Incident-42` and
 * `incident-42` can never be two different spaces that look alike in a URL.
 */
export const SPACE_NAME_MAX_LENGTH = 64;
const SPACE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export function isSpaceId(name: string): name is SpaceId {
  return SPACE_NAME_PATTERN.test(name);
}

/** Parses a space name from untrusted input; throws `invalid-space-name` (400) otherwise. */
export function parseSpaceId(name: string): SpaceId {
  if (isSpaceId(name)) return name;
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  const hint = /[A-Z]/.test(name) && isSpaceId(name.toLowerCase())
    ? ` Did you mean "${name.toLowerCase()}"?`
    : "";
  throw new CommonsError(
    "invalid-space-name",
    `"${shown}" is not a valid space name: use 1–${SPACE_NAME_MAX_LENGTH} lowercase letters, digits, "-", "_" or ".", starting and ending with a letter or digit.${hint}`,
    { status: 400 },
  );
}
