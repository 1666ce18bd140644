/**
 * The local node's copies on their own: export/import bundles, tampering found by verify,
 * help for every command, argument errors as a real process, work/replay on the copy, and
 * the daemon pushing what other commands write. One real `wrangler dev` edge.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../client/cli/registry.js";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, startEdge, tempDir, type Edge } from "../support/edge.js";

const SPACE = "local-7";
let edge: Edge;
const nodes: CliNode[] = [];
const node = (label: string) => {
  const n = cliNode(label);
  nodes.push(n);
  return n;
};
const scratch = tempDir("cli-scratch");

beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.stop();
  if (edge) removeDir(edge.persistTo);
  for (const n of nodes) {
    n.killAll();
    removeDir(n.home);
  }
  removeDir(scratch);
});

type State = { count: number; vv: unknown; heads: unknown; frontier: number; ids: string; view: string; doc: unknown; tentative: number };
const comparable = (s: State) => ({ count: s.count, vv: s.vv, heads: s.heads, frontier: s.frontier, ids: s.ids, view: s.view, doc: s.doc });

describe("commons: copies on disk", () => {
  const a = node("a");

  it("A creates a space and works in it: posts, work items, claims, the document, replay", async () => {
    await a.ok(["create", `${edge.http}/s/${SPACE}`]);
    await a.ok(["post", SPACE, "--stdin"], { stdin: "first\nsecond\nthird\n" });
    const created = await a.ok(["work", SPACE, "create", "rotate the cert", "--domains", "ops"]);
    const item = /sha256:([0-9a-f]{64})/.exec(created)![1]!;
    await a.ok(["work", SPACE, "claim", item.slice(0, 10)]);
    await a.ok(["doc", SPACE, "append", "root cause: expired cert"]);
    expect(await a.ok(["work", SPACE, "ls"])).toMatch(/claimed .* rotate the cert/);
    await a.ok(["sync", SPACE]);
    const items = await a.json<Array<{ status: string }>>(["work", SPACE, "ls"]);
    expect(items.map((w) => w.status)).toEqual(["claimed"]);
    const replay = await a.json<{ view: { current: { work: unknown[] } } }>(["replay", SPACE, "--at", "1"]);
    expect(replay.view.current.work).toEqual([]);
    expect(await a.ok(["replay", SPACE, "--at", "6"])).toMatch(/work: rotate the cert \[claimed\]/);
  });

  it("export then import into a fresh home reproduces the space, verified", async () => {
    const file = join(scratch, "local-7.commons");
    expect(await a.ok(["export", SPACE, file])).toMatch(/exported local-7: \d+ envelopes/);
    const d = node("d");
    expect(await d.ok(["import", file])).toMatch(/imported local-7: \d+ envelopes verified/);
    expect(comparable(await d.json<State>(["state", SPACE]))).toEqual(comparable(await a.json<State>(["state", SPACE])));
    expect(await d.ok(["verify", SPACE])).toMatch(/^ok: /);
    expect((await d.ok(["doc", SPACE, "cat"])).trim()).toBe("root cause: expired cert");

    // A damaged bundle imports nothing.
    const text = readFileSync(file, "utf8");
    const damaged = join(scratch, "damaged.commons");
    writeFileSync(damaged, text.replace("second", "SECOND"));
    const e = node("e");
    const refused = await e.run(["import", damaged]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/checksum does not match/);
    expect((await e.run(["state", SPACE])).stderr).toMatch(/No local copy of "local-7"/);
  });

  it("a row altered by hand is found by verify and refused by export; a plain open trusts the prefix it verified (docs/CLI.md)", async () => {
    const f = node("f");
    const bundle = join(scratch, "for-f.commons");
    await a.ok(["export", SPACE, bundle]);
    await f.ok(["import", bundle]);
    const db = new DatabaseSync(join(f.home, "spaces", `${SPACE}.db`));
    const changed = db.prepare(`UPDATE log_envelopes SET text = replace(text, '"second"', '"2nd"') WHERE type = 'channel.message' AND text LIKE '%"second"%'`).run();
    db.close();
    expect(changed.changes).toBe(1);
    const verified = await f.run(["verify", SPACE]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/fails verification and was not used:\n\s+#\d+ audit-envelope-invalid/);
    const exported = await f.run(["export", SPACE, join(scratch, "f.commons")]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/are not the ones this node verified/);
    // The open re-reads only what arrived since the import verified the copy: none of this.
    expect(await f.ok(["log", SPACE])).toMatch(/"2nd"/);
  });

  it("commons --help and each subcommand's help say what it does, with an example", async () => {
    const main = await a.ok(["--help"]);
    for (const spec of COMMANDS) {
      expect(main).toContain(`  ${spec.name}`);
      const help = await a.ok([spec.name, "--help"]);
      expect(help).toContain(`commons ${spec.name} — ${spec.summary}`);
      expect(help).toMatch(new RegExp(`Examples:\\n  commons ${spec.name}|Examples:\\n  .*\\| commons ${spec.name}`));
    }
  });

  it("bad arguments get a clear message and a non-zero exit", async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [["join", "not a url"], 2, /is not a URL: give a space URL such as http/],
      [["join", "ftp://x/s/a"], 2, /use http\(s\):\/\/ or ws\(s\):\/\//],
      [["post", "no-such-space", "hi"], 1, /No local copy of "no-such-space": join it first/],
      [["post", SPACE, "hi", "--bogus"], 2, /Unknown option '--bogus'/],
      [["log", "Bad_Name"], 2, /not a valid space name.*Did you mean "bad_name"/s],
      [["post", SPACE, "hi", "--repeat", "lots"], 2, /--repeat takes a whole number/],
      [["frobnicate"], 2, /Unknown command "frobnicate"/],
      [["sync", SPACE, "--edge", "http://127.0.0.1:1/s/other"], 2, /--edge names space "other"/],
    ];
    for (const [args, code, message] of cases) {
      const result = await a.run(args);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toMatch(message);
    }
  });

  it("the daemon stays connected and pushes what other commands write", async () => {
    const daemon = a.start(["daemon"]);
    await daemon.line(new RegExp(`^${SPACE}: online, in step`));
    await a.ok(["post", SPACE, "while the daemon runs"]);
    await daemon.line(new RegExp(`^${SPACE}: pushed 1 local envelope`));
    const local = await a.json<State>(["state", SPACE]);
    const token = (await a.ok(["token", SPACE])).trim();
    const remote = (await (await fetch(`${edge.http}/s/${SPACE}/log/state`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { vv: unknown };
    expect(remote.vv).toEqual(local.vv);
    expect(await daemon.stop()).toBe(0);
  });
});
