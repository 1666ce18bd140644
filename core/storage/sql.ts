/**
 * The one SQL interface every replica's storage goes through. The edge implements it over
 * a Durable Object's `ctx.storage.sql`, the local node over `node:sqlite`; both are
 * synchronous SQLite, so the interface is synchronous too. The shared conformance suite in
 * `test/support/sql-conformance.ts` runs against each implementation.
 */

/** What a parameter or a column can hold. Blobs are always `Uint8Array` on this side. */
export type SqlValue = string | number | bigint | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

export interface SqlStorage {
  /** Runs one statement with `?` parameters and returns every result row. */
  exec<T extends SqlRow = SqlRow>(query: string, ...params: SqlValue[]): T[];
  /**
   * Runs `fn` atomically: either every write inside it lands or none does. Not reentrant;
   * callers keep transactions small and never await inside one.
   */
  transaction<T>(fn: () => T): T;
}
