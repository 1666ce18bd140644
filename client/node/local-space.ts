/**
 * A local copy of one space: its SQLite file opened through the same core/ code the edge
 * runs — LogReplica over the log tables, YUpdateStore over y_updates — plus `node_meta`,
 * what this node remembers about the copy (edge URL, last sync, how far it is verified).
 *
 * Opening verifies what arrived since the copy was last verified (core/log/audit.ts
 * `auditSince`: ids, signatures, chains and derived tables of the new rows; every new Yjs
 * row must decode), from the point this node signed then (client/node/verified.ts). A copy
 * with no such point — new to this key, or written before points existed — is verified in
 * full (`auditLog`). A file altered outside commons in what an open checks is refused with
 * `local-copy-corrupt` or `local-copy-unverified`, never used silently; `audit()` (`commons
 * verify`) re-checks every row. docs/CLI.md says what each guarantees.
 *
 * Yjs history is compacted here as at the edge: on open and before close, by a process that
 * holds the write lock, once the stored rows pass COMPACT_ROWS.
 */
import * as Y from "yjs";
import { CommonsError } from "../../core/errors.js";
import type { SpaceId } from "../../core/ids.js";
import { auditLog, auditSince, emptyPoint, type AuditReport, type VerifiedPoint } from "../../core/log/audit.js";
import { LogReplica } from "../../core/log/replica.js";
import { YUpdateStore } from "../../core/yjs/update-store.js";
import { ensureHome, hasSpace, lockFile, spaceFile, type Home } from "./home.js";
import { loadIdentity } from "./identity.js";
import { uncommitted } from "./local-view.js";
import { acquireLock } from "./lock.js";
import { NodeSql } from "./sqlite.js";
import { readVerified, signVerified, validVerified, writeVerified } from "./verified.js";

