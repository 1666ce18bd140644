/**
 * The HTTP twin of log sync, `/s/:space/log`: parsing of query strings and bodies at the
 * trust boundary into typed values (CommonsError 400 otherwise). Shared by the edge and by
 * the local node's `serve`.
 *
 *   GET  /s/:space/log?since=&type=&thread=&author=&attention=&limit=
 *        → { envelopes: [{ id, arrival, envelope, status }], nextCursor, hasMore }
 *   POST /s/:space/log   { "envelopes": [ … ] }  → { results: [{ id?, status, code?, message? }] }
 *   GET  /s/:space/log/state → { space, sequencer, vv, heads, count, frontier }
 */
import { z } from "zod";
import { CommonsError } from "../errors.js";
import { isDid, type Did } from "../identity/did.js";
import { isEnvelopeId, type EnvelopeId } from "./ids.js";
import type { LogQuery } from "./query.js";
import { LOG_BATCH_ENVELOPES } from "./sync-protocol.js";
import { ENVELOPE_TYPES } from "./types/index.js";

/** The most bytes a POST body may have: a full batch of maximum-size envelopes would not fit, by design. */
export const MAX_LOG_POST_BYTES = 4 * 1024 * 1024;

const cursor = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const did = z.string().refine(isDid, "must be a did:key");
const envelopeId = z.string().refine(isEnvelopeId, 'must be "sha256:" and 64 hex digits');
const type = z.string().refine((t) => (ENVELOPE_TYPES as string[]).includes(t), { message: `must be one of ${ENVELOPE_TYPES.join(", ")}` });

const QueryParams = z.strictObject({
  since: cursor.optional(),
  type: z.array(type).optional(),
  thread: envelopeId.optional(),
  author: did.optional(),
  attention: did.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function invalid(code: string, error: z.ZodError, what: string): CommonsError {
  const issue = error.issues[0];
  const where = issue?.path.join(".") || what;
  return new CommonsError(code, `${where}: ${issue?.message ?? "is invalid"}`, { status: 400 });
}

/** `type` may repeat (`?type=work.created&type=work.claimed`); every other parameter once. */
export function parseLogQuery(params: URLSearchParams): LogQuery {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === "type") raw.type = [...((raw.type as string[] | undefined) ?? []), value];
    else if (key in raw) throw new CommonsError("invalid-query", `${key} is given twice: give it once`, { status: 400 });
    else raw[key] = value;
  }
  const checked = QueryParams.safeParse(raw);
  if (!checked.success) throw invalid("invalid-query", checked.error, "query");
  const q = checked.data;
  return {
    ...(q.since === undefined ? {} : { since: q.since }),
    ...(q.type === undefined ? {} : { type: q.type }),
    ...(q.thread === undefined ? {} : { thread: q.thread as EnvelopeId }),
    ...(q.author === undefined ? {} : { author: q.author as Did }),
    ...(q.attention === undefined ? {} : { attention: q.attention as Did }),
    ...(q.limit === undefined ? {} : { limit: q.limit }),
  };
}

const PostBody = z.strictObject({ envelopes: z.array(z.unknown()).min(1).max(LOG_BATCH_ENVELOPES) });

/** Parses a POST body's text; the envelopes themselves are verified one by one by the replica. */
export function parseLogPost(text: string): unknown[] {
  if (text.length > MAX_LOG_POST_BYTES) {
    throw new CommonsError("body-too-large", `The body is over ${MAX_LOG_POST_BYTES} bytes: send at most ${LOG_BATCH_ENVELOPES} envelopes per request`, { status: 413 });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CommonsError("body-malformed", 'The body is not JSON: send {"envelopes": [ … ]}', { status: 400 });
  }
  const checked = PostBody.safeParse(parsed);
  if (!checked.success) throw invalid("body-malformed", checked.error, "body");
  return checked.data.envelopes;
}
