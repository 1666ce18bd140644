/**
 * What a plain open of a local copy checks and what `commons verify` checks, with the CLI
 * as a real process on copies built with core code (test/support/local-copy.ts; no edge):
 * an open verifies only what arrived since the node's signed point; an old row altered in
 * place is found by `verify`, refused by `export`, and a bundle carrying one is refused by
 * `import`; an altered point is refused on open; the node compacts its Yjs history.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../core/canonical-json.js";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, tempDir } from "../support/edge.js";
import { buildLocalCopy } from "../support/local-copy.js";

const nodes: CliNode[] = [];
const node = (label: string) => {
  const n = cliNode(label);
  nodes.push(n);
  return n;
};
const scratch = tempDir("cli-verified");
afterAll(() => {
  for (const n of nodes) removeDir(n.home);
  removeDir(scratch);
});

/** Runs SQL on a copy's file behind commons' back; returns the rows changed. */
function tamper(file: string, query: string, ...params: string[]): number {
  const db = new DatabaseSync(file);
  try {
    return Number(db.prepare(query).run(...params).changes);
  } finally {
    db.close();
  }
}

type Verified = { upTo: number | null; open: { mode: string; checked: number } | null };
const verifiedOf = async (n: CliNode, space: string) => (await n.json<{ verified: Verified; count: number }>(["state", space]));

