/** A per-author quota for ingest tests: `burst` envelopes, refilled slowly, on a frozen clock. */
import { Limiter } from "../../../core/space/quota.js";

export function limiterFor(burst: number, now: number) {
  const limiter = new Limiter({ burst, perSecond: 0.001 }, () => now);
  return (author: string) => limiter.take(author);
}
