/**
 * Invites, policy and visibility through the `commons` CLI, end to end: real CLI processes
 * (separate homes) against a real `wrangler dev` edge. The round trip: an owner creates a
 * space and an invite and then runs nothing more; a new node joins with the URL (the edge's
 * sequencer commits the join), posts, and the owner sees the post after `commons sync`.
 * Refusals (used up, revoked) say what to do, and a refused joiner can join again later
 * with a new invite without forking its chain.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliNode, type CliNode } from "../support/cli.js";
import { removeDir, tempDir, useEdge } from "../support/edge.js";

const edgeOf = useEdge();
const nodes: CliNode[] = [];
const node = (label: string) => {
  const n = cliNode(label);
  nodes.push(n);
  return n;
};
afterAll(() => {
  for (const n of nodes) {
    n.killAll();
    removeDir(n.home);
  }
});

type Made = { url: string; invite: string; role: string; domains: string[]; uses: number; status: { state: string; verdict?: string } };
type Member = { did: string; role: string; domains: string[]; name?: string; committed: boolean };
const didOf = async (n: CliNode) => (await n.ok(["id"])).trim();

describe("commons invite / join <invite-url>", () => {
  it("round trip: the owner invites and goes offline; an agent joins with its domains, posts; the owner sees it after sync", async () => {
    const owner = node("owner");
    const bot = node("bot");
    const space = "invite-trip";
    const url = `${edgeOf().http}/s/${space}`;
    await owner.ok(["create", url]);
    const made = await owner.json<Made>(["invite", space, "--role", "agent", "--domains", "ops,infra", "--name", "ops-bot", "--expires", "2h"]);
    expect(made).toMatchObject({ role: "agent", domains: ["ops", "infra"], uses: 1, status: { state: "committed", verdict: "accepted" } });
    expect(made.url).toMatch(new RegExp(`^${url}#invite=[A-Za-z0-9_-]+$`));
    // From here on no process of the owner runs: every owner command above has exited,
    // and none was started as a long-running one.

    expect(await bot.ok(["join", made.url])).toMatch(/^joined invite-trip as agent in ops,infra \(ops-bot\): did:key:/);
    const botDid = await didOf(bot);
    const members = await bot.json<Member[]>(["members", space]);
    expect(members.find((m) => m.did === botDid)).toMatchObject({ role: "agent", domains: ["ops", "infra"], name: "ops-bot", committed: true });
    expect(await bot.ok(["post", space, "hello from the new agent"])).toMatch(/^posted sha256:/);
    expect(await bot.ok(["sync", space])).toMatch(/0 tentative/);

    await owner.ok(["sync", space]);
    expect(await owner.ok(["log", space, "--type", "channel.message"])).toMatch(/"hello from the new agent"\s+\[committed #\d+\]/);
    expect(await owner.ok(["invite", space, "ls"])).toMatch(new RegExp(`^${made.invite.slice(7, 19)}\\s+agent\\s+ops,infra\\s+ops-bot.*used up$`, "m"));
    // The agent's domains are what the default policy reads: its own domain runs, another asks.
    const own = await owner.json<{ tier: number; action: string }>(["policy", space, "test", "claim_work_item", "--as", botDid, "--args", '{"domain":"ops"}']);
    expect(own).toMatchObject({ tier: 1, action: "run" });
    const other = await owner.json<{ tier: number; action: string; approver: string }>(["policy", space, "test", "claim_work_item", "--as", botDid, "--args", '{"domain":"billing"}']);
    expect(other).toMatchObject({ tier: 3, action: "ask", approver: "owner" });
  });

  it("a used-up or revoked invite is refused with what to do; a new invite then lets the same node in", async () => {
    const owner = node("owner-2");
    const first = node("first");
    const late = node("late");
    const space = "invite-refusals";
    await owner.ok(["create", `${edgeOf().http}/s/${space}`]);
    const once = await owner.json<Made>(["invite", space, "--role", "human"]);
    await first.ok(["join", once.url]);

    const usedUp = await late.run(["join", once.url]);
    expect(usedUp.code).toBe(1);
    expect(usedUp.stderr).toMatch(/The space refused your join: the invite has been used 1 of 1 times: ask an owner for a new one/);
    expect(await late.json(["spaces", "--offline"])).toEqual([]);

    const revoked = await owner.json<Made>(["invite", space, "--role", "human", "--uses", "5"]);
    expect(await owner.ok(["invite", space, "revoke", revoked.invite.slice(7, 17), "--reason", "sent to the wrong list"])).toMatch(/^revoked invite \w+ \[committed #\d+\]/);
    expect(await owner.ok(["invite", space, "ls"])).toMatch(/revoked$/m);
    const refused = await late.run(["join", revoked.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/The space refused your join: the invite was revoked: ask an owner for a new one/);

    // The refused joins stay in the late node's chain at the edge; a third join continues it.
    const fresh = await owner.json<Made>(["invite", space, "--role", "observer"]);
    expect(await late.ok(["join", fresh.url])).toMatch(/^joined invite-refusals as observer/);
    await late.ok(["verify", space]);
    await owner.ok(["sync", space]);
    const joins = (await owner.ok(["log", space, "--type", "member.joined"])).trim().split("\n");
    const lateDid = await didOf(late);
    const lates = joins.filter((line) => line.includes(lateDid.slice(8, 16)));
    expect(lates.map((line) => /\[(committed|REJECTED)/.exec(line)?.[1])).toEqual(["REJECTED", "REJECTED", "committed"]);
  });

  it("only owners invite; bad flags are usage errors that say what to do", async () => {
    const owner = node("owner-3");
    const member = node("member-3");
    const space = "invite-flags";
    await owner.ok(["create", `${edgeOf().http}/s/${space}`]);
    await member.ok(["join", (await owner.json<Made>(["invite", space, "--role", "human"])).url]);
    const notOwner = await member.run(["invite", space, "--role", "human"]);
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toMatch(/Only owners can invite; in invite-flags you \(did:key:\w+\) are a human\. Ask an owner/);
    for (const [args, message] of [
      [["--role", "owner"], /an invite makes a human, agent or observer/],
      [["--role", "human", "--expires", "1y"], /--expires takes a duration such as 30m, 24h or 7d/],
      [["--role", "human", "--uses", "1001"], /--uses takes a whole number from 1 to 1000/],
    ] as const) {
      const bad = await owner.run(["invite", space, ...args]);
      expect({ code: bad.code, stderr: bad.stderr }).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
    }
    const damaged = await member.run(["join", `${edgeOf().http}/s/${space}#invite=eyJ2IjoxfQ`]);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/The invite's payload is damaged .*ask the owner to send the invite URL again/);
  });
});

describe("commons policy / commons space", () => {
  it("show, set (a file checked field by field) and test the policy; only owners set it", async () => {
    const owner = node("owner-p");
    const agent = node("agent-p");
    const space = "policy-cli";
    await owner.ok(["create", `${edgeOf().http}/s/${space}`]);
    await agent.ok(["join", (await owner.json<Made>(["invite", space, "--role", "agent", "--domains", "ops", "--name", "george"])).url]);
    await owner.ok(["sync", space]);

    const shown = await owner.json<Array<{ tool: string; source: string }>>(["policy", space, "show"]);
    expect(shown.find((r) => r.tool === "create_work_item")).toMatchObject({ source: "default" });
    expect(shown.find((r) => r.tool === "decide_approval")).toMatchObject({ source: "built-in" });
    expect(shown.at(-1)).toMatchObject({ tool: "*", source: "built-in" });

    const dir = tempDir("policy-files");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ tool: "write_artifact", tier: 2, patterns: ["kind=draft"] }, { tool: "create_work_item", tier: 2, rules: [{ when: { match: ["HF"] }, tier: 3 }] }]));
    const refused = await owner.run(["policy", space, "set", bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/policy 2: rules\.0\.when\.match\.0: expected "field=glob" terms joined by "&"/);

    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify([{ tool: "write_artifact", tier: 2, patterns: ["kind=draft"], reason: "drafts run; anything else asks" }, { tool: "*", tier: 3, approver: "human" }]));
    expect(await agent.run(["policy", space, "set", good])).toMatchObject({ code: 1, stderr: expect.stringMatching(/Only owners can set policy/) });
    const set = await owner.ok(["policy", space, "set", good]);
    expect(set).toMatch(/^policy write_artifact: tier 2 sha256:\w+ \[committed #\d+\]$/m);
    expect(set).toMatch(/^policy \*: tier 3 sha256:\w+ \[committed #\d+\]$/m);
    expect(await owner.ok(["policy", space, "show"])).toMatch(/^write_artifact\s+set\s+tier 2, allowed patterns "kind=draft": drafts run; anything else asks\s+\(set by /m);

    const draft = await owner.ok(["policy", space, "test", "write_artifact", "--as", "@george", "--args", '{"kind":"draft","title":"x"}']);
    expect(draft).toMatch(/^write_artifact by \S+ \(agent in ops\): tier 2, run\n {2}why: write_artifact policy: matches the allowed pattern "kind=draft"\n {2}policy: set by/);
    const final = await owner.ok(["policy", space, "test", "write_artifact", "--as", "@george", "--args", '{"kind":"final"}']);
    expect(final).toMatch(/tier 3, ask\n {2}why: drafts run; anything else asks; a member with role owner must approve\n {2}approver: owner/);
    const post = await owner.json<{ tier: number; approver: string }>(["policy", space, "test", "post_message", "--as", "@george"]);
    expect(post).toMatchObject({ tier: 3, approver: "human" });
    expect(await owner.ok(["policy", space, "test", "decide_approval", "--as", "@george"])).toMatch(/tier 4, refuse\n {2}why: decide_approval is reserved to humans/);
    removeDir(dir);
  });

  it("space visibility: private by default; public-read lets a non-member read; owners only", async () => {
    const owner = node("owner-v");
    const reader = node("reader-v");
    const space = "visibility-cli";
    const url = `${edgeOf().http}/s/${space}`;
    await owner.ok(["create", url]);
    await owner.ok(["post", space, "for everyone to read"]);
    expect(await owner.json<{ visibility: string }>(["space", space])).toMatchObject({ visibility: "private" });
    const closed = await reader.run(["join", url]);
    expect(closed.code).not.toBe(0);
    expect(await reader.run(["space", space, "visibility", "public-read"])).toMatchObject({ code: 1 });

    expect(await owner.ok(["space", space, "visibility", "public-read"])).toMatch(/^visibility-cli visibility public-read \[committed #\d+\]/);
    await reader.ok(["join", url]);
    expect(await reader.ok(["log", space, "--type", "channel.message"])).toMatch(/"for everyone to read"/);
    expect(await reader.json<{ visibility: string }>(["space", space])).toMatchObject({ visibility: "public-read" });
  });
});
