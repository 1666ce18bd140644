/**
 * A space exists only after its genesis. Until a `space.created` arrives, the SpaceDO
 * stores nothing at all — no tables, no key, not even partyserver's name record — so
 * connecting to 500 new names makes no spaces on disk. Before the genesis it answers:
 *
 *   GET  /s/:space/log/state   { space, exists: false, sequencer, epoch: 0 }: the key a
 *                              genesis should name (kept in memory, stored with the genesis)
 *   POST /s/:space/log         a batch that opens with a space.created: let through
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
    const first = batch[0] as { type?: unknown; author?: unknown; body?: { sequencer?: unknown } } | undefined;
    if (first?.type === "space.created") {
      // The edge sequences the spaces it opens: a genesis must name the key /log/state showed
      // (an edge that restarted in between shows a new one).
      const named = first.body?.sequencer ?? first.author;
      if (named !== pending.did) {
        const error = new CommonsError("genesis-sequencer-unknown", `This edge sequences "${space}" with ${pending.did}, but the genesis names ${String(named).slice(0, 80)}: read /s/${space}/log/state again and sign a new genesis (\`commons create\` does).`, { status: 409 });
        return Response.json(error.toJSON(), { status: 409 });
      }
      return new Request(request, { body: text });
    }
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
