/**
 * A local copy of one space: its SQLite file opened through the same core/ code the edge
 * runs — LogReplica over the log tables, YUpdateStore over y_updates — plus `node_meta`,
 * what this node remembers about the copy (edge URL, last sync).
 *
 * Opening verifies the whole copy (core/log/audit.ts: ids, signatures, chains, derived
 * tables; every Yjs row must decode). A file altered outside commons is refused with
 * `local-copy-corrupt`, never used silently. Full verification costs about a millisecond
 * per 10–20 envelopes; see docs/CLI.md.
 */
import * as Y from "yjs";
import { CommonsError } from "../../core/errors.js";
import type { SpaceId } from "../../core/ids.js";
import { auditLog, type AuditReport } from "../../core/log/audit.js";
import { LogReplica } from "../../core/log/replica.js";
import { SEQUENCER_META_TYPES, type EnvelopeType } from "../../core/log/types/index.js";
import { YUpdateStore } from "../../core/yjs/update-store.js";
import { ensureHome, hasSpace, lockFile, spaceFile, type Home } from "./home.js";
import { acquireLock } from "./lock.js";
import { NodeSql } from "./sqlite.js";

const META_SCHEMA = `CREATE TABLE IF NOT EXISTS node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

export type MetaKey = "edge" | "last_sync" | "last_sync_vv" | "created_at";

/** Origin for updates applied from storage: they are stored already. */
export const FROM_STORE = Symbol("from-store");

export interface OpenOptions {
  /** Create the file if absent (join, create, import). Default: refuse with `unknown-space`. */
  create?: boolean;
  /** Hold the space's write lock until `close()`. Default true; read-only commands pass false. */
  lock?: boolean;
}

export class LocalSpace {
  private releaseLock: (() => void) | null = null;
  private doc: Y.Doc | null = null;

  private constructor(
    readonly home: Home,
    readonly space: SpaceId,
    readonly sql: NodeSql,
    readonly replica: LogReplica,
    readonly ystore: YUpdateStore,
  ) {}

  static async open(home: Home, space: SpaceId, options: OpenOptions = {}): Promise<LocalSpace> {
    const exists = hasSpace(home, space);
    if (!exists && !options.create) {
      throw new CommonsError("unknown-space", `No local copy of "${space}": join it first (commons join http://<edge>/s/${space}), or see \`commons spaces\`.`);
    }
    ensureHome(home);
    const release = options.lock === false ? null : acquireLock(lockFile(home, space), `Space "${space}"`);
    try {
      const sql = new NodeSql(spaceFile(home, space));
      sql.exec(META_SCHEMA);
      const replica = LogReplica.open(sql, space);
      const local = new LocalSpace(home, space, sql, replica, new YUpdateStore(sql));
      local.releaseLock = release;
      if (exists) {
        const report = await local.audit();
        if (!report.ok) {
          local.close();
          const shown = report.problems.slice(0, 3).map((p) => `  ${p.arrival > 0 ? `#${p.arrival} ` : ""}${p.code}: ${p.message}`).join("\n");
          throw new CommonsError("local-copy-corrupt", `The local copy of "${space}" (${spaceFile(home, space)}) fails verification and was not used:\n${shown}\n` +
            `Move the file aside and re-join (commons join <space-url>) or import a bundle (commons import <file>).`);
        }
      }
      return local;
    } catch (error) {
      release?.();
      throw error;
    }
  }

  /** Re-verifies the log and checks every stored Yjs row decodes. */
  async audit(): Promise<AuditReport> {
    const report = await auditLog(this.sql, this.space);
    for (const row of this.ystore.rows()) {
      try {
        Y.decodeUpdate(row.data);
      } catch {
        report.ok = false;
        report.problems.push({ arrival: 0, code: "audit-yjs-invalid", message: `y_updates row ${row.seq} is not a Yjs update.` });
      }
    }
    return report;
  }

  meta(key: MetaKey): string | undefined {
    return this.sql.exec<{ value: string }>(`SELECT value FROM node_meta WHERE key = ?`, key)[0]?.value;
  }

  setMeta(key: MetaKey, value: string): void {
    this.sql.exec(`INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
  }

  /** The space's Y.Doc, loaded from storage; every later change to it is appended to storage. */
  ydoc(): Y.Doc {
    if (this.doc !== null) return this.doc;
    const doc = new Y.Doc();
    this.ystore.loadInto(doc, FROM_STORE);
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== FROM_STORE) this.ystore.append(update);
    });
    return (this.doc = doc);
  }

  /** Envelopes not yet committed by the sequencer (receipts and appointments excluded). */
  tentative(): number {
    let n = 0;
    for (const { id, envelope } of this.replica.since(0)) {
      if (SEQUENCER_META_TYPES.has(envelope.type as EnvelopeType)) continue;
      if (this.replica.status(id, envelope.type).state === "tentative") n++;
    }
    return n;
  }

  close(): void {
    this.doc?.destroy();
    this.sql.close();
    this.releaseLock?.();
    this.releaseLock = null;
  }
}

/** Opens, runs `work`, closes. */
export async function withSpace<T>(home: Home, space: SpaceId, options: OpenOptions, work: (local: LocalSpace) => Promise<T> | T): Promise<T> {
  const local = await LocalSpace.open(home, space, options);
  try {
    return await work(local);
  } finally {
    local.close();
  }
}
