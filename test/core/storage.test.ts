/** The storage conformance suite against node:sqlite (the local node's backend). */
import { afterEach, describe, it } from "vitest";
import { NodeSql } from "../../client/node/sqlite.js";
import { storageCases } from "../support/sql-conformance.js";

describe("SqlStorage conformance: node:sqlite", () => {
  let open: NodeSql[] = [];
  afterEach(() => {
    for (const db of open) db.close();
    open = [];
  });
  for (const testCase of storageCases) {
    it(testCase.name, async () => {
      const sql = new NodeSql(":memory:");
      open.push(sql);
      await testCase.run(sql);
    }, testCase.timeoutMs);
  }
});
