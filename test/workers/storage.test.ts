/** The storage conformance suite against Durable Object SQLite, inside workerd. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { storageCases } from "../support/sql-conformance.js";

describe("SqlStorage conformance: Durable Object SQLite", () => {
  storageCases.forEach((testCase, i) => {
    it(testCase.name, async () => {
      // A fresh object per case; the conformance tables do not collide with the space's own.
      const stub = env.SPACES.get(env.SPACES.idFromName(`conformance-${i}-${crypto.randomUUID()}`));
      await runInDurableObject(stub, async (_instance, state) => {
        state.storage.sql.exec("DROP TABLE IF EXISTS y_updates");
        await testCase.run(new DurableObjectSql(state.storage));
      });
    }, testCase.timeoutMs);
  });
});
