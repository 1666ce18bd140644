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

/**
 * An actor's own schema, in numbered steps: runs the steps a store has not had yet in one
 * transaction and records how many it has had (`schema_version` in the `meta` table, which
 * the first statement of the first step must create). Used by the agent and coalition
 * objects; the log and the committed state keep their own versioned paths.
 */
export function migrateStore(sql: SqlStorage, meta: string, migrations: readonly (readonly string[])[]): void {
  sql.exec(migrations[0]![0]!);
  const [row] = sql.exec<{ value: string }>(`SELECT value FROM ${meta} WHERE key = 'schema_version'`);
  const from = row === undefined ? 0 : Number(row.value);
  if (from >= migrations.length) return;
  sql.transaction(() => {
    for (const step of migrations.slice(from)) for (const statement of step) sql.exec(statement);
    sql.exec(`INSERT INTO ${meta} (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, String(migrations.length));
  });
}
