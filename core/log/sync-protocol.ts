/**
 * The signed log's sync messages, carried on the space socket as frame type 100 (a JSON
 * text inside a binary frame; see docs/PROTOCOL.md) and by `commons serve`/`peer` between
 * nodes. Typed unions parsed with zod where they arrive; pure encode/decode, no I/O.
 *
 *   client → server                          server → client
 *   log.hello  {vv, live}                    log.hello  {space, sequencer, vv, count}
 *   log.push   {batch}                       log.batch  {envelopes, more}   (catch-up, then live)
 *                                            log.synced {vv}                (catch-up finished)
 *                                            view.changed {frontier}        (live: something committed)
 *                                            log.ack    {results}           (one per pushed item)
 *                                            log.error  {code, message}
 *
 * Catch-up: after `log.hello` the server sends what the client lacks (by version vector)
 * in batches, then `log.synced` with its vector; the client pushes what the server lacks.
 * With `live: true` the server also pushes every envelope it accepts later, and the
 * sequencer's receipts, as `log.batch`.
 */
import { z } from "zod";
import { encodeLog } from "../yjs/frames.js";
import type { IngestResult, WireEnvelope } from "./replica.js";
import type { VersionVector } from "./ids.js";

/** Envelopes per batch frame, and the byte budget that keeps a frame far under 1 MiB. */
export const LOG_BATCH_ENVELOPES = 256;
export const LOG_BATCH_BYTES = 512 * 1024;

const versionVector = z.record(z.string().max(200), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));

export const LogClientMessage = z.discriminatedUnion("t", [
  z.strictObject({ t: z.literal("log.hello"), vv: versionVector, live: z.boolean().default(false) }),
  // Items are verified one by one by the replica; only the batch shape is checked here.
  z.strictObject({ t: z.literal("log.push"), batch: z.array(z.unknown()).min(1).max(LOG_BATCH_ENVELOPES) }),
]);
export type LogClientMessage = z.infer<typeof LogClientMessage>;

export type LogServerMessage =
  | { t: "log.hello"; space: string; sequencer: string | null; vv: VersionVector; count: number }
  | { t: "log.batch"; envelopes: WireEnvelope[]; more: boolean }
  | { t: "log.synced"; vv: VersionVector }
  | { t: "view.changed"; frontier: number }
  | { t: "log.ack"; results: IngestResult[] }
  | { t: "log.error"; code: string; message: string };

const ServerMessage = z.discriminatedUnion("t", [
  z.object({ t: z.literal("log.hello"), space: z.string(), sequencer: z.string().nullable(), vv: versionVector, count: z.number() }),
  z.object({ t: z.literal("log.batch"), envelopes: z.array(z.record(z.string(), z.unknown())), more: z.boolean() }),
  z.object({ t: z.literal("log.synced"), vv: versionVector }),
  z.object({ t: z.literal("view.changed"), frontier: z.number().int().min(0) }),
  z.object({ t: z.literal("log.ack"), results: z.array(z.object({ status: z.string() }).passthrough()) }),
  z.object({ t: z.literal("log.error"), code: z.string(), message: z.string() }),
]);

export type LogDecode<T> = { ok: true; message: T } | { ok: false; code: "log-malformed"; message: string };

function decodeWith<T>(schema: z.ZodType, json: string): LogDecode<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, code: "log-malformed", message: "log frame is not JSON" };
  }
  const checked = schema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { ok: false, code: "log-malformed", message: `log frame: ${issue?.path.join(".") || "message"} ${issue?.message ?? "is invalid"}` };
  }
  return { ok: true, message: checked.data as T };
}

export const decodeLogClientMessage = (json: string) => decodeWith<LogClientMessage>(LogClientMessage, json);
export const decodeLogServerMessage = (json: string) => decodeWith<LogServerMessage>(ServerMessage, json);
export const encodeLogMessage = (message: LogClientMessage | LogServerMessage) => encodeLog(JSON.stringify(message));

/** Splits envelopes into batches under both the count and the byte budget. */
export function* batches(envelopes: readonly WireEnvelope[]): Generator<WireEnvelope[]> {
  let batch: WireEnvelope[] = [];
  let bytes = 0;
  for (const envelope of envelopes) {
    const size = JSON.stringify(envelope).length;
    if (batch.length > 0 && (batch.length >= LOG_BATCH_ENVELOPES || bytes + size > LOG_BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(envelope);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/** `vv` advanced past every envelope in `envelopes` (a catch-up cursor). */
export function advance(vv: VersionVector, envelopes: readonly WireEnvelope[]): VersionVector {
  const next = { ...vv };
  for (const envelope of envelopes) next[envelope.author] = Math.max(next[envelope.author] ?? 0, envelope.seq);
  return next;
}
