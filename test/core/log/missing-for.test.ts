/**
 * `missingFor` pages (core/log/replica.ts `missingPage`, a merge of the authors' missing
 * ranges read in chunks) against the plain answer — every held envelope the receiver's
 * vector lacks, in arrival order, the first `limit` — for random histories (who writes in
 * which order, how skewed, when the sequencer commits) and random receivers: absent authors,
 * seqs behind, at and past the tip, below 1, fractional, authors this replica never saw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VersionVector } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { seededReplica, T0 } from "./fixtures.js";

const plain = (replica: LogReplica, theirs: VersionVector, limit: number) =>
  replica
    .since(0)
    .filter((s) => s.envelope.seq > (theirs[s.envelope.author] ?? 0))
    .slice(0, limit)
    .map((s) => s.id);

/** A receiver's claim about one author: absent, or a seq anywhere around what is held. */
const claim = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -2, max: 2 }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.nat({ max: 1000 }),
);

describe("missingFor pages", () => {
  it("equal the first `limit` missing envelopes in arrival order, for random histories and receivers", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Who writes each envelope (0 alice, 1 bob, 2 carol), and after which ones the sequencer runs.
        fc.array(fc.record({ who: fc.constantFrom(0, 1, 2, 2, 2), commit: fc.boolean() }), { maxLength: 90 }),
        fc.array(fc.record({ claims: fc.tuple(claim, claim, claim, claim), stranger: fc.boolean(), limit: fc.integer({ min: 0, max: 40 }) }), { minLength: 1, maxLength: 12 }),
        async (history, receivers) => {
          const { replica, cast } = await seededReplica();
          const sequencer = new Sequencer(replica, cast.edge);
          const writers = [cast.alice, cast.bob, cast.carol];
          for (const [i, step] of history.entries()) {
            await replica.append(writers[step.who]!, "channel.message", { content: `m${i}` }, { now: T0 + 10 + i });
            if (step.commit) await sequencer.sequence();
          }
          const authors = [...writers, cast.edge].map((s) => s.did);
          for (const { claims, stranger, limit } of receivers) {
            const theirs: VersionVector = {};
            claims.forEach((seq, i) => {
              if (seq === undefined) return;
              const mine = replica.versionVector()[authors[i]!] ?? 0;
              // Whole numbers near the tip; anything else as drawn.
              theirs[authors[i]!] = Number.isInteger(seq) && seq >= -2 && seq <= 2 ? Math.max(0, mine + seq) : seq;
            });
            if (stranger) theirs["did:key:z6MkStrangerNeverSeenHere"] = 5;
            expect(replica.missingFor(theirs, limit).map((e) => e.id)).toEqual(plain(replica, theirs, limit));
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it("a whole catch-up, page by page, sends every envelope once and in arrival order", async () => {
    const { replica, cast } = await seededReplica();
    const sequencer = new Sequencer(replica, cast.edge);
    // Skewed: carol writes most, alice rarely, the sequencer in between.
    for (let i = 0; i < 120; i++) {
      await replica.append(i % 11 === 0 ? cast.alice : i % 3 === 0 ? cast.bob : cast.carol, "channel.message", { content: `m${i}` }, { now: T0 + 10 + i });
      if (i % 17 === 0) await sequencer.sequence();
    }
    const sent: string[] = [];
    let vv: VersionVector = {};
    for (let page = replica.missingFor(vv, 7); page.length > 0; page = replica.missingFor(vv, 7)) {
      expect(page.length).toBeLessThanOrEqual(7);
      sent.push(...page.map((e) => e.id));
      for (const e of page) vv = { ...vv, [e.author]: e.seq };
    }
    expect(sent).toEqual(replica.since(0).map((s) => s.id));
  }, 60_000);
});
