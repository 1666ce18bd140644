/**
 * The stored state's schema 2 (coalitions and markets): a version 1 store opens as version 2
 * with nothing to convert, and a checkpoint written before coalitions existed (no
 * `coalitions` or `markets` in its JSON) replays into empty maps, so a replica upgraded in
 * place keeps folding from its old rows and snapshots. A store a newer build wrote is refused
 * (`state-schema-newer`) and left as it was.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { STATE_SCHEMA_VERSION, StateStore } from "../../../core/state/store.js";

describe("state schema 2 and 3", () => {
  it("a version 1 store opens as version 3; an old checkpoint loads with empty coalitions and markets", () => {
    const sql = new NodeSql();
    new StateStore(sql);
    sql.exec(`UPDATE state_meta SET value = '1' WHERE key = 'schema_version'`);
    // A snapshot as schema 1 wrote it: no coalitions, no markets.
    sql.exec(`INSERT INTO state_checkpoints (idx, json) VALUES (?, ?)`, 1000, JSON.stringify({ epoch: 3, visibility: "private", members: [], work: [], approvals: [], policies: [], artifacts: [], branches: [], savedViews: [], grants: [], revoked: [], invites: [] }));
    const store = new StateStore(sql);
    expect(STATE_SCHEMA_VERSION).toBe(3);
    expect(sql.exec<{ value: string }>(`SELECT value FROM state_meta WHERE key = 'schema_version'`)[0]?.value).toBe("3");
    const { state, index } = store.checkpointAtOrBelow(1500);
    expect(index).toBe(1000);
    expect(state.epoch).toBe(3);
    expect(state.coalitions).toBeInstanceOf(Map);
    expect(state.coalitions.size).toBe(0);
    expect(state.markets.size).toBe(0);
    expect(store.load().state.coalitions.size).toBe(0);
  });

  it("a store of a newer version is refused with state-schema-newer and left as it was", () => {
    const sql = new NodeSql();
    new StateStore(sql);
    const newer = String(STATE_SCHEMA_VERSION + 1);
    sql.exec(`UPDATE state_meta SET value = ? WHERE key = 'schema_version'`, newer);
    sql.exec(`INSERT OR REPLACE INTO state_meta (key, value) VALUES ('index', '7')`);
    expect(() => new StateStore(sql)).toThrow(expect.objectContaining({ code: "state-schema-newer", status: 500 }));
    const meta = new Map(sql.exec<{ key: string; value: string }>(`SELECT key, value FROM state_meta`).map((row) => [row.key, row.value]));
    expect(meta.get("schema_version")).toBe(newer);
    expect(meta.get("index")).toBe("7");
  });
});
