/**
 * The cold-load dataset: a deterministic editing session (typing, cursor jumps, deletions
 * in a Y.Text, and a Y.Map of metadata) recorded as one Yjs update per edit. Generated once
 * per size and cached under the OS temp dir (bench/ stays free of data files).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as Y from "yjs";

const VERSION = 1;
const cacheDir = join(tmpdir(), "commons-bench-cache");

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateUpdates(count, seed = 42) {
  const rand = mulberry32(seed);
  const doc = new Y.Doc();
  doc.clientID = 1;
  const text = doc.getText("notes");
  const meta = doc.getMap("meta");
  const updates = [];
  doc.on("update", (u) => updates.push(u));
  const words = ["root", "cause", "expired", "cert", "rollback", "deploy", "alert", "pager", "latency", "db", "retry", "owner"];
  let cursor = 0;
  while (updates.length < count) {
    const r = rand();
    const len = text.length;
    if (r < 0.04) cursor = Math.floor(rand() * (len + 1));
    else if (r < 0.14 && cursor > 0) {
      const n = Math.min(cursor, 1 + Math.floor(rand() * 3));
      text.delete(cursor - n, n);
      cursor -= n;
    } else if (r < 0.16) meta.set(`k${Math.floor(rand() * 50)}`, { at: updates.length, by: "bench" });
    else {
      const s = rand() < 0.2 ? ` ${words[Math.floor(rand() * words.length)]}` : String.fromCharCode(97 + Math.floor(rand() * 26));
      text.insert(Math.min(cursor, len), s);
      cursor = Math.min(cursor, len) + s.length;
    }
  }
  return updates.slice(0, count);
}

/** `count` updates (cached): an array of Uint8Array. */
export function datasetUpdates(count) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `updates-v${VERSION}-${count}.bin`);
  if (existsSync(file)) return decode(readFileSync(file));
  const updates = generateUpdates(count);
  writeFileSync(file, encode(updates));
  return updates;
}

export function datasetFile(count) {
  datasetUpdates(count);
  return join(cacheDir, `updates-v${VERSION}-${count}.bin`);
}

function encode(updates) {
  const total = updates.reduce((n, u) => n + 4 + u.byteLength, 0);
  const buf = Buffer.alloc(total);
  let o = 0;
  for (const u of updates) {
    buf.writeUInt32LE(u.byteLength, o);
    buf.set(u, o + 4);
    o += 4 + u.byteLength;
  }
  return buf;
}

export function decode(buf) {
  const out = [];
  for (let o = 0; o < buf.length; ) {
    const n = buf.readUInt32LE(o);
    out.push(new Uint8Array(buf.buffer, buf.byteOffset + o + 4, n));
    o += 4 + n;
  }
  return out;
}
