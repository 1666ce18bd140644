/**
 * client/node/local-space.ts in-process: an open verifies only what arrived since the point
 * this node signed (counted as signature verifications, not timed); an altered point is
 * refused; an old row altered in place is left to `audit()` (`commons verify`) and export;
 * locked writers move the point over their own rows; the Yjs history is compacted; the
 * commands' view (client/node/local-view.ts) equals a full fold, from the uncommitted suffix.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { exportBundle } from "../../client/node/bundle.js";
import { commonsHome, type Home } from "../../client/node/home.js";
import { COMPACT_ROWS, LocalSpace, withSpace } from "../../client/node/local-space.js";
import { localView, uncommitted } from "../../client/node/local-view.js";
import { NodeSql } from "../../client/node/sqlite.js";
import { SEQUENCER_META_TYPES } from "../../core/log/types/index.js";
import { buildView, viewSnapshot } from "../../core/views/build.js";
import { cloneState } from "../../core/views/state.js";
import { YUpdateStore } from "../../core/yjs/update-store.js";
import { buildLocalCopy, type LocalCopy } from "../support/local-copy.js";

let dir: string;
let home: Home;
let copy: LocalCopy;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "commons-local-copy-"));
  home = commonsHome({ COMMONS_HOME: dir });
  copy = await buildLocalCopy(dir, "copy-1", 40);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens read-only, counting the Ed25519 verifications the open makes. */
async function openCounting(): Promise<{ local: LocalSpace; verifications: number }> {
  const verify = vi.spyOn(crypto.subtle, "verify");
  try {
    const local = await LocalSpace.open(home, copy.space, { lock: false });
    return { local, verifications: verify.mock.calls.length };
  } finally {
    verify.mockRestore();
  }
}

/** Runs SQL on the copy's file behind commons' back. */
function tamper(query: string, ...params: string[]): number {
  const sql = new NodeSql(copy.file);
  try {
    sql.exec(query, ...params);
    return Number(sql.exec<{ n: number }>(`SELECT changes() AS n`)[0]!.n);
  } finally {
    sql.close();
  }
}

const verifiedRecord = () => {
  const sql = new NodeSql(copy.file);
  try {
    return JSON.parse(sql.exec<{ value: string }>(`SELECT value FROM node_meta WHERE key = 'verified'`)[0]!.value) as { log: { arrival: number; chain: string } };
  } finally {
    sql.close();
  }
};

describe("opening a local copy", () => {
  it("verifies everything once, then only what arrived since the signed point", async () => {
    const total = 2 + 40 + 1; // genesis, member, messages, one receipt
    const first = await openCounting();
    expect(first.local.opened.report).toMatchObject({ mode: "full", checked: total, ok: true });
    expect(first.verifications).toBe(total);
    first.local.close();
    expect(verifiedRecord().log.arrival).toBe(total);

    await copy.more(5); // five messages and their receipt, as a daemon's sync would store them
    const second = await openCounting();
    expect(second.local.opened.report).toMatchObject({ mode: "since", checked: 6, envelopes: total + 6, ok: true });
    // The six new rows, and the point's own signature.
    expect(second.verifications).toBe(6 + 1);
    second.local.close();

    const third = await openCounting();
    expect(third.local.opened.report).toMatchObject({ mode: "since", checked: 0 });
    expect(third.verifications).toBe(1);
    third.local.close();
  });

  it("a locked writer moves the point over its own rows: the next open verifies none of them", async () => {
    await withSpace(home, copy.space, {}, async (local) => {
      for (let i = 0; i < 10; i++) await local.replica.append(copy.me, "channel.message", { content: `mine ${i}` });
    });
    const next = await openCounting();
    expect(next.local.opened.report).toMatchObject({ mode: "since", checked: 0, envelopes: 43 + 10 });
    next.local.close();
  });

  it("refuses a copy whose signed point was altered (its hash chain, or its JSON)", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    const record = verifiedRecord();
    const altered = { ...record, log: { ...record.log, chain: "0".repeat(64) } };
    tamper(`UPDATE node_meta SET value = ? WHERE key = 'verified'`, JSON.stringify(altered));
    await expect(LocalSpace.open(home, copy.space, { lock: false })).rejects.toMatchObject({ code: "local-copy-unverified" });
    tamper(`UPDATE node_meta SET value = '{"format":' WHERE key = 'verified'`);
    await expect(LocalSpace.open(home, copy.space, { lock: false })).rejects.toMatchObject({ code: "local-copy-unverified", message: /not JSON/ });
  });

  it("a point signed by another key is not this node's: the copy is verified in full", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    const record = verifiedRecord();
    tamper(`UPDATE node_meta SET value = ? WHERE key = 'verified'`, JSON.stringify({ ...record, by: copy.other.did }));
    const opened = await openCounting();
    expect(opened.local.opened.report).toMatchObject({ mode: "full", ok: true });
    opened.local.close();
  });

  it("verifies new rows: one altered past the point is refused", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    await copy.more(3);
    expect(tamper(`UPDATE log_envelopes SET text = replace(text, '"message 44"', '"message 99"') WHERE text LIKE '%"message 44"%'`)).toBe(1);
    await expect(LocalSpace.open(home, copy.space, { lock: false })).rejects.toMatchObject({ code: "local-copy-corrupt", message: /audit-envelope-invalid/ });
  });

  it("an old row altered in place: a plain open trusts the verified prefix; audit() and export find it", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    expect(tamper(`UPDATE log_envelopes SET text = replace(text, '"message 3"', '"message 33"') WHERE text LIKE '%"message 3"%'`)).toBe(1);
    const local = await LocalSpace.open(home, copy.space, { lock: false });
    try {
      expect(local.opened.report).toMatchObject({ ok: true, mode: "since", checked: 0 });
      await expect(local.audit()).rejects.toMatchObject({ code: "local-copy-corrupt", message: /audit-envelope-invalid[\s\S]*audit-prefix-mismatch/ });
      expect(() => exportBundle(local, join(dir, "out.commons"), null)).toThrow(/rows up to #43 are not the ones this node verified/);
    } finally {
      local.close();
    }
  });

  it("a rolled-back copy (its newest rows removed): the row at the point is gone, so the open audits everything and refuses", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    tamper(`DELETE FROM log_envelopes WHERE arrival >= 40`);
    await expect(LocalSpace.open(home, copy.space, { lock: false })).rejects.toMatchObject({ code: "local-copy-corrupt", message: /audit-prefix-mismatch|audit-tips-mismatch|audit-heads-mismatch/ });
  });

  it("an old row removed below the point: the open does not look (docs/CLI.md); audit() finds it", async () => {
    (await LocalSpace.open(home, copy.space, { lock: false })).close();
    tamper(`DELETE FROM log_envelopes WHERE arrival = 10`);
    const local = await LocalSpace.open(home, copy.space, { lock: false });
    try {
      await expect(local.audit()).rejects.toMatchObject({ code: "local-copy-corrupt", message: /audit-chain-broken/ });
    } finally {
      local.close();
    }
  });
});

