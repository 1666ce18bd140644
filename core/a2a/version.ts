/**
 * `A2A-Version` negotiation (spec §3.6). The header names Major.Minor; patch numbers are
 * not considered (a client that sends 1.0.2 asks for 1.0). An absent or empty header means
 * 0.3, as the spec requires of servers — with one exception: a JSON-RPC call whose method
 * is a v1.0 name (`SendMessage`, `GetTask`, …) is read as 1.0, because 0.3 has no method of
 * that name (its methods were `message/send`, `tasks/get`, …), so the name itself says which protocol
 * the caller speaks and nothing is guessed. (The A2A TCK's main branch sends such calls
 * without the header: docs/AGENTS.md, "Conformance".) HTTP+JSON paths do not name a
 * version, so there a missing header stays 0.3 and, Commons agents declaring only 1.0, is
 * refused with VersionNotSupportedError (HTTP 400) whose message says to send
 * `A2A-Version: 1.0`, rather than answering a 0.3 client with 1.0 shapes it cannot read.
 */
import type { AgentCard } from "@a2a-js/sdk";
import { VersionNotSupportedError } from "@a2a-js/sdk/errors";
import { validateVersion } from "@a2a-js/sdk/server";

export const LEGACY_VERSION = "0.3";
export const CURRENT_VERSION = "1.0";

/**
 * The version a request asks for: Major.Minor of its header; with none, 1.0 on JSON-RPC
 * (a call reaches this check only with a v1.0 method name: core/a2a/jsonrpc.ts answers any
 * other -32601 first), else 0.3.
 */
export function requestedVersion(header: string | null | undefined, binding: "JSONRPC" | "HTTP+JSON"): string {
  const text = header?.trim() ?? "";
  if (text === "") return binding === "JSONRPC" ? CURRENT_VERSION : LEGACY_VERSION;
  const match = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text);
  return match ? `${Number(match[1])}.${Number(match[2])}` : text;
}

/** Throws VersionNotSupportedError unless `card` declares the requested version for `binding`. */
export function checkVersion(header: string | null | undefined, card: AgentCard, binding: "JSONRPC" | "HTTP+JSON"): string {
  const version = requestedVersion(header, binding);
  try {
    validateVersion(version, card, binding);
  } catch (error) {
    if (!(error instanceof VersionNotSupportedError)) throw error;
    const asked = header?.trim() ? `A2A-Version ${header.trim()}` : `no A2A-Version header (read as ${LEGACY_VERSION})`;
    throw new VersionNotSupportedError(`This agent speaks A2A 1.0 only and the request sent ${asked}: send the header "A2A-Version: 1.0".`);
  }
  return version;
}
