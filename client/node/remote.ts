/**
 * Where a space lives remotely: parsing space URLs (`http://127.0.0.1:8787/s/incident-42`,
 * or ws://, or a `commons serve` peer) and asking a replica for its log state over HTTP.
 * An unreachable remote is `offline`, a normal condition for a local node, not a crash.
 */
import { CommonsError } from "../../core/errors.js";
import type { Did } from "../../core/identity/did.js";
import { parseSpaceId, type SpaceId } from "../../core/ids.js";
import type { EnvelopeId, VersionVector } from "../../core/log/ids.js";

export interface SpaceUrl {
  space: SpaceId;
  /** http(s) origin (plus any path prefix before /s/), e.g. http://127.0.0.1:8787 */
  http: string;
  /** The socket URL, e.g. ws://127.0.0.1:8787/s/incident-42 */
  ws: string;
}

export interface RemoteState {
  space: string;
  sequencer: Did | null;
  activeSequencer: Did | null;
  vv: VersionVector;
  heads: EnvelopeId[];
  count: number;
  frontier: number;
}

const EXAMPLE = "http://127.0.0.1:8787/s/incident-42";

/** Parses `<scheme>://host[:port][/prefix]/s/<space>`; `spaceOptional` accepts a bare peer URL too. */
export function parseSpaceUrl(text: string): SpaceUrl {
  const parsed = parseRemote(text);
  if (parsed.space === null) {
    throw new CommonsError("invalid-space-url", `"${text}" names no space: space URLs end in /s/<space>, e.g. ${EXAMPLE}`);
  }
  return { space: parsed.space, http: parsed.http, ws: `${parsed.wsBase}/s/${parsed.space}` };
}

export function parseRemote(text: string): { space: SpaceId | null; http: string; wsBase: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CommonsError("invalid-space-url", `"${text}" is not a URL: give a space URL such as ${EXAMPLE}`);
  }
  const schemes: Record<string, [string, string]> = { "http:": ["http:", "ws:"], "https:": ["https:", "wss:"], "ws:": ["http:", "ws:"], "wss:": ["https:", "wss:"] };
  const pair = schemes[url.protocol];
  if (pair === undefined) throw new CommonsError("invalid-space-url", `"${text}" uses ${url.protocol} — use http(s):// or ws(s)://, e.g. ${EXAMPLE}`);
  if (url.search !== "" || url.hash !== "") throw new CommonsError("invalid-space-url", `"${text}" has a query or fragment: give the bare space URL, e.g. ${EXAMPLE}`);
  const path = url.pathname.replace(/\/+$/, "");
  const match = /^(.*)\/s\/([^/]+)$/.exec(path);
  const prefix = match ? match[1]! : path;
  const space = match ? parseSpaceId(decodeURIComponent(match[2]!)) : null;
  return { space, http: `${pair[0]}//${url.host}${prefix}`, wsBase: `${pair[1]}//${url.host}${prefix}` };
}

/** `GET /s/:space/log/state`; throws `offline` (exit 3) when the remote cannot be reached. */
export async function fetchState(http: string, space: SpaceId, timeoutMs = 5_000): Promise<RemoteState> {
  const url = `${http}/s/${space}/log/state`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw offline(http);
  }
  if (!res.ok) throw new CommonsError("remote-error", `${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as RemoteState;
}

export function offline(remote: string, tentative?: number): CommonsError {
  const local = tentative === undefined ? "" : `; ${tentative} tentative`;
  return new CommonsError("offline", `offline: could not reach ${remote}${local}. Local work goes on; run \`commons sync\` when it is back.`, { status: 503 });
}
