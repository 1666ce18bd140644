/**
 * The Durable Object side of core/'s SqlStorage: a thin wrapper over `ctx.storage.sql`.
 * DO SQLite hands blobs back as ArrayBuffer; core/ always sees Uint8Array.
 */
import type { SqlRow, SqlStorage, SqlValue } from "../core/storage/sql.js";

export class DurableObjectSql implements SqlStorage {
  /**
   * Rows SQLite read for this object's statements so far (workerd's own count, what
   * Cloudflare bills): how tests show that a wake does not read the history.
   */
  rowsRead = 0;

  constructor(private readonly storage: DurableObjectStorage) {}

  exec<T extends SqlRow = SqlRow>(query: string, ...params: SqlValue[]): T[] {
    const bound = params.map((p) => (p instanceof Uint8Array ? toArrayBuffer(p) : p));
    const cursor = this.storage.sql.exec(query, ...bound);
    const rows = cursor.toArray();
    this.rowsRead += cursor.rowsRead;
    for (const row of rows) {
      for (const key in row) {
        const value = row[key];
        if (value instanceof ArrayBuffer) (row as Record<string, unknown>)[key] = new Uint8Array(value);
      }
    }
    return rows as T[];
  }

  transaction<T>(fn: () => T): T {
    return this.storage.transactionSync(fn);
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);
}
