/**
 * A coalition branch's text in Yjs, as real processes: three CLI nodes (a human owner and
 * two agents) and one real `wrangler dev` edge. The agents edit the same branch text on
 * their own nodes without syncing in between; after `commons sync` both hold one merged
 * text with each edit once; the merged version is staged, 2 of the 3 members approve, and
 * every node then shows the same current version of the artifact, read from the branch's
 * key, while `branch show` still reads the branch as history.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliNodes } from "../support/cli.js";
import { useEdge } from "../support/edge.js";

const SPACE = "branch-yjs-1";
const node = useCliNodes();
const edge = useEdge();

const idIn = (text: string) => /(sha256:[0-9a-f]{64})/.exec(text)![1]!;
const BASE = "1. drain the bad node\n2. restart the pods\n3. watch the error rate\n";
const MERGED = "1. drain the bad node first (cordon it)\n2. restart the pods\n3. watch the error rate for 10 minutes\n";

type Shown = { status: string; staged: Array<{ artifact: string; text: string; source: string; matches?: boolean; current: boolean }> };
type Current = { current: { text: string; source: string; version?: string; matches?: boolean; branch?: string } };

describe("branch text in Yjs across nodes", () => {
  const alice = node("alice");
  const carol = node("carol");
  const dave = node("dave");

  it("two nodes edit one branch text offline, converge on sync, and after 2-of-3 promotion every node shows the same current version", async () => {
    const url = `${edge().http}/s/${SPACE}`;
    await alice.ok(["create", url, "--title", "runbook review"]);
    const [aliceDid, carolDid, daveDid] = await Promise.all([alice, carol, dave].map(async (n) => (await n.json<{ did: string }>(["id"])).did));
    await alice.ok(["members", SPACE, "add", carolDid!, "--role", "agent", "--domains", "infra"]);
    await alice.ok(["members", SPACE, "add", daveDid!, "--role", "agent", "--domains", "infra"]);
    const artifact = idIn(await alice.ok(["artifact", SPACE, "create", "checkout runbook", "restart the pods"]));
    const coalition = idIn(await alice.ok(["coalition", SPACE, "form", "runbook-team", "--goal", "fix the runbook", "--members", `${aliceDid},${carolDid},${daveDid}`, "--quorum", "2"]));
    await alice.ok(["sync", SPACE]);
    await carol.ok(["join", url]);
    await dave.ok(["join", url]);
    const branch = idIn(await carol.ok(["branch", SPACE, "create", "runbook-fix", "--coalition", coalition]));
    const file = (name: string, text: string) => (writeFileSync(join(carol.home, name), text), join(carol.home, name));
    await carol.ok(["branch", SPACE, "write", branch, artifact, "--file", file("base.md", BASE)]);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);

    // Offline from each other: carol changes step 1, dave step 3.
    await carol.ok(["branch", SPACE, "write", branch, artifact, "--file", file("carol.md", BASE.replace("bad node", "bad node first (cordon it)"))]);
    await dave.ok(["branch", SPACE, "write", branch, artifact, "--file", file("dave.md", BASE.replace("error rate", "error rate for 10 minutes"))]);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await carol.ok(["sync", SPACE]);
    for (const n of [carol, dave]) {
      const shown = await n.json<Shown>(["branch", SPACE, "show", branch]);
      expect(shown.staged.map((s) => s.text)).toEqual([MERGED]);
      // The last staged version was one node's own text before the merge: the reader says so.
      expect(shown.staged[0]!.matches).toBe(false);
    }

    // carol stages the merged text as it is; alice and dave approve (2 of 3).
    expect(await carol.ok(["branch", SPACE, "write", branch, artifact])).toMatch(/branch.updated/);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await alice.ok(["sync", SPACE]);
    await alice.ok(["branch", SPACE, "approve", branch]);
    await dave.ok(["branch", SPACE, "approve", branch]);
    await alice.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await carol.ok(["sync", SPACE]);
    await alice.ok(["sync", SPACE]);

    const versions = new Set<string>();
    for (const n of [alice, carol, dave]) {
      const { current } = await n.json<Current>(["artifact", SPACE, "show", artifact]);
      expect(current).toMatchObject({ text: MERGED, source: "yjs", matches: true, branch });
      versions.add(current.version!);
      const history = await n.json<Shown>(["branch", SPACE, "show", branch]);
      expect(history).toMatchObject({ status: "merged", staged: [{ artifact, text: MERGED, matches: true, current: true }] });
    }
    expect(versions.size).toBe(1);
  }, 480_000);
});
