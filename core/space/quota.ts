/**
 * Quotas at a replica's door: token buckets per key (an author, a connection, an identity's
 * sockets), so one writer cannot flood a space for everyone else. A refusal says when to
 * come back: `rate-limited`, with the seconds until the bucket holds enough again.
 *
 * Pure and in memory: the clock is injected, and a bucket forgotten on eviction only ever
 * errs towards letting a writer in. Limits are per replica; the numbers are documented in
 * docs/PROTOCOL.md and can be set with the edge's `COMMONS_QUOTAS` variable (JSON).
 */
import { z } from "zod";

export interface Bucket {
  /** Most tokens held: the burst a key may spend at once. */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

export const QuotaConfig = z.strictObject({
  /** Envelopes per author whose stamp is recent (live writing, not replayed history). */
  authorEnvelopes: z.strictObject({ burst: z.number().positive(), perSecond: z.number().positive() }),
  /** Frames per socket. */
  socketFrames: z.strictObject({ burst: z.number().positive(), perSecond: z.number().positive() }),
  /** Bytes per socket. */
  socketBytes: z.strictObject({ burst: z.number().positive(), perSecond: z.number().positive() }),
  /** Open sockets per verified identity, and for all anonymous sockets together. */
  socketsPerIdentity: z.number().int().positive(),
  anonymousSockets: z.number().int().positive(),
}).partial();
export type QuotaConfig = z.infer<typeof QuotaConfig>;

/**
 * Generous on purpose: they bound a flood, they do not shape normal work. The benchmarks
 * (5,000 updates/s from one socket, 10k-envelope posts) stay inside them.
 */
export const DEFAULT_QUOTAS: Required<QuotaConfig> = {
  authorEnvelopes: { burst: 20_000, perSecond: 5_000 },
  socketFrames: { burst: 20_000, perSecond: 10_000 },
  socketBytes: { burst: 64 * 1024 * 1024, perSecond: 16 * 1024 * 1024 },
  socketsPerIdentity: 64,
  anonymousSockets: 512,
};

/** Reads `COMMONS_QUOTAS` (JSON, any subset of the fields); the defaults fill the rest. */
export function quotasFrom(text: string | undefined): Required<QuotaConfig> {
  if (text === undefined || text.trim() === "") return DEFAULT_QUOTAS;
  const parsed = QuotaConfig.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`COMMONS_QUOTAS: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return { ...DEFAULT_QUOTAS, ...parsed.data };
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Token buckets by key. Keys idle long enough to be full again are dropped. */
export class Limiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly bucket: Bucket, private readonly now: () => number = () => Date.now()) {}

  /** Takes `cost` tokens from `key`'s bucket, or says how long until it could. */
  take(key: string, cost = 1): Take {
    const now = this.now();
    const held = this.buckets.get(key);
    const tokens = held === undefined ? this.bucket.burst : Math.min(this.bucket.burst, held.tokens + ((now - held.at) / 1000) * this.bucket.perSecond);
    if (tokens < cost) {
      this.buckets.set(key, { tokens, at: now });
      const needed = Math.min(cost, this.bucket.burst) - tokens;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(needed / this.bucket.perSecond)) };
    }
    this.buckets.set(key, { tokens: tokens - cost, at: now });
    if (this.buckets.size > 10_000) this.sweep(now);
    return { ok: true };
  }

  private sweep(now: number): void {
    const refill = (this.bucket.burst / this.bucket.perSecond) * 1000;
    for (const [key, held] of this.buckets) if (now - held.at >= refill) this.buckets.delete(key);
  }
}

/** Counts open sockets per identity (anonymous ones under one key). */
export class SocketCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: { perIdentity: number; anonymous: number }) {}

  /** Admits one more socket for `did` (null: anonymous), or says no. */
  admit(did: string | null): boolean {
    const key = did ?? "";
    const count = this.open.get(key) ?? 0;
    if (count >= (did === null ? this.limits.anonymous : this.limits.perIdentity)) return false;
    this.open.set(key, count + 1);
    return true;
  }

  release(did: string | null): void {
    const key = did ?? "";
    const count = (this.open.get(key) ?? 1) - 1;
    if (count <= 0) this.open.delete(key);
    else this.open.set(key, count);
  }
}

/** The message of a `rate-limited` refusal. */
export function rateLimitedMessage(what: string, retryAfterSeconds: number): string {
  return `rate-limited: too many ${what}; retry after ${retryAfterSeconds} s`;
}
