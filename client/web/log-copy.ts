/**
 * The page's copy of one space's log in IndexedDB (keystore.ts): which envelopes it holds,
 * writes appended in order (one transaction per batch, so the copy is always a prefix of
 * what arrived here), its newest page read first (a reload's first paint) and the rest after,
 * and the version vector a reload's `log.hello` sends, so the edge sends only what the copy
 * lacks. Only verified envelopes (verify.ts) or this page's own are kept.
 */
import type { EnvelopeId, VersionVector } from "../../core/log/ids.js";
import type { WireEnvelope } from "../../core/log/replica.js";
import { copyOf, keepInCopy, newestInCopy } from "./keystore.js";

export class LogCopy {
  private ids = new Set<EnvelopeId>();
  private seqs = new Map<string, Set<number>>();
  private next = 0;
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(readonly space: string) {}

  /** Opens the copy with its newest `n` envelopes (a first paint's page), in the order they arrived. */
  static async open(space: string, n: number): Promise<{ copy: LogCopy; newest: WireEnvelope[] }> {
    const copy = new LogCopy(space);
    const { envelopes, next } = await newestInCopy(space, n);
    copy.next = next;
    return { copy, newest: envelopes };
  }

  /** Everything the copy holds, in order; the vector is known once this resolved. */
  async all(): Promise<WireEnvelope[]> {
    const envelopes = await copyOf(this.space);
    for (const envelope of envelopes) this.note(envelope);
    return envelopes;
  }

  /** Appends what the copy does not hold yet; writes land in call order. */
  keep(envelopes: readonly WireEnvelope[]): void {
    const fresh = envelopes.filter((envelope) => !this.ids.has(envelope.id));
    if (fresh.length === 0) return;
    for (const envelope of fresh) this.note(envelope);
    const from = this.next;
    this.next += fresh.length;
    // A failed write (storage full, a private window) costs the next visit a longer catch-up, nothing more.
    this.writes = this.writes.then(() => keepInCopy(this.space, from, fresh)).catch(() => undefined);
  }

  /**
   * Per author, the longest gapless run of seqs from 1 the copy holds: an envelope refused as
   * unverified leaves a gap, so the edge sends it (and what follows) again.
   */
  vector(): VersionVector {
    const vv: VersionVector = {};
    for (const [author, held] of this.seqs) {
      let n = 0;
      while (held.has(n + 1)) n++;
      if (n > 0) vv[author] = n;
    }
    return vv;
  }

  private note(envelope: WireEnvelope): void {
    this.ids.add(envelope.id);
    (this.seqs.get(envelope.author) ?? this.seqs.set(envelope.author, new Set()).get(envelope.author)!).add(envelope.seq);
  }
}
