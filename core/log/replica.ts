/**
 * `LogReplica`: one space's signed log over a `SqlStorage`. Verifies and appends envelopes
 * (`ingest`), writes new ones (`append`), answers sync (`versionVector`, `missingFor`,
 * `heads`) and reads (`get`, `since`, `query` in `query.ts`), and knows each envelope's
 * commit status (through its SQL commit index, core/log/commit-index.ts).
 *
 * Ingest runs in two phases. Async and parallel: parse, hash, verify signatures (skipped
 * for ids already held). Then synchronous, in one transaction, in batch order: the chain
 * checks that need state, and the append. A bad item never stops the rest of its batch.
 *
 * Invariant: the replica only holds an envelope whose author's earlier envelopes and whose
 * deps it already holds. So what it holds is always a consistent cut, arrival order is a
 * causal order, and an envelope with missing deps is refused (`envelope-deps-missing`)
 * for the sender to resend after them, exactly like a seq gap.
 */
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import type { Signer } from "../identity/signer.js";
import type { SpaceId } from "../ids.js";
import type { SqlStorage } from "../storage/sql.js";
import type { RejectionCode } from "./codes.js";
import { BatchAppender, chainTip, heldAmong, type AuthorRate } from "./append.js";
import { SqlCommitIndex } from "./commit-index.js";
import { COMMIT_RELEVANT_TYPES, type CommitStatus } from "./commits.js";
import { missingPage } from "./missing.js";
import type { Envelope } from "./envelope.js";
import type { EnvelopeId, VersionVector } from "./ids.js";
import { runQuery, type LogQuery, type LogQueryResult } from "./query.js";
import { ensureLogSchema, ID_KEY_OF, idIs } from "./schema.js";
import { SEQUENCER_META_TYPES, type BodyOf, type EnvelopeType } from "./types/index.js";
import { badInviteProof, badSignature, hasValidInviteProof, hasValidSignature, identifyEnvelope, type IdentifiedEnvelope, type IdentifyResult } from "./verify.js";
import { createEnvelope, type WriterState } from "./writer.js";

export interface IngestResult {
  id?: EnvelopeId;
  status: "accepted" | "duplicate" | "rejected";
  code?: RejectionCode;
  message?: string;
  /** Where a replica that sequences answers: the stored envelope's status after its run. */
  commit?: EnvelopeStatus;
}

/** tentative until a receipt from the sequencer; `unsequenced` for receipts and appointments. */
export type EnvelopeStatus =
  | { state: "tentative" }
  | { state: "unsequenced" }
  | ({ state: "committed" } & CommitStatus);

export interface StoredEnvelope {
  id: EnvelopeId;
  /** Local arrival position: the query cursor. */
  arrival: number;
  envelope: Envelope;
}

/** An envelope with its id, as sent on the wire. */
export type WireEnvelope = Envelope & { id: EnvelopeId };

type EnvelopeRow = { arrival: number; id: string; text: string };

export class LogReplica {
  private appendQueue: Promise<unknown> = Promise.resolve();

  /** `sql`: the storage this log lives in (the committed state's tables live beside it). */
  private constructor(readonly sql: SqlStorage, readonly space: SpaceId, readonly commits: SqlCommitIndex) {}

  /** Opens (creating if needed) the log of `space` in `sql`. */
  static open(sql: SqlStorage, space: SpaceId): LogReplica {
    ensureLogSchema(sql);
    const held = sql.exec<{ value: string }>(`SELECT value FROM log_meta WHERE key = 'space'`)[0]?.value;
    if (held === undefined) sql.exec(`INSERT INTO log_meta (key, value) VALUES ('space', ?)`, space);
    else if (held !== space) {
      throw new CommonsError("log-space-mismatch", `This storage holds the log of space "${held}", not "${space}": open a storage per space.`, { status: 500 });
    }
    // The commit index is tables: opening reads its few meta rows, not the receipts.
    return new LogReplica(sql, space, SqlCommitIndex.open(sql));
  }

