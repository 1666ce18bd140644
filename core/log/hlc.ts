/**
 * Hybrid logical clock stamps. An envelope's `hlc` is
 * `<wall ms, 13 digits>-<counter, 4 digits>-<last 8 characters of the author's did>`,
 * e.g. `1767225600000-0000-Zq7oMMsw`: fixed width, so string order is time order (until
 * the year 2286), and the suffix makes stamps of different authors distinct.
 *
 * Replicas require an envelope's stamp to be greater than its `prev`'s and every dep's, so
 * the stamp never contradicts causality and can judge deadlines (approval expiry) the
 * same way on every replica. The counter orders events within one millisecond; when it
 * would pass 9999 the wall part moves one millisecond ahead instead.
 */
import { didSuffix, type Did } from "../identity/did.js";

export const HLC_PATTERN = /^\d{13}-\d{4}-[1-9A-HJ-NP-Za-km-z]{8}$/;
const COUNTER_MAX = 9999;

export interface HlcParts {
  wall: number;
  counter: number;
  suffix: string;
}

export function parseHlc(hlc: string): HlcParts | null {
  if (!HLC_PATTERN.test(hlc)) return null;
  return { wall: Number(hlc.slice(0, 13)), counter: Number(hlc.slice(14, 18)), suffix: hlc.slice(19) };
}

export function formatHlc(wall: number, counter: number, author: Did): string {
  return `${String(wall).padStart(13, "0")}-${String(counter).padStart(4, "0")}-${didSuffix(author)}`;
}

/** The wall-clock milliseconds of a stamp (for display and deadlines). */
export function hlcWallTime(hlc: string): number {
  return Number(hlc.slice(0, 13));
}

/**
 * The stamp for a new envelope by `author` at wall time `now`, after every stamp in
 * `seen` (its prev and deps): strictly greater than all of them.
 */
export function nextHlc(author: Did, now: number, seen: Iterable<string>): string {
  let wall = Math.max(0, Math.floor(now));
  let counter = 0;
  for (const stamp of seen) {
    const parts = parseHlc(stamp);
    if (parts === null) continue;
    if (parts.wall > wall) {
      wall = parts.wall;
      counter = parts.counter + 1;
    } else if (parts.wall === wall && parts.counter >= counter) {
      counter = parts.counter + 1;
    }
  }
  if (counter > COUNTER_MAX) {
    wall += 1;
    counter = 0;
  }
  return formatHlc(wall, counter, author);
}
