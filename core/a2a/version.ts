/**
 * `A2A-Version` negotiation (spec §3.6). The header names Major.Minor; patch numbers are
 * not considered (a client that sends 1.0.2 asks for 1.0). An absent or empty header means
 * 0.3, as the spec requires of servers. Commons agents declare only 1.0, so a request
 * without the header is refused with VersionNotSupportedError (-32009 / HTTP 400) whose
 * message says to send `A2A-Version: 1.0` — rather than guessed at as 1.0, which would
 * answer a 0.3 client with 1.0 shapes it cannot read. (The TCK's main branch sends no
 * header: docs/AGENTS.md.)
 */
import type { AgentCard } from "@a2a-js/sdk";
import { VersionNotSupportedError } from "@a2a-js/sdk/errors";
import { validateVersion } from "@a2a-js/sdk/server";

export const LEGACY_VERSION = "0.3";

/** The version a request asks for: Major.Minor of its header, 0.3 when it has none. */
export function requestedVersion(header: string | null | undefined): string {
  const text = header?.trim() ?? "";
  if (text === "") return LEGACY_VERSION;
  const match = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text);
  return match ? `${Number(match[1])}.${Number(match[2])}` : text;
}

/** Throws VersionNotSupportedError unless `card` declares the requested version for `binding`. */
export function checkVersion(header: string | null | undefined, card: AgentCard, binding: "JSONRPC" | "HTTP+JSON"): string {
  const version = requestedVersion(header);
  try {
    validateVersion(version, card, binding);
  } catch (error) {
    if (!(error instanceof VersionNotSupportedError)) throw error;
    const asked = header?.trim() ? `A2A-Version ${header.trim()}` : `no A2A-Version header (read as ${LEGACY_VERSION})`;
    throw new VersionNotSupportedError(`This agent speaks A2A 1.0 only and the request sent ${asked}: send the header "A2A-Version: 1.0".`);
  }
  return version;
}