  /**
   * Verifies and appends a batch; one result per item, in order. `now` is this replica's
   * clock (ms), against which stamps too far ahead are refused; `rate` a per-author quota
   * for live writing (core/space/quota.ts), asked only for verified envelopes, so no one can
   * spend another author's quota with forged ones.
   */
  async ingest(batch: readonly unknown[], options: { now?: number; rate?: AuthorRate } = {}): Promise<IngestResult[]> {
    const identified = await Promise.all(batch.map((raw) => identifyEnvelope(raw, this.space)));
    // Already held: byte-identical to an envelope verified on arrival, no need to verify again.
    const held = heldAmong(this.sql, identified.flatMap((r) => (r.ok ? [r.value.id] : [])));
    const checked = await Promise.all(
      identified.map(async (r): Promise<IdentifyResult> => {
        if (!r.ok || held.has(r.value.id)) return r;
        if (!(await hasValidSignature(r.value))) return badSignature(r.value.id);
        return (await hasValidInviteProof(r.value)) ? r : badInviteProof(r.value.id);
      }),
    );
    try {
      return this.sql.transaction(() => {
        const appender = new BatchAppender(this.sql, options.now ?? Date.now(), options.rate);
        const accepted: IdentifiedEnvelope[] = [];
        const out = checked.map((check): IngestResult => {
          if (!check.ok) return { ...(check.id === undefined ? {} : { id: check.id }), status: "rejected", code: check.code, message: check.message };
          const result = appender.append(check.value);
          if (result.status === "accepted") accepted.push(check.value);
          return result;
        });
        appender.finish();
        // In the same transaction: the commit index is never ahead of, or behind, the log.
        for (const item of accepted) {
          if (COMMIT_RELEVANT_TYPES.has(item.envelope.type)) this.commits.add(item.id, item.envelope);
        }
        return out;
      });
    } catch (error) {
      // The transaction rolled back: the index's memory must not run ahead of its tables.
      this.commits.reload();
      throw error;
    }
  }

  /**
   * Writes a new envelope by `signer` at the tip of its chain, citing the current heads,
   * and ingests it. Appends are serialized so one author never signs two envelopes with
   * the same seq (which would be a fork).
   */
  append<T extends EnvelopeType>(signer: Signer, type: T, body: BodyOf<T>, options: { now?: number } = {}): Promise<WireEnvelope> {
    const run = this.appendQueue.then(async () => {
      const now = options.now ?? Date.now();
      const { id, envelope } = await createEnvelope(signer, this.writerState(signer.did), type, body, now);
      // Its own stamp is never "from the future" here: it is this clock, or follows held stamps.
      const [result] = await this.ingest([envelope], { now: Math.max(now, Date.now()) });
      if (result?.status !== "accepted") {
        throw new CommonsError(result?.code ?? "envelope-malformed", `Could not append ${type}: ${result?.message ?? "no result"}`);
      }
      return { ...envelope, id } as WireEnvelope;
    });
    // The queue continues after a failed append; the failure goes to its caller.
    this.appendQueue = run.catch(() => undefined);
    return run;
  }

  /** What a writer needs to extend `author`'s chain here. */
  writerState(author: Did): WriterState {
    const tip = chainTip(this.sql, author);
    // CROSS JOIN keeps log_heads (a handful of rows) the outer loop. As a plain JOIN ordered
    // by e.id, SQLite walked the whole id index to skip a sort: every append (each commit
    // receipt the sequencer writes) read every envelope's id, ~120 ms a batch at 1M.
    const heads = this.sql.exec<{ id: string; hlc: string; author: string }>(
      `SELECT e.id, e.hlc, e.author FROM log_heads h CROSS JOIN log_envelopes e
       ON e.id_key = unhex(substr(h.id, 8, 12)) AND e.id = h.id ORDER BY h.id`,
    );
    return {
      space: this.space,
      last: tip,
      heads: heads.filter((head) => head.author !== author).map((head) => ({ id: head.id as EnvelopeId, hlc: head.hlc })),
    };
  }

  /** For each author, the highest seq held. */
  versionVector(): VersionVector {
    const vector: VersionVector = {};
    for (const row of this.sql.exec<{ author: string; last_seq: number }>(`SELECT author, last_seq FROM log_authors`)) {
      vector[row.author] = Number(row.last_seq);
    }
    return vector;
  }

  /**
   * Envelopes held here beyond `theirs`, at most `limit`, in arrival order (a causal order,
   * per-author seq order), so the receiver can ingest them as sent. Call again with the
   * receiver's new vector for the next batch. A page reads O(limit + authors behind) rows
   * (core/log/missing.ts), whatever the log's length and however many authors wrote it.
   */
  missingFor(theirs: VersionVector, limit = 500): WireEnvelope[] {
    return missingPage(this.sql, this.versionVector(), theirs, limit).map((row) => ({ ...(JSON.parse(row.text) as Envelope), id: row.id as EnvelopeId }));
  }

