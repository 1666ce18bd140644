/**
 * Sealed history segments: the wire format of an immutable, hash-chained run of a replica's
 * log (consecutive arrivals), as it is kept in a blob store (R2 at the edge), and the small
 * blob-store interface. Pure: encode/decode and the chain check do no I/O (SHA-256 through
 * WebCrypto only). The grammar is in docs/SIGNED-LOG.md, "Sealed segments"; golden vectors
 * in test/core/log/segment.test.ts.
 *
 *   segment = header LF line *(LF line)          ; exactly `count` lines, in arrival order
 *   header  = canonical-json {v, space, index, first, last, count, prev, hash}
 *   line    = envelope-id SP signed-text         ; line i is arrival first + i
 *   hash    = "sha256:" hex SHA-256( canonical-json(header without hash) LF lines )
 *
 * `prev` is the hash of segment index-1 (null for index 0), so one hash names the whole
 * sealed prefix: a segment cannot be altered, dropped, reordered or swapped for another
 * space's without its own hash or the next one's `prev` failing.
 */
import { canonicalJson } from "../canonical-json.js";
import { CommonsError } from "../errors.js";
import { encodeHex } from "../identity/encoding.js";
import type { EnvelopeId } from "./ids.js";

export const SEGMENT_FORMAT_VERSION = 1;

/** Refusals when reading sealed history, with what to do (docs/SIGNED-LOG.md). Never rename one. */
export const SEGMENT_CODES = {
  "history-segment-missing": "A sealed history segment is not in the history store: rebuild this edge from a node's full copy with `commons host <space-url>`; live traffic is unaffected.",
  "history-segment-corrupt": "A sealed history segment does not decode or its content does not hash to its header: the stored object was altered; rebuild this edge with `commons host <space-url>`.",
  "history-segment-mismatch": "A history segment is well formed but is not the one this replica sealed (hash, space, index or range differ): the object was substituted; rebuild this edge with `commons host <space-url>`.",
  "history-unavailable": "This replica sealed part of its history but has no history store bound: bind it (HISTORY in wrangler.toml) or rebuild with `commons host <space-url>`.",
  "history-resequenced": "A sequencer hand-over re-sequenced commits inside this replica's sealed history, and the committed state cannot be folded again from sealed text here: rebuild this edge from a node's full copy with `commons host <space-url>` (the copy holds every text); posts are still stored and receipts still counted.",
} as const;
export type SegmentCode = keyof typeof SEGMENT_CODES;

/** A sealed-history refusal: 503, the edge cannot serve that part of the log right now. */
export function segmentError(code: SegmentCode, detail: string): CommonsError {
  return new CommonsError(code, `${detail}. ${SEGMENT_CODES[code]}`, { status: 503, rpcCode: -32603 });
}

export interface SegmentHeader {
  v: typeof SEGMENT_FORMAT_VERSION;
  space: string;
  /** 0, 1, 2…: the segment's place in the chain. */
  index: number;
  /** First and last arrival position held (inclusive, consecutive). */
  first: number;
  last: number;
  count: number;
  /** The hash of segment index-1, or null for index 0. */
  prev: string | null;
  hash: string;
}

export interface SegmentLine {
  id: EnvelopeId;
  /** The canonical signed text, exactly as stored and hashed (log_envelopes.text). */
  text: string;
}

export interface Segment {
  header: SegmentHeader;
  lines: SegmentLine[];
}

/** Where sealed segments are kept: R2 at the edge (durable-objects/space-history.ts). */
export interface SegmentStore {
  get(key: string): Promise<string | null>;
  put(key: string, text: string): Promise<void>;
}

/** The store key of a segment: per space, ordered by index, named by its hash (content-addressed). */
export function segmentKey(header: Pick<SegmentHeader, "space" | "index" | "hash">): string {
  return `spaces/${header.space}/segments/${String(header.index).padStart(10, "0")}-${header.hash.slice("sha256:".length)}`;
}

