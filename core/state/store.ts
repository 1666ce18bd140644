/**
 * The committed state, stored: the sequencer's fold of the committed log kept in SQLite
 * tables beside the log (the same schema at the edge and on a node), so waking a space
 * reads the state's rows, never its history.
 *
 *   state_meta(key, value)          scalars: the commit index folded up to, genesis, sequencer,
 *                                   epoch, visibility; and the table's schema version
 *   state_rows(kind, key, json)     one row per member, work item, approval, policy, artifact,
 *                                   branch, saved view, grant, revocation, invite
 *
 * Only what a fold step touched is written: the state's maps are `TrackedMap`s that note
 * every key read for change or written (a fold step mutates what it `get`s in place). The
 * rows and the index are written in one transaction, so a crash leaves a state that is
 * whole at some earlier index, and the sequencer folds the commits past it again.
 */
import { CommonsError } from "../errors.js";
import type { SqlStorage } from "../storage/sql.js";
import { emptyState, type SpaceState } from "../views/state.js";

/**
 * 2: coalitions and markets (kinds of their own; a version 1 store holds none, so nothing to convert).
 * 3: a branch's staged version may name its Yjs text's `version` (an optional field: rows
 * from 2 read as inline versions, as they were written).
 */
export const STATE_SCHEMA_VERSION = 3;

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS state_rows (kind TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, key))`,
  // Whole snapshots, about every CHECKPOINT_EVERY commits: replay at index i folds from the
  // checkpoint at or below i, so it costs O(CHECKPOINT_EVERY), not O(i).
  `CREATE TABLE IF NOT EXISTS state_checkpoints (idx INTEGER PRIMARY KEY, json TEXT NOT NULL)`,
];

/** Commits between two stored snapshots of the whole committed state. */
export const CHECKPOINT_EVERY = 1000;

/** The maps of a SpaceState, by the kind name they are stored under. */
const KINDS = ["members", "work", "approvals", "policies", "artifacts", "branches", "savedViews", "grants", "revoked", "invites", "coalitions", "markets"] as const;
type Kind = (typeof KINDS)[number];

/** A Map that remembers which keys may have changed since `take()`. */
export class TrackedMap<K, V> extends Map<K, V> {
  private touched = new Set<K>();

  override get(key: K): V | undefined {
    const value = super.get(key);
    // Fold steps change what they get in place: a read may be a write.
    if (value !== undefined) this.touched.add(key);
    return value;
  }

  override set(key: K, value: V): this {
    // Map's constructor calls set before `touched` exists.
    this.touched?.add(key);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.touched.add(key);
    return super.delete(key);
  }

  /** The keys touched since the last call, and forgets them. */
  take(): Set<K> {
    const touched = this.touched;
    this.touched = new Set();
    return touched;
  }
}

/** A committed state whose maps track their changes, and where in the log it stands. */
export interface StoredState {
  state: SpaceState;
  /** The commit index folded up to. */
  index: number;
  /** The id committed at `index`: if the commit order was rewritten (a hand-over), it differs. */
  tip: string | null;
  /** Every envelope that arrived here up to this position is committed (or never will be). */
  scanned: number;
}

function tracked(state: SpaceState): SpaceState {
  const maps = state as unknown as Record<Kind, Map<string, unknown>>;
  const out: Record<string, unknown> = { ...state };
  for (const kind of KINDS) {
    const map = new TrackedMap(maps[kind]);
    map.take();
    out[kind] = map;
  }
  return out as unknown as SpaceState;
}

type Snapshot = Record<string, unknown>;

/** A whole state as JSON: scalars as they are, maps as entry lists. */
function snapshotOf(state: SpaceState): Snapshot {
  const out: Snapshot = { ...state };
  for (const kind of KINDS) out[kind] = [...(state as unknown as Record<Kind, Map<string, unknown>>)[kind].entries()];
  return out;
}

function fromSnapshot(snapshot: Snapshot): SpaceState {
  const state = { ...emptyState(), ...snapshot } as Record<string, unknown>;
  for (const kind of KINDS) state[kind] = new Map(snapshot[kind] as [string, unknown][]);
  return state as unknown as SpaceState;
}

export class StateStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of STATEMENTS) sql.exec(statement);
    // A newer build's state may hold rows this one would misread, or lose when it writes: refuse
    // it before anything is written (the log's schema does the same, `log-schema-newer`).
    const held = Number(sql.exec<{ value: string }>(`SELECT value FROM state_meta WHERE key = 'schema_version'`)[0]?.value ?? 0);
    if (!(held <= STATE_SCHEMA_VERSION)) {
      throw new CommonsError("state-schema-newer", `This space's stored state was written by a newer Commons (state schema ${held}; this build reads up to ${STATE_SCHEMA_VERSION}): upgrade Commons to open it. Nothing was changed.`, { status: 500 });
    }
    // Older versions need no conversion (a version 1 store has no coalition or market rows, since
    // no replica accepted those types then): the version is raised in place.
    sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('schema_version', ?)`, String(STATE_SCHEMA_VERSION));
  }

  /** The stored state (empty at index 0 when none is stored), reading only the state's rows. */
  load(): StoredState {
    const meta = new Map(this.sql.exec<{ key: string; value: string }>(`SELECT key, value FROM state_meta`).map((row) => [row.key, row.value]));
    const state = emptyState();
    const scalars = meta.get("scalars");
    if (scalars !== undefined) Object.assign(state, JSON.parse(scalars));
    for (const row of this.sql.exec<{ kind: string; key: string; json: string }>(`SELECT kind, key, json FROM state_rows`)) {
      ((state as unknown as Record<string, Map<string, unknown>>)[row.kind])?.set(row.key, JSON.parse(row.json));
    }
    return { state: tracked(state), index: Number(meta.get("index") ?? 0), tip: meta.get("tip") ?? null, scanned: Number(meta.get("scanned") ?? 0) };
  }

  /** A fresh, empty, tracked state (after the commit order itself was rewritten). */
  empty(): StoredState {
    return { state: tracked(emptyState()), index: 0, tip: null, scanned: 0 };
  }

  /** Stores a whole snapshot of `state` at `index` (replay starts from these). */
  checkpoint(state: SpaceState, index: number): void {
    this.sql.exec(`INSERT OR REPLACE INTO state_checkpoints (idx, json) VALUES (?, ?)`, index, JSON.stringify(snapshotOf(state)));
  }

  /** The newest snapshot at or below `index` (the empty state at 0 when there is none). */
  checkpointAtOrBelow(index: number): { state: SpaceState; index: number } {
    const row = this.sql.exec<{ idx: number; json: string }>(`SELECT idx, json FROM state_checkpoints WHERE idx <= ? ORDER BY idx DESC LIMIT 1`, index)[0];
    return row === undefined ? { state: emptyState(), index: 0 } : { state: fromSnapshot(JSON.parse(row.json) as Snapshot), index: Number(row.idx) };
  }

  /** Forgets snapshots above `index` (the commit order past it was rewritten). */
  dropCheckpointsAbove(index: number): void {
    this.sql.exec(`DELETE FROM state_checkpoints WHERE idx > ?`, index);
  }

  /** Writes what changed since the last save, and the index, in one transaction. */
  save({ state, index, tip, scanned }: StoredState, options: { all?: boolean } = {}): void {
    this.sql.transaction(() => {
      if (options.all) this.sql.exec(`DELETE FROM state_rows`);
      for (const kind of KINDS) {
        const map = (state as unknown as Record<Kind, Map<string, unknown>>)[kind];
        const keys = map instanceof TrackedMap && !options.all ? map.take() : new Set(map.keys());
        if (map instanceof TrackedMap && options.all) map.take();
        for (const key of keys) {
          const value = map.get(key);
          if (value === undefined) this.sql.exec(`DELETE FROM state_rows WHERE kind = ? AND key = ?`, kind, String(key));
          else this.sql.exec(`INSERT OR REPLACE INTO state_rows (kind, key, json) VALUES (?, ?, ?)`, kind, String(key), JSON.stringify(value));
        }
        // `get` above re-marked them: they are written now.
        if (map instanceof TrackedMap) map.take();
      }
      const { genesis, sequencer, epoch, visibility } = state;
      this.sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('scalars', ?)`, JSON.stringify({ genesis, sequencer, epoch, visibility }));
      this.sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('index', ?)`, String(index));
      this.sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('scanned', ?)`, String(scanned));
      if (tip === null) this.sql.exec(`DELETE FROM state_meta WHERE key = 'tip'`);
      else this.sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('tip', ?)`, tip);
    });
  }
}
