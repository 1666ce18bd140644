/**
 * Causal structure of a set of envelopes: a deterministic causal order (topological over
 * prev and deps, ties broken by the smaller id), vector clocks, and consistent cuts.
 *
 * A cut is a version vector (author → highest seq included). It is consistent ("closed
 * under deps") when every envelope it includes has all of its causes included too; only
 * then is a view at that cut something a replica could actually have held.
 */
import { CommonsError } from "../errors.js";
import type { Envelope } from "../log/envelope.js";
import type { EnvelopeId, VersionVector } from "../log/ids.js";

export interface LogEntry {
  id: EnvelopeId;
  envelope: Envelope;
}

/**
 * Orders `entries` so every envelope comes after its prev and deps that are in the set;
 * among envelopes ready at the same time, the smaller id first. Same set → same order.
 */
export function causalOrder<T extends LogEntry>(entries: Iterable<T>): T[] {
  const byId = new Map<EnvelopeId, T>();
  for (const entry of entries) byId.set(entry.id, entry);
  const waiting = new Map<EnvelopeId, number>();
  const dependents = new Map<EnvelopeId, EnvelopeId[]>();
  const ready = new MinHeap();
  for (const [id, { envelope }] of byId) {
    let count = 0;
    for (const cause of causesOf(envelope)) {
      if (!byId.has(cause)) continue;
      count++;
      const list = dependents.get(cause);
      if (list === undefined) dependents.set(cause, [id]);
      else list.push(id);
    }
    if (count === 0) ready.push(id);
    else waiting.set(id, count);
  }
  const order: T[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(byId.get(id)!);
    for (const next of dependents.get(id) ?? []) {
      const left = waiting.get(next)! - 1;
      if (left === 0) {
        waiting.delete(next);
        ready.push(next);
      } else waiting.set(next, left);
    }
  }
  // Hash-linked envelopes cannot form a cycle, so every entry was emitted.
  return order;
}

function causesOf(envelope: Envelope): EnvelopeId[] {
  return envelope.prev === null ? envelope.deps : [envelope.prev, ...envelope.deps];
}

/** Each envelope's vector clock: for every author, the highest seq in its causal past (itself included). */
export function vectorClocks(ordered: readonly LogEntry[]): Map<EnvelopeId, VersionVector> {
  const clocks = new Map<EnvelopeId, VersionVector>();
  for (const { id, envelope } of ordered) {
    const clock: VersionVector = {};
    for (const cause of causesOf(envelope)) {
      const before = clocks.get(cause);
      if (before === undefined) continue;
      for (const author in before) if ((clock[author] ?? 0) < before[author]!) clock[author] = before[author]!;
    }
    clock[envelope.author] = envelope.seq;
    clocks.set(id, clock);
  }
  return clocks;
}

/** The entries a cut includes; throws `cut-not-closed` unless the cut is consistent. */
export function entriesAtCut<T extends LogEntry>(entries: Iterable<T>, cut: VersionVector): T[] {
  const all = [...entries];
  const byAuthorSeq = new Map<string, T>();
  for (const entry of all) byAuthorSeq.set(`${entry.envelope.author} ${entry.envelope.seq}`, entry);
  for (const [author, seq] of Object.entries(cut)) {
    for (let s = 1; s <= seq; s++) {
      if (!byAuthorSeq.has(`${author} ${s}`)) {
        throw new CommonsError("cut-out-of-range", `The cut includes ${author} seq ${s}, which these envelopes do not hold.`);
      }
    }
  }
  const included = all.filter((entry) => entry.envelope.seq <= (cut[entry.envelope.author] ?? 0));
  const ids = new Set(included.map((entry) => entry.id));
  for (const { id, envelope } of included) {
    for (const cause of causesOf(envelope)) {
      if (!ids.has(cause)) {
        throw new CommonsError("cut-not-closed", `The cut includes ${id} but not its cause ${cause}: it is not closed under deps.`);
      }
    }
  }
  return included;
}

/** The smallest consistent cut containing `ids` (their causal past, inclusive). */
export function cutOf(entries: Iterable<LogEntry>, ids: Iterable<EnvelopeId>): VersionVector {
  const clocks = vectorClocks(causalOrder(entries));
  const cut: VersionVector = {};
  for (const id of ids) {
    const clock = clocks.get(id);
    if (clock === undefined) throw new CommonsError("cut-out-of-range", `No envelope ${id} in this set.`);
    for (const author in clock) if ((cut[author] ?? 0) < clock[author]!) cut[author] = clock[author]!;
  }
  return cut;
}

/** A binary min-heap of ids: the "ready" set of the topological sort. */
class MinHeap {
  private readonly items: EnvelopeId[] = [];

  push(id: EnvelopeId): void {
    const items = this.items;
    items.push(id);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= id) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = id;
  }

  pop(): EnvelopeId | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
