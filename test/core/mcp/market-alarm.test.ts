/**
 * The deadline's award (core/mcp/market-alarm.ts) on a real replica, sequencer and LogRoom
 * in Node: the SQL index of open deadlines (earliest first, closed by an award, rebuilt
 * once from the committed state when the table is new); a bid that arrived but was not yet
 * sequenced when the deadline passed still counts (it commits ahead of the first award,
 * and the award is computed again); a replica that does not sequence awards nothing.
 */
import { describe, expect, it } from "vitest";
import { NodeSql } from "../../../client/node/sqlite.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import { acceptedEnvelopes } from "../../../core/mcp/approvals.js";
import { awardDue, MarketDeadlines } from "../../../core/mcp/market-alarm.js";
import { LockTable, type ToolHost } from "../../../core/mcp/tool-host.js";
import { LogRoom } from "../../../core/space/log-room.js";
import { Sequencer } from "../../../core/state/sequencer.js";

async function market() {
  const sql = new NodeSql();
  const replica = LogReplica.open(sql, parseSpaceId("market-alarm"));
  const [alice, carol, dave, edge] = await Promise.all([0, 1, 2, 3].map(() => Ed25519Signer.generate()));
  const sequencer = new Sequencer(replica, edge!);
  const deadlines = new MarketDeadlines(sql);
  let clock = Date.now();
  const room: LogRoom = new LogRoom(replica, sequencer, { peers: () => [], setLive: () => undefined }, {
    signer: edge!,
    afterCommit: async (entries) => void deadlines.note(acceptedEnvelopes(room, entries)),
  });
  const hostAs = (did = edge!.did): ToolHost => ({
    space: "market-alarm", replica, hostDid: did, committed: () => sequencer.committed(),
    // As LogRoom.write, stamped by the test's clock so a deadline passes without waiting.
    write: async (type, body) => {
      const written = await replica.append(edge!, type, body, { now: clock });
      await room.commitPending();
      return { id: written.id, status: replica.status(written.id) };
    },
    now: () => clock, locks: new LockTable(), presence: () => ({ participants: [], anonymous: 0, modes: { active: 0, monitoring: 0, away: 0 } }),
  });
  await replica.append(alice!, "space.created", { owners: [alice!.did], sequencer: edge!.did });
  for (const agent of [carol!, dave!]) await replica.append(alice!, "member.added", { member: agent.did, role: "agent", domains: [] });
  const items: EnvelopeId[] = [];
  for (const title of ["a", "b"]) items.push((await replica.append(alice!, "work.created", { title })).id);
  await room.commitPending();
  const call = async (item: EnvelopeId, inMs: number) => {
    await replica.append(alice!, "work.bids_called", { item, deadline: new Date(clock + inMs).toISOString() }, { now: clock });
    await room.commitPending();
    return clock + inMs;
  };
  return { sql, replica, sequencer, room, deadlines, alice: alice!, carol: carol!, dave: dave!, items, call, hostAs, advance: (ms: number) => (clock += ms) };
}

describe("market deadlines", () => {
  it("indexes open deadlines earliest first, drops awarded ones, and rebuilds once from the committed state", async () => {
    const m = await market();
    const late = await m.call(m.items[0]!, 120_000);
    const soon = await m.call(m.items[1]!, 60_000);
    expect(m.deadlines.next()).toBe(soon);
    expect(m.deadlines.due(soon)).toEqual([m.items[1]]);
    m.advance(60_000);
    await awardDue(m.hostAs(), m.deadlines);
    expect(m.sequencer.committed().markets.get(m.items[1]!)?.status).toBe("awarded");
    expect(m.deadlines.next()).toBe(late);
    // A replica whose table is new (an older store) indexes the open market from its state, once.
    m.sql.exec(`DROP TABLE market_deadlines`);
    const rebuilt = new MarketDeadlines(m.sql);
    expect(rebuilt.next()).toBeNull();
    rebuilt.backfill(m.sequencer.committed());
    expect(rebuilt.next()).toBe(late);
    rebuilt.close(m.items[0]!);
    rebuilt.backfill(m.sequencer.committed());
    expect(rebuilt.next()).toBeNull();
  });

  it("a bid that arrived before the deadline but was not yet sequenced is counted: the award is computed again with it", async () => {
    const m = await market();
    const deadline = await m.call(m.items[0]!, 60_000);
    await m.replica.append(m.carol, "work.bid", { item: m.items[0]!, cost: 5, eta: 60, confidence: 1 }, { now: deadline - 30_000 });
    await m.room.commitPending();
    // dave's cheaper bid, stamped before the deadline, is stored but not sequenced yet.
    const pending = await m.replica.append(m.dave, "work.bid", { item: m.items[0]!, cost: 1, eta: 60, confidence: 1 }, { now: deadline - 10_000 });
    m.advance(61_000);
    await awardDue(m.hostAs(), m.deadlines);
    expect(m.sequencer.committed().markets.get(m.items[0]!)).toMatchObject({ status: "awarded", winner: m.dave.did, bid: pending.id });
  });

  it("a replica that does not sequence the space awards nothing and keeps no deadline to wake for", async () => {
    const m = await market();
    await m.call(m.items[0]!, 60_000);
    m.advance(61_000);
    const before = m.replica.count();
    await awardDue(m.hostAs((await Ed25519Signer.generate()).did), m.deadlines);
    expect(m.replica.count()).toBe(before);
    expect(m.sequencer.committed().markets.get(m.items[0]!)?.status).toBe("open");
    expect(m.deadlines.next()).toBeNull();
  });
});
