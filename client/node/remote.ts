/**
 * Where a space lives remotely: parsing space URLs (`http://127.0.0.1:8787/s/incident-42`,
 * or ws://, or a `commons serve` peer), asking a replica for its log state over HTTP, and
 * the credentials its door asks for (docs/PROTOCOL.md, "Who is connecting").
 * An unreachable remote is `offline`, a normal condition for a local node, not a crash.
 */
import { issueCapability } from "../../core/auth/capability.js";
import { CommonsError } from "../../core/errors.js";
import type { Did } from "../../core/identity/did.js";
import type { Signer } from "../../core/identity/signer.js";
import { parseSpaceId, type SpaceId } from "../../core/ids.js";
import type { EnvelopeId, VersionVector } from "../../core/log/ids.js";

export interface SpaceUrl {
  space: SpaceId;
  /** http(s) origin (plus any path prefix before /s/), e.g. http://127.0.0.1:8787 */
  http: string;
  /** The socket URL, e.g. ws://127.0.0.1:8787/s/incident-42 */
  ws: string;
}

/**
 * `GET /s/:space/log/state`. Everyone gets `space`, `exists`, `sequencer` and `epoch` (what a
 * newcomer needs for its genesis or first token); the rest only a connection that may read.
 */
export interface RemoteState {
  space: string;
  /** A genesis is held there. */
  exists: boolean;
  sequencer: Did | null;
  /** The remote's committed membership epoch: what a token for its door must carry. */
  epoch: number;
  activeSequencer?: Did | null;
  vv?: VersionVector;
  heads?: EnvelopeId[];
  count?: number;
  frontier?: number;
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

/** `GET /s/:space/log/state` (with `token`, the full state for a reader); throws `offline` (exit 3) when the remote cannot be reached. */
export async function fetchState(http: string, space: SpaceId, timeoutMs = 5_000, token?: string): Promise<RemoteState> {
  const url = `${http}/s/${space}/log/state`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }) });
  } catch {
    throw offline(http);
  }
  if (!res.ok) throw await remoteError(res, url);
  return (await res.json()) as RemoteState;
}

/**
 * A self-issued capability token for this node's key, to show the remote's door who is
 * connecting. It carries the remote's committed epoch (asked over HTTP, no token needed):
 * valid there whenever this key is a member there, even for a newcomer whose copy is empty
 * or a member whose membership changed while its copy was away.
 */
export async function doorToken(signer: Signer, http: string, space: SpaceId): Promise<string> {
  const { epoch } = await fetchState(http, space);
  return issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch });
}

/** The socket URL with the door's token (`?token=`: what every WebSocket client can send). */
export function withToken(wsUrl: string, token: string): string {
  const url = new URL(wsUrl);
  url.searchParams.set("token", token);
  return url.toString();
}

/**
 * Why a remote refused: its door answers a socket's upgrade with the same JSON error as an
 * HTTP read, but a WebSocket client cannot see it; this reads it over HTTP, with the token.
 */
export async function refusalOf(http: string, space: SpaceId, token: string | null): Promise<CommonsError | null> {
  let res: Response;
  try {
    res = await fetch(`${http}/s/${space}/log?limit=1`, { signal: AbortSignal.timeout(5_000), ...(token === null ? {} : { headers: { Authorization: `Bearer ${token}` } }) });
  } catch {
    return null;
  }
  return res.ok ? null : remoteError(res, `${http}/s/${space}`);
}

/** A remote's error answer as a CommonsError: its own code and message when it sent one. */
async function remoteError(res: Response, url: string): Promise<CommonsError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    if (typeof error.code === "string" && typeof error.message === "string") return new CommonsError(error.code, `${url}: ${error.message}`, { status: res.status });
  } catch {
    // Not a Commons error body: report the status and the start of the text below.
  }
  return new CommonsError("remote-error", `${url} answered ${res.status}: ${text.slice(0, 200)}`);
}

export function offline(remote: string, tentative?: number): CommonsError {
  const local = tentative === undefined ? "" : `; ${tentative} tentative`;
  return new CommonsError("offline", `offline: could not reach ${remote}${local}. Local work goes on; run \`commons sync\` when it is back.`, { status: 503 });
}
