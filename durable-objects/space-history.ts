/**
 * The SpaceDO's sealed history on R2: the blob store behind core/log/segment-history.ts
 * (`SegmentStore` over the `HISTORY` bucket) and how the object configures it. The sealing,
 * reading and verification are portable and live in core; this file is the platform glue.
 */
import { SegmentHistory } from "../core/log/segment-history.js";
import type { SegmentStore } from "../core/log/segment.js";
import type { SqlStorage } from "../core/storage/sql.js";

/** R2 as a segment store: one object per segment, its text as the body. */
export class R2SegmentStore implements SegmentStore {
  constructor(private readonly bucket: R2Bucket) {}

  async get(key: string): Promise<string | null> {
    const object = await this.bucket.get(key);
    return object === null ? null : object.text();
  }

  async put(key: string, text: string): Promise<void> {
    await this.bucket.put(key, text, { httpMetadata: { contentType: "text/plain; charset=utf-8" } });
  }
}

/**
 * The history of space `space` over the object's SQLite and `env.HISTORY`. Without the
 * binding nothing is sealed (and a store that holds sealed rows refuses reads of them with
 * `history-unavailable`). `COMMONS_SEGMENT_ENVELOPES` sets the segment size.
 */
export function spaceHistory(sql: SqlStorage, env: Pick<Env, "HISTORY" | "COMMONS_SEGMENT_ENVELOPES">, space: string): SegmentHistory {
  const size = Number(env.COMMONS_SEGMENT_ENVELOPES);
  const store = (env.HISTORY as R2Bucket | undefined) === undefined ? undefined : new R2SegmentStore(env.HISTORY);
  return new SegmentHistory(sql, store, space, Number.isSafeInteger(size) && size > 0 ? { segmentEnvelopes: size } : {});
}