/** Builds the segment of `lines` (arrivals first, first+1, …) after the one hashed `prev`. */
export async function encodeSegment(input: { space: string; index: number; first: number; prev: string | null; lines: readonly SegmentLine[] }): Promise<{ header: SegmentHeader; text: string }> {
  const { space, index, first, prev, lines } = input;
  // The sealer's own invariants (it reads these from its log): a programming error, not a refusal.
  if (lines.length === 0) throw new Error("a segment holds at least one envelope");
  for (const line of lines) if (!ID.test(line.id) || line.text.length === 0 || line.text.includes("\n")) {
    throw new Error(`segment line ${line.id} is not an envelope id and a one-line signed text`);
  }
  const unhashed = { v: SEGMENT_FORMAT_VERSION as typeof SEGMENT_FORMAT_VERSION, space, index, first, last: first + lines.length - 1, count: lines.length, prev };
  const body = lines.map((line) => `${line.id} ${line.text}`).join("\n");
  const header: SegmentHeader = { ...unhashed, hash: await hashOf(unhashed, body) };
  return { header, text: `${canonicalJson(header)}\n${body}` };
}

/** Parses and checks a segment: structure, line count, and the content against its hash. */
export async function decodeSegment(text: string): Promise<Segment> {
  const cut = text.indexOf("\n");
  if (cut < 0) throw segmentError("history-segment-corrupt", "The segment has no header line");
  const header = parseHeader(text.slice(0, cut));
  const body = text.slice(cut + 1);
  const lines = body.split("\n").map((line): SegmentLine => {
    const space = line.indexOf(" ");
    const id = line.slice(0, space);
    if (space < 0 || !ID.test(id) || space === line.length - 1) throw segmentError("history-segment-corrupt", "A segment line is not `<envelope-id> <signed text>`");
    return { id: id as EnvelopeId, text: line.slice(space + 1) };
  });
  if (lines.length !== header.count) throw segmentError("history-segment-corrupt", `The header says ${header.count} envelopes, the segment holds ${lines.length}`);
  const { hash, ...unhashed } = header;
  if ((await hashOf(unhashed, body)) !== hash) throw segmentError("history-segment-corrupt", `Segment ${header.index}'s content does not hash to ${hash}`);
  return { header, lines };
}

/**
 * Checks a run of headers is one chain from index 0: consecutive indexes and arrivals, each
 * `prev` the hash before it, one space. Returns null when it holds, else what breaks.
 */
export function chainBreak(headers: readonly SegmentHeader[]): string | null {
  let before: SegmentHeader | undefined;
  for (const header of headers) {
    const index = before === undefined ? 0 : before.index + 1;
    const first = before === undefined ? 1 : before.last + 1;
    if (header.index !== index) return `segment ${header.index} where ${index} was due`;
    if (header.first !== first) return `segment ${header.index} starts at arrival ${header.first}, not ${first}`;
    if (header.prev !== (before?.hash ?? null)) return `segment ${header.index}'s prev is not the hash of segment ${index - 1}`;
    if (before !== undefined && header.space !== before.space) return `segment ${header.index} is of space ${header.space}, not ${before.space}`;
    before = header;
  }
  return null;
}

const ID = /^sha256:[0-9a-f]{64}$/;

async function hashOf(unhashed: Omit<SegmentHeader, "hash">, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${canonicalJson(unhashed)}\n${body}`));
  return `sha256:${encodeHex(new Uint8Array(digest))}`;
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

function parseHeader(line: string): SegmentHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw segmentError("history-segment-corrupt", "The segment's header is not JSON");
  }
  const h = raw as Partial<SegmentHeader> | null;
  const keys = h !== null && typeof h === "object" ? Object.keys(h).sort().join(",") : "";
  const ok =
    keys === "count,first,hash,index,last,prev,space,v" &&
    h!.v === SEGMENT_FORMAT_VERSION &&
    typeof h!.space === "string" &&
    isCount(h!.index) && isCount(h!.first) && h!.first >= 1 && isCount(h!.last) && isCount(h!.count) && h!.count >= 1 &&
    h!.last - h!.first + 1 === h!.count &&
    (h!.prev === null || (typeof h!.prev === "string" && ID.test(h!.prev))) &&
    typeof h!.hash === "string" && ID.test(h!.hash);
  if (!ok) throw segmentError("history-segment-corrupt", "The segment's header is not {v: 1, space, index, first, last, count, prev, hash}");
  return h as SegmentHeader;
}