const META_SCHEMA = `CREATE TABLE IF NOT EXISTS node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

export type MetaKey = "edge" | "last_sync" | "last_sync_vv" | "created_at" | "settled";

/** Origin for updates applied from storage: they are stored already. */
export const FROM_STORE = Symbol("from-store");

/** Compact the Yjs history once it has more rows than this (the edge's YjsRoom default). */
export const COMPACT_ROWS = 1000;

export interface OpenOptions {
  /** Create the file if absent (join, create, import). Default: refuse with `unknown-space`. */
  create?: boolean;
  /** Hold the space's write lock until `close()`. Default true; read-only commands pass false. */
  lock?: boolean;
}

/** What the open checked: for `commons state` and the tests. */
export interface OpenAudit {
  report: AuditReport | null;
  /** Yjs rows decoded. */
  yjsChecked: number;
}

// One identity load per home and process (`spaces` opens every copy at once); a home
// without one is asked again next time (an import creates it).
const identities = new Map<string, ReturnType<typeof loadIdentity>>();
const identityOf = async (home: Home) => {
  let found = identities.get(home.identityFile);
  if (found === undefined) identities.set(home.identityFile, (found = loadIdentity(home)));
  const signer = await found;
  if (signer === null) identities.delete(home.identityFile);
  return signer;
};

export class LocalSpace {
  private releaseLock: (() => void) | null = null;
  private doc: Y.Doc | null = null;
  /** The point verified up to (by the open, or extended since by `checkpoint`), and the Yjs row then. */
  private verified: { log: VerifiedPoint; yjs: number } | null = null;
  opened: OpenAudit = { report: null, yjsChecked: 0 };

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
    let local: LocalSpace | undefined;
    try {
      const sql = new NodeSql(spaceFile(home, space));
      sql.exec(META_SCHEMA);
      const replica = LogReplica.open(sql, space);
      local = new LocalSpace(home, space, sql, replica, new YUpdateStore(sql));
      local.releaseLock = release;
      if (exists) await local.verifyOnOpen();
      else local.verified = { log: emptyPoint(space), yjs: 0 };
      if (release !== null) local.compactIfLarge();
      return local;
    } catch (error) {
      if (local !== undefined) local.close();
      else release?.();
      throw error;
    }
  }

  /** Where this copy is verified up to (null before an open verified it). */
  get verifiedPoint(): VerifiedPoint | null {
    return this.verified?.log ?? null;
  }

  /** The copy's file, for messages. */
  get file(): string {
    return spaceFile(this.home, this.space);
  }

  /**
   * Verifies what arrived since this node's signed point (all of it without one), then moves
   * the point to the end.
   */
  private async verifyOnOpen(): Promise<void> {
    const me = await identityOf(this.home);
    const stored = readVerified(this.sql);
    let report: AuditReport;
    let yjsFrom = 0;
    if (me !== null && stored.kind === "unreadable") throw this.unverified(stored.why);
    if (me !== null && stored.kind === "record" && stored.record.by === me.did) {
      if (!(await validVerified(stored.record, this.space))) throw this.unverified("its signature does not verify");
      report = await auditSince(this.sql, this.space, stored.record.log);
      if (report.mode === "since") yjsFrom = Number(stored.record.yjs) || 0;
    } else {
      report = await auditLog(this.sql, this.space);
    }
    const yjs = this.checkYjs(yjsFrom, report);
    this.opened = { report, yjsChecked: yjs.checked };
    if (!report.ok) throw this.corrupt(report);
    this.verified = { log: report.point!, yjs: yjs.last };
    if (me !== null) writeVerified(this.sql, await signVerified(me, this.space, report.point!, yjs.last));
  }

  /** Decodes every Yjs row after `from`; a row that does not decode is a problem of `report`. */
  private checkYjs(from: number, report: AuditReport): { checked: number; last: number } {
    const rows = this.sql.exec<{ seq: number; data: Uint8Array }>(`SELECT seq, data FROM y_updates WHERE seq > ? ORDER BY seq`, from);
    for (const row of rows) {
      try {
        Y.decodeUpdate(row.data);
      } catch {
        report.ok = false;
        delete report.point;
        report.problems.push({ arrival: 0, code: "audit-yjs-invalid", message: `y_updates row ${row.seq} is not a Yjs update.` });
      }
    }
    return { checked: rows.length, last: rows.length === 0 ? from : Number(rows.at(-1)!.seq) };
  }

  /**
   * The full audit (`commons verify`): every row, every signature, and the rows up to the
   * point this node verified before must be those it verified. Throws `local-copy-corrupt`
   * when anything fails; otherwise the point moves to the end.
   */
  async audit(): Promise<AuditReport> {
    const me = await identityOf(this.home);
    const stored = readVerified(this.sql);
    const expect = me !== null && stored.kind === "record" && stored.record.by === me.did ? stored.record.log : undefined;
    const report = await auditLog(this.sql, this.space, expect === undefined ? {} : { expect });
    const yjs = this.checkYjs(0, report);
    if (!report.ok) throw this.corrupt(report);
    this.verified = { log: report.point!, yjs: yjs.last };
    if (me !== null) writeVerified(this.sql, await signVerified(me, this.space, report.point!, yjs.last));
    return report;
  }

  /**
   * Moves the verified point over what this process wrote since the open. Only a holder of
   * the write lock may: every row past the point then came through its own `ingest`, which
   * verified ids and signatures, so only chains and derived tables are re-checked (and the
   * hash chain extended). A failed check leaves the point where it was, for the next open to
   * find and report. Compacts the Yjs history first if it grew large.
   */
  async checkpoint(): Promise<void> {
    if (this.releaseLock === null || this.verified === null) return;
    const me = await identityOf(this.home);
    if (me === null) return;
    this.compactIfLarge();
    const report = await auditSince(this.sql, this.space, this.verified.log, { signatures: false });
    if (!report.ok || report.mode !== "since") return;
    const last = Number(this.sql.exec<{ n: number }>(`SELECT COALESCE(MAX(seq), 0) AS n FROM y_updates`)[0]!.n);
    this.verified = { log: report.point!, yjs: last };
    writeVerified(this.sql, await signVerified(me, this.space, report.point!, last));
  }

  /** Merges the Yjs history into chunks (core/yjs/update-store.ts) once it passes COMPACT_ROWS rows. */
  compactIfLarge(): boolean {
    if (this.ystore.stats().rows <= COMPACT_ROWS) return false;
    this.ystore.compact();
    return true;
  }

  private corrupt(report: AuditReport): CommonsError {
    const shown = report.problems.slice(0, 3).map((p) => `  ${p.arrival > 0 ? `#${p.arrival} ` : ""}${p.code}: ${p.message}`).join("\n");
    return new CommonsError("local-copy-corrupt", `The local copy of "${this.space}" (${this.file}) fails verification and was not used:\n${shown}\n` +
      `Move the file aside and re-join (commons join <space-url>) or import a bundle (commons import <file>).`);
  }

  private unverified(why: string): CommonsError {
    return new CommonsError("local-copy-unverified",
      `The local copy of "${this.space}" (${this.file}) was not used: the record of how far this node verified it (node_meta "verified") was altered (${why}), so what it vouches for cannot be trusted (local-copy-unverified).\n` +
      `Move the file aside and re-join (commons join <space-url>) or import a bundle (commons import <file>).`);
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

  /** Envelopes not yet committed by the sequencer (receipts and appointments excluded), from the uncommitted suffix only. */
  tentative(): number {
    return uncommitted(this).length;
  }

  close(): void {
    this.doc?.destroy();
    this.sql.close();
    this.releaseLock?.();
    this.releaseLock = null;
  }
}

/** Opens, runs `work`, moves the verified point over what `work` wrote (if locked), closes. */
export async function withSpace<T>(home: Home, space: SpaceId, options: OpenOptions, work: (local: LocalSpace) => Promise<T> | T): Promise<T> {
  const local = await LocalSpace.open(home, space, options);
  try {
    const result = await work(local);
    await local.checkpoint();
    return result;
  } finally {
    local.close();
  }
}