describe("commons: what an open verifies, what verify verifies", () => {
  it("the first open verifies everything; later opens only what arrived since", async () => {
    const a = node("va");
    const copy = await buildLocalCopy(a.home, "verified-1", 30);
    const first = await verifiedOf(a, copy.space);
    expect(first.verified).toEqual({ upTo: first.count, open: { mode: "full", checked: first.count } });
    await copy.more(4); // four messages and a receipt, stored as a daemon's sync would
    expect((await verifiedOf(a, copy.space)).verified).toEqual({ upTo: first.count + 5, open: { mode: "since", checked: 5 } });
    // A post writes under the lock and moves the point over its own envelope.
    await a.ok(["post", copy.space, "hello"]);
    expect((await verifiedOf(a, copy.space)).verified).toEqual({ upTo: first.count + 6, open: { mode: "since", checked: 0 } });
  });

  it("an envelope altered after the point is refused by every command", async () => {
    const a = node("vb");
    const copy = await buildLocalCopy(a.home, "verified-2", 10);
    await a.ok(["log", copy.space]);
    await copy.more(2);
    expect(tamper(copy.file, `UPDATE log_envelopes SET text = replace(text, '"message 13"', '"message 99"') WHERE text LIKE '%"message 13"%'`)).toBe(1);
    for (const args of [["log", copy.space], ["post", copy.space, "more"], ["verify", copy.space]]) {
      const result = await a.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(/fails verification and was not used:\n\s+#\d+ audit-envelope-invalid/);
    }
  });

  it("an old row altered in place: open trusts the verified prefix; verify finds it; export refuses the copy", async () => {
    const a = node("vc");
    const copy = await buildLocalCopy(a.home, "verified-3", 20);
    await a.ok(["log", copy.space]);
    expect(tamper(copy.file, `UPDATE log_envelopes SET text = replace(text, '"message 5"', '"message 55"') WHERE text LIKE '%"message 5"%'`)).toBe(1);
    // Said plainly in docs/CLI.md: a plain open does not re-read the verified prefix.
    expect(await a.ok(["log", copy.space])).toMatch(/"message 55"/);
    const verified = await a.run(["verify", copy.space]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/#\d+ audit-envelope-invalid/);
    expect(verified.stderr).toMatch(/audit-prefix-mismatch: The rows up to #\d+ are not the ones verified before/);
    const exported = await a.run(["export", copy.space, join(scratch, "c.commons")]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/was not exported: its rows up to #\d+ are not the ones this node verified/);
  });

  it("import refuses a bundle whose envelope was altered, even with its id and checksum recomputed", async () => {
    const a = node("vd");
    const copy = await buildLocalCopy(a.home, "verified-4", 20);
    const file = join(scratch, "d.commons");
    await a.ok(["export", copy.space, file]);
    const [header, ...lines] = readFileSync(file, "utf8").split("\n");
    // A forger who can rewrite everything but a signature: the content, its id, the checksum.
    const at = lines.findIndex((line) => line.includes('"message 5"'));
    const { id: _id, ...envelope } = (JSON.parse(lines[at]!) as { envelope: Record<string, unknown> }).envelope;
    const body = { ...(envelope.body as object), content: "message 55" };
    const forgedEnvelope = { ...envelope, body };
    const id = `sha256:${createHash("sha256").update(canonicalJson(forgedEnvelope), "utf8").digest("hex")}`;
    lines[at] = JSON.stringify({ envelope: { ...forgedEnvelope, id } });
    const altered = lines.join("\n");
    const forged = { ...JSON.parse(header!), sha256: createHash("sha256").update(altered, "utf8").digest("hex") };
    const forgedFile = join(scratch, "d-forged.commons");
    writeFileSync(forgedFile, `${JSON.stringify(forged)}\n${altered}`);
    const b = node("ve");
    const refused = await b.run(["import", forgedFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/envelope \d+ was refused: envelope-bad-signature/);
    expect((await b.run(["log", copy.space])).stderr).toMatch(/No local copy of "verified-4"/);
    // The genuine bundle imports, and the imported copy starts verified to its end.
    expect(await b.ok(["import", file])).toMatch(/imported verified-4: 23 envelopes verified/);
    expect((await verifiedOf(b, copy.space)).verified).toEqual({ upTo: 23, open: { mode: "since", checked: 0 } });
  });

  it("refuses a copy whose verified point was altered (its hash chain), with local-copy-unverified", async () => {
    const a = node("vf");
    const copy = await buildLocalCopy(a.home, "verified-5", 10);
    await a.ok(["log", copy.space]);
    const db = new DatabaseSync(copy.file);
    const record = JSON.parse((db.prepare(`SELECT value FROM node_meta WHERE key = 'verified'`).get() as { value: string }).value);
    db.prepare(`UPDATE node_meta SET value = ? WHERE key = 'verified'`).run(JSON.stringify({ ...record, log: { ...record.log, chain: "0".repeat(64) } }));
    db.close();
    for (const args of [["log", copy.space], ["verify", copy.space]]) {
      const result = await a.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(/was not used: the record of how far this node verified it .* was altered \(its signature does not verify\).*\(local-copy-unverified\)/s);
    }
    expect(await a.json<Array<{ ok: boolean }>>(["spaces", "--offline"])).toEqual([expect.objectContaining({ space: copy.space, ok: false })]);
  });

  it("without a verified point (a copy from before them, or another key's) the open verifies everything again", async () => {
    const a = node("vg");
    const copy = await buildLocalCopy(a.home, "verified-6", 10);
    await a.ok(["log", copy.space]);
    tamper(copy.file, `UPDATE log_envelopes SET text = replace(text, '"message 5"', '"message 55"') WHERE text LIKE '%"message 5"%'`);
    tamper(copy.file, `DELETE FROM node_meta WHERE key = 'verified'`);
    const result = await a.run(["log", copy.space]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/fails verification and was not used:\n\s+#\d+ audit-envelope-invalid/);
  });

  it("compacts the Yjs history: a thousand and more edits end as a few chunks, content intact", async () => {
    const a = node("vh");
    const copy = await buildLocalCopy(a.home, "verified-7", 2);
    await a.ok(["doc", copy.space, "append", "line", "--repeat", "1500"]);
    const db = new DatabaseSync(copy.file);
    const { rows, updates } = db.prepare(`SELECT COUNT(*) AS rows, SUM(updates) AS updates FROM y_updates`).get() as { rows: number; updates: number };
    db.close();
    expect(updates).toBe(1500);
    expect(rows).toBeLessThan(10);
    const text = (await a.ok(["doc", copy.space, "cat"])).trim().split("\n");
    expect(text.length).toBe(1500);
    expect(text.at(-1)).toBe("line1500");
  });
});