  /** Ids no held envelope cites, sorted. */
  heads(): EnvelopeId[] {
    return this.sql.exec<{ id: string }>(`SELECT id FROM log_heads ORDER BY id`).map((row) => row.id as EnvelopeId);
  }

  has(id: EnvelopeId): boolean {
    return this.sql.exec(`SELECT 1 FROM log_envelopes WHERE ${idIs()}`, id, id).length > 0;
  }

  get(id: EnvelopeId): StoredEnvelope | undefined {
    const row = this.sql.exec<EnvelopeRow>(`SELECT arrival, id, text FROM log_envelopes WHERE ${idIs()}`, id, id)[0];
    return row === undefined ? undefined : toStored(row);
  }

  /** `get` for many ids (a statement per 90, not one each), in the order asked; ids not held are left out. */
  getMany(ids: readonly EnvelopeId[]): StoredEnvelope[] {
    const rows = new Map<string, EnvelopeRow>();
    for (let i = 0; i < ids.length; i += 90) {
      const chunk = ids.slice(i, i + 90);
      const found = this.sql.exec<EnvelopeRow>(`SELECT arrival, id, text FROM log_envelopes WHERE id_key IN (${chunk.map(() => ID_KEY_OF).join(",")})`, ...chunk);
      for (const row of found) rows.set(row.id, row);
    }
    // By key, then by the whole id: another id may share a key.
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row === undefined ? [] : [toStored(row)];
    });
  }

  /** Envelopes that arrived after `arrival`, in arrival order. */
  since(arrival = 0, limit = Number.MAX_SAFE_INTEGER): StoredEnvelope[] {
    return this.sql
      .exec<EnvelopeRow>(`SELECT arrival, id, text FROM log_envelopes WHERE arrival > ? ORDER BY arrival LIMIT ?`, arrival, limit)
      .map(toStored);
  }

  /** How many envelopes are held: arrival is the gapless rowid and rows are never deleted, so its maximum (one page read, not a scan). */
  count(): number {
    return Number(this.sql.exec<{ n: number }>(`SELECT COALESCE(MAX(arrival), 0) AS n FROM log_envelopes`)[0]?.n ?? 0);
  }

  status(id: EnvelopeId, type?: string): EnvelopeStatus {
    const committed = this.commits.statusOf(id);
    if (committed !== undefined) return { state: "committed", ...committed };
    const kind = type ?? this.sql.exec<{ type: string }>(`SELECT type FROM log_envelopes WHERE ${idIs()}`, id, id)[0]?.type;
    return kind !== undefined && SEQUENCER_META_TYPES.has(kind as EnvelopeType) ? { state: "unsequenced" } : { state: "tentative" };
  }

  /** `status` for many ids: the committed ones in one read per 90, the others one by one (a batch's receipts, say). */
  statuses(ids: readonly EnvelopeId[]): Map<EnvelopeId, EnvelopeStatus> {
    const committed = this.commits.statusesOf(ids);
    const out = new Map<EnvelopeId, EnvelopeStatus>();
    for (const id of ids) {
      const status = committed.get(id);
      out.set(id, status === undefined ? this.status(id) : { state: "committed", ...status });
    }
    return out;
  }

  /** Channel and control-plane reads; see `query.ts` for the filters and cursor. */
  query(query: LogQuery = {}): LogQueryResult {
    return runQuery(this.sql, this, query);
  }

  /** Authors caught signing two envelopes with one seq. */
  forkedAuthors(): Did[] {
    return this.sql.exec<{ author: string }>(`SELECT author FROM log_authors WHERE forked = 1 ORDER BY author`).map((row) => row.author as Did);
  }

  /** The fork evidence held: each conflicting envelope with the id it conflicts with. */
  forkEvidence(): { id: EnvelopeId; conflictsWith: EnvelopeId; envelope: Envelope }[] {
    return this.sql
      .exec<{ id: string; conflicts_with: string; text: string }>(`SELECT id, conflicts_with, text FROM log_forks ORDER BY author, seq, id`)
      .map((row) => ({ id: row.id as EnvelopeId, conflictsWith: row.conflicts_with as EnvelopeId, envelope: JSON.parse(row.text) as Envelope }));
  }
}

function toStored(row: EnvelopeRow): StoredEnvelope {
  return { id: row.id as EnvelopeId, arrival: Number(row.arrival), envelope: JSON.parse(row.text) as Envelope };
}
