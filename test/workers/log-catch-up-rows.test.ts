/**
 * A catch-up page on Durable Object SQLite, inside workerd: `missingFor` reads about the rows
 * it returns (workerd's own count, DurableObjectSql.rowsRead), not a page per author. Eight
 * authors writing in turn make the difference plain: reading `limit` rows of every author
 * behind, as it once did, read 1,309 rows here (about every envelope held) for a page of 256.
 * A receiver far behind is served by one arrival-ordered scan; one holding all but some
 * authors' tails by the merge of those authors' ranges (core/log/missing.ts): both are checked.
 * Each page is also checked against the plain answer: the first `limit` missing envelopes
 * in arrival order.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import type { VersionVector } from "../../core/log/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { advance } from "../../core/log/sync-protocol.js";
import { Sequencer } from "../../core/state/sequencer.js";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { chainWriter } from "./chain-writer.js";

const AUTHORS = 8;
const EACH = 160;
const PAGE = 256;

describe("catch-up page rows read (DO SQLite)", () => {
  it("a page of 256 reads at most twice its rows, from nothing, mid-way, and for one or two authors behind", async () => {
    const edge = await Ed25519Signer.generate();
    const signers = await Promise.all(Array.from({ length: AUTHORS }, () => Ed25519Signer.generate()));
    const space = `catch-up-rows-${crypto.randomUUID().slice(0, 8)}`;
    const writers = signers.map((signer) => chainWriter(space, signer));
    await writers[0]!.write("space.created", { owners: signers.map((s) => s.did), sequencer: edge.did });
    // In turn, so every page holds rows of every author.
    const interleaved: unknown[] = [...writers[0]!.envelopes];
    for (let i = 0; i < EACH; i++) {
      for (const writer of writers) {
        await writer.write("channel.message", { content: `message ${i}` });
        interleaved.push(writer.envelopes.at(-1));
      }
    }
    const stub = env.SPACES.get(env.SPACES.idFromName(`catch-up-rows-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = new DurableObjectSql(state.storage);
      const replica = LogReplica.open(sql, parseSpaceId(space));
      const sequencer = new Sequencer(replica, edge);
      for (let i = 0; i < interleaved.length; i += PAGE) {
        const results = await replica.ingest(interleaved.slice(i, i + PAGE));
        expect(results.filter((r) => r.status !== "accepted")).toEqual([]);
        await sequencer.sequence();
      }
      const everything = replica.since(0);
      expect(everything.length).toBeGreaterThan(AUTHORS * EACH);
      // The plain answer: what `theirs` lacks, in arrival order, the first PAGE of it.
      const expected = (theirs: VersionVector) =>
        everything.filter((s) => s.envelope.seq > (theirs[s.envelope.author] ?? 0)).slice(0, PAGE).map((s) => s.id);
      const page = (theirs: VersionVector) => {
        const before = sql.rowsRead;
        const envelopes = replica.missingFor(theirs, PAGE);
        return { ids: envelopes.map((e) => e.id), rows: sql.rowsRead - before, envelopes };
      };

      const first = page({});
      expect(first.ids).toEqual(expected({}));
      // Then two more pages, each from the vector the last one left, as log-room.ts pages.
      let vv = advance({}, first.envelopes);
      const second = page(vv);
      expect(second.ids).toEqual(expected(vv));
      vv = advance(vv, second.envelopes);
      const third = page(vv);
      expect(third.ids).toEqual(expected(vv));
      // A receiver holding everything but the tail of one author's chain (seq 20 on).
      const all = replica.versionVector();
      const oneBehind = { ...all, [signers[3]!.did]: 19 };
      const tail = page(oneBehind);
      expect(tail.ids).toEqual(expected(oneBehind));
      expect(tail.ids).toHaveLength(EACH - 19);

      // Two authors' tails: the scan keeps a quarter of what it reads, the merge takes over.
      const twoBehind = { ...all, [signers[2]!.did]: 30, [signers[5]!.did]: 40 };
      const two = page(twoBehind);
      expect(two.ids).toEqual(expected(twoBehind));

      const costs = { first: first.rows, second: second.rows, third: third.rows, tail: tail.rows, two: two.rows };
      // The log's authors (vector) plus about the page; the old query read ~1,300 for each.
      const bound = 2 * PAGE + AUTHORS + 2;
      for (const [what, rows] of Object.entries(costs)) expect({ what, rows, within: rows <= bound }).toEqual({ what, rows, within: true });
    });
  }, 120_000);
});