describe("the node compacts its Yjs history", () => {
  it("before a locked writer closes, once the rows pass the threshold", async () => {
    await withSpace(home, copy.space, {}, (local) => {
      const text = local.ydoc().getText("notes");
      for (let i = 0; i < COMPACT_ROWS + 200; i++) text.insert(text.length, `${i},`);
    });
    const local = await LocalSpace.open(home, copy.space, { lock: false });
    try {
      expect(local.ystore.stats().rows).toBeLessThan(10);
      expect(local.ydoc().getText("notes").toString().split(",").length).toBe(COMPACT_ROWS + 201);
    } finally {
      local.close();
    }
  });

  it("on a locked open, when someone else left many rows (a daemon's sync)", async () => {
    const sql = new NodeSql(copy.file);
    const store = new YUpdateStore(sql);
    const doc = new Y.Doc();
    doc.on("update", (update: Uint8Array) => store.append(update));
    for (let i = 0; i < COMPACT_ROWS + 1; i++) doc.getText("notes").insert(0, "x");
    sql.close();
    const local = await LocalSpace.open(home, copy.space);
    try {
      expect(local.ystore.stats().rows).toBeLessThan(10);
      expect(local.ydoc().getText("notes").length).toBe(COMPACT_ROWS + 1);
    } finally {
      local.close();
    }
  });
});

describe("the commands' view: committed state plus the uncommitted suffix", () => {
  it("equals a full fold, and reads the suffix past the settled mark only", async () => {
    await withSpace(home, copy.space, {}, async (local) => {
      const item = await local.replica.append(copy.me, "work.created", { title: "rotate the cert" });
      await local.replica.append(copy.me, "work.claimed", { item: item.id });
      await local.replica.append(copy.me, "member.added", { member: copy.other.did, role: "agent", domains: [] });
    });
    await copy.more(2, { commit: false });
    const local = await LocalSpace.open(home, copy.space, { lock: false });
    try {
      const full = buildView(local.replica.since(0));
      const view = localView(local);
      const comparable = (v: { committed: unknown; current: unknown }) => viewSnapshot({ ...full, committed: cloneState(v.committed as never), current: cloneState(v.current as never) });
      expect(comparable(view)).toEqual(comparable(full));
      const fullTentative = [...full.verdicts].filter(([, v]) => v.state === "tentative");
      expect([...view.tentative]).toEqual(expect.arrayContaining(fullTentative));
      expect(view.tentative.size).toBe(fullTentative.length);
      expect(view.tentative.size).toBe(5);
      // Everything before the first tentative envelope is settled: the next call starts there.
      const firstTentative = uncommitted(local)[0]!.arrival;
      expect(JSON.parse(local.meta("settled")!).arrival).toBe(firstTentative - 1);
      const old = local.replica.since(0).filter(({ id, envelope }) => !SEQUENCER_META_TYPES.has(envelope.type) && local.replica.status(id).state === "tentative");
      expect(local.tentative()).toBe(old.length);
    } finally {
      local.close();
    }
  });
});
