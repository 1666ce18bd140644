/**
 * A space exists only after its genesis. Until a `space.created` arrives, the SpaceDO
 * stores nothing at all — no tables, no key, not even partyserver's name record — so
 * connecting to 500 new names makes no spaces on disk. Before the genesis it answers:
 *
 *   GET  /s/:space/log/state   { space, exists: false, sequencer, epoch: 0 }: the key a
 *                              genesis should name (kept in memory, stored with the genesis)
 *   POST /s/:space/log         a batch that opens with a space.created: let through, and
 *                              the key above is kept (the genesis names it, or an owner
 *                              appoints it later)
 *   anything else              404 space-not-found, saying how to create it
 */
import { CommonsError } from "../core/errors.js";
import type { Ed25519Signer } from "../core/identity/signer.js";
import { parseLogPost } from "../core/log/http.js";

/** True when this object's storage holds a genesis: reads the schema, writes nothing. */
export function hasGenesis(storage: DurableObjectStorage): boolean {
  const tables = storage.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log_meta'`).toArray();
  if (tables.length === 0) return false;
  return storage.sql.exec(`SELECT 1 FROM log_meta WHERE key = 'genesis'`).toArray().length > 0;
}

/**
 * What a space without a genesis answers: a Response, or — for a POST that brings a
 * genesis — the request to serve as usual (its body read once and passed on).
 */
export async function beforeGenesis(request: Request, space: string, pending: Ed25519Signer): Promise<Response | Request> {
  const url = new URL(request.url);
  const path = url.pathname.split("/").slice(3).join("/");
  if (request.method === "GET" && path === "log/state" && request.headers.get("Upgrade") === null) {
    return Response.json({ space, exists: false, sequencer: pending.did, epoch: 0 });
  }
  if (request.method === "POST" && path === "log") {
    const text = await request.text();
    const batch = parseLogPost(text);
    const first = batch[0] as { type?: unknown } | undefined;
    // The genesis usually names the key /log/state showed (the edge sequences it). It may name
    // another — a node re-hosting a space whose old edge is gone (`commons host`) — and then
    // this replica relays until an owner appoints it.
    if (first?.type === "space.created") return new Request(request, { body: text });
  }
  // Read what was sent before answering: an unread body leaves workerd complaining in the log.
  if (!request.bodyUsed && request.body !== null) await request.arrayBuffer().catch(() => undefined);
  const error = new CommonsError(
    "space-not-found",
    `There is no space "${space}" here yet: create it with \`commons create ${url.origin}/s/${space}\` (its genesis makes it).`,
    { status: 404 },
  );
  return Response.json(error.toJSON(), { status: 404 });
}
