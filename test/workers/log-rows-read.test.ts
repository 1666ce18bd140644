/**
 * The log on Durable Object SQLite, inside workerd: what one more event costs in rows SQLite
 * reads (the runtime's own count, DurableObjectSql.rowsRead) does not grow with the log.
 * Rows, not time: a statement that walked the log (writerState once read every envelope's
 * id on each append) shows up here whatever the machine's speed.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { Sequencer } from "../../core/state/sequencer.js";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { chainWriter } from "./chain-writer.js";

const ENVELOPES = 3000;

describe("log rows read per event (DO SQLite)", () => {
  it("an append, a sequencing run, a duplicate and point reads read a handful of rows at 3,000 envelopes", async () => {
    const [alice, bob, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
    const space = `rows-read-${crypto.randomUUID().slice(0, 8)}`;
    const owner = chainWriter(space, alice);
    await owner.write("space.created", { owners: [alice.did, bob.did], sequencer: edge.did });
    const writer = chainWriter(space, bob);
    for (let i = 0; i < ENVELOPES; i++) await writer.write("channel.message", { content: `message ${i}` });
    const stub = env.SPACES.get(env.SPACES.idFromName(`log-rows-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = new DurableObjectSql(state.storage);
      const replica = LogReplica.open(sql, parseSpaceId(space));
      const sequencer = new Sequencer(replica, edge);
      expect((await replica.ingest(owner.envelopes))[0]?.status).toBe("accepted");
      for (let i = 0; i < ENVELOPES; i += 256) {
        const results = await replica.ingest(writer.envelopes.slice(i, i + 256));
        expect(results.filter((r) => r.status !== "accepted")).toEqual([]);
        await sequencer.sequence();
      }
      expect(replica.count()).toBeGreaterThan(ENVELOPES);
      const rowsFor = async (work: () => unknown) => {
        const before = sql.rowsRead;
        await work();
        return sql.rowsRead - before;
      };
      const oldest = (writer.envelopes[0] as { id: Parameters<LogReplica["get"]>[0] }).id;
      const costs = {
        append: await rowsFor(() => replica.append(alice, "channel.message", { content: "one more" })),
        sequence: await rowsFor(() => sequencer.sequence()),
        duplicate: await rowsFor(() => replica.ingest([writer.envelopes[7]])),
        get: await rowsFor(() => replica.get(oldest)),
        has: await rowsFor(() => replica.has(oldest)),
        status: await rowsFor(() => replica.status(oldest)),
        writerState: await rowsFor(() => replica.writerState(bob.did)),
      };
      // A few rows per statement; the whole log would be thousands.
      for (const [what, rows] of Object.entries(costs)) expect({ what, rows: rows < 100 }).toEqual({ what, rows: true });
    });
  }, 120_000);
});
