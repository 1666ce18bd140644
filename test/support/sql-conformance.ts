/**
 * The storage conformance suite: cases every SqlStorage implementation must pass, run
 * against node:sqlite in Node (test/core/storage.test.ts) and against Durable Object SQLite
 * inside workerd (test/workers/storage.test.ts). Each case gets a fresh, empty database.
 */
import * as Y from "yjs";
import { expect } from "vitest";
import type { SqlStorage } from "../../core/storage/sql.js";
import { MAX_ROW_BYTES, YUpdateStore } from "../../core/yjs/update-store.js";

export interface StorageCase {
  name: string;
  /** For heavy cases: their own time limit, never the runner's default. */
  timeoutMs?: number;
  run(sql: SqlStorage): void | Promise<void>;
}

/**
 * Makes `count` updates, each appending a `bytesEach`-character string to Y.Array "body"
 * (an array, not a Y.Text: generating 10 MB of text one insert at a time is slow in Yjs).
 */
export function makeUpdates(count: number, bytesEach: number): { updates: Uint8Array[]; text: string } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  const body = doc.getArray<string>("body");
  for (let i = 0; i < count; i++) body.push([`${i}:`.padEnd(bytesEach, String.fromCharCode(97 + (i % 26)))]);
  return { updates, text: body.toArray().join("") };
}

const reload = (store: YUpdateStore) => {
  const doc = new Y.Doc();
  store.loadInto(doc);
  return doc.getArray<string>("body").toArray().join("");
};

export const storageCases: StorageCase[] = [
  {
    name: "exec binds parameters and returns rows; blobs round-trip as Uint8Array",
    run(sql) {
      sql.exec("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, b BLOB)");
      sql.exec("INSERT INTO t VALUES (?, ?, ?)", "a", 42, new Uint8Array([0, 1, 255]));
      const rows = sql.exec<{ k: string; n: number; b: Uint8Array }>("SELECT k, n, b FROM t");
      expect(rows).toHaveLength(1);
      expect(rows[0]!.k).toBe("a");
      expect(Number(rows[0]!.n)).toBe(42);
      expect(rows[0]!.b).toBeInstanceOf(Uint8Array);
      expect([...rows[0]!.b]).toEqual([0, 1, 255]);
    },
  },
  {
    name: "a transaction that throws leaves nothing behind",
    run(sql) {
      sql.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
      expect(() =>
        sql.transaction(() => {
          sql.exec("INSERT INTO t VALUES ('x')");
          throw new Error("abort");
        }),
      ).toThrow("abort");
      expect(sql.exec("SELECT * FROM t")).toHaveLength(0);
      sql.transaction(() => sql.exec("INSERT INTO t VALUES ('y')"));
      expect(sql.exec("SELECT * FROM t")).toHaveLength(1);
    },
  },
  {
    name: "appended updates reload into the same document",
    run(sql) {
      const { updates, text } = makeUpdates(50, 20);
      const store = new YUpdateStore(sql);
      for (const u of updates) store.append(u);
      expect(store.stats().rows).toBe(50);
      expect(reload(new YUpdateStore(sql))).toBe(text);
    },
  },
  {
    name: "10,000 stored updates load, and compact into chunks of at most 2 MB",
    timeoutMs: 120_000,
    run(sql) {
      // ~1 KiB each: 10 MiB of history, so compaction must produce several chunks.
      const { updates, text } = makeUpdates(10_000, 1024);
      const store = new YUpdateStore(sql);
      for (const u of updates) store.append(u);
      expect(reload(store)).toBe(text);
      const result = store.compact();
      const rows = store.rows();
      expect(result.rowsBefore).toBe(10_000);
      expect(rows.length).toBe(result.rowsAfter);
      expect(rows.length).toBeGreaterThan(4);
      expect(rows.length).toBeLessThan(100);
      for (const row of rows) expect(row.data.byteLength).toBeLessThanOrEqual(MAX_ROW_BYTES);
      expect(rows.reduce((n, r) => n + r.updates, 0)).toBe(10_000);
      expect(reload(store)).toBe(text);
    },
  },
  {
    name: "compaction never hands more than maxUpdatesPerMerge updates to one merge",
    run(sql) {
      const { updates, text } = makeUpdates(1_000, 8);
      const store = new YUpdateStore(sql);
      for (const u of updates) store.append(u);
      store.compact({ maxUpdatesPerMerge: 100 });
      const rows = store.rows();
      expect(rows.length).toBe(10);
      for (const row of rows) expect(row.updates).toBe(100);
      expect(reload(store)).toBe(text);
    },
  },
  {
    name: "a merge keeps its run's last seq: a reader following seqs past the last it saw finds the rows it had not seen",
    run(sql) {
      const { updates, text } = makeUpdates(300, 10);
      const store = new YUpdateStore(sql);
      for (const u of updates.slice(0, 200)) store.append(u);
      // A reader (the node's daemon) has applied rows up to 150 when someone compacts.
      const reader = new Y.Doc();
      const seen = store.rows().filter((r) => r.seq <= 150);
      for (const row of seen) Y.applyUpdate(reader, row.data);
      store.compact();
      for (const u of updates.slice(200)) store.append(u);
      for (const row of store.rows().filter((r) => r.seq > 150)) Y.applyUpdate(reader, row.data);
      expect(reader.getArray<string>("body").toArray().join("")).toBe(text);
      expect(store.rows().map((r) => r.seq)).toEqual([200, ...Array.from({ length: 100 }, (_, i) => 201 + i)]);
    },
  },
  {
    name: "appends after compaction keep their order and content",
    run(sql) {
      const { updates, text } = makeUpdates(300, 10);
      const store = new YUpdateStore(sql);
      for (const u of updates.slice(0, 200)) store.append(u);
      store.compact();
      for (const u of updates.slice(200)) store.append(u);
      store.compact();
      expect(store.stats().rows).toBe(1);
      expect(reload(store)).toBe(text);
    },
  },
];
