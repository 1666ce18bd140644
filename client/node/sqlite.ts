/**
 * The local node's side of core/'s SqlStorage: `node:sqlite` (built into Node ≥ 22).
 * The same schemas run here as in a Durable Object; only this file knows it is Node.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { SqlRow, SqlStorage, SqlValue } from "../../core/storage/sql.js";

export class NodeSql implements SqlStorage {
  readonly db: DatabaseSync;
  private depth = 0;
  /** Prepared once per query text: the hot paths run the same few statements many times. */
  private readonly statements = new Map<string, StatementSync>();

  /** `path` is a file, or ":memory:" for a throwaway database. */
  constructor(path = ":memory:") {
    this.db = new DatabaseSync(path);
    // busy_timeout: a CLI command and a long-running `commons daemon`/`serve` may share a
    // file; a writer waits briefly for the other's transaction instead of failing at once.
    this.db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  }

  exec<T extends SqlRow = SqlRow>(query: string, ...params: SqlValue[]): T[] {
    let statement = this.statements.get(query);
    if (statement === undefined) {
      statement = this.db.prepare(query);
      this.statements.set(query, statement);
    }
    const rows = statement.all(...(params as SQLInputValue[])) as Record<string, unknown>[];
    for (const row of rows) {
      for (const key in row) {
        const value = row[key];
        // node:sqlite returns blobs as Buffer-less Uint8Array already; normalise subclasses anyway.
        if (value instanceof Uint8Array && value.constructor !== Uint8Array) row[key] = new Uint8Array(value);
      }
    }
    return rows as T[];
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) throw new Error("NodeSql.transaction is not reentrant");
    this.depth++;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.depth--;
    }
  }

  close(): void {
    this.db.close();
  }
}
