/**
 * `commons coalition`, `commons branch` and `commons bid` as real processes: three CLI nodes
 * (a human owner and two agents) and one real `wrangler dev` edge. A coalition forms around
 * an incident, the owner grants its key a budget, the agents spend from it on their own
 * nodes (the overspend is refused by the sequencer), promote a coalition branch with 2
 * approvals, complete the incident and dissolve the team; a market item takes bids. The key
 * `form` names is one the edge reserved, so the coalition's A2A card is signed by it.
 */
import { describe, expect, it } from "vitest";
import { verifyAgentCard } from "../../core/a2a/card.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { coalitionUrl } from "../../durable-objects/coalition-address.js";
import { useCliNodes } from "../support/cli.js";
import { useEdge } from "../support/edge.js";

const SPACE = "coalition-9";
// Made here, killed and removed after the file (test/support/cli.ts).
const node = useCliNodes();
const edge = useEdge();

const idIn = (text: string) => /(sha256:[0-9a-f]{64})/.exec(text)![1]!;
type Team = { id: string; status: string; epoch: number; spent: number; balance: number | null; members: string[]; promoted: string[]; dissolved?: { returned: number } };

describe("commons coalition, branch and bid", () => {
  const alice = node("alice");
  const carol = node("carol");
  const dave = node("dave");
  const url = () => `${edge().http}/s/${SPACE}`;

  // Shared by the steps below (one team, one story; each step a test so a slow machine's time is per step).
  let coalition = "";
  let item = "";
  let branch = "";

  it("a team forms around an incident and spends its budget from two nodes; the overspend is refused", async () => {
    await alice.ok(["create", url(), "--title", "checkout incident"]);
    const carolDid = (await carol.json<{ did: string }>(["id"])).did;
    const daveDid = (await dave.json<{ did: string }>(["id"])).did;
    await alice.ok(["members", SPACE, "add", carolDid, "--role", "agent", "--domains", "infra"]);
    await alice.ok(["members", SPACE, "add", daveDid, "--role", "agent", "--domains", "infra"]);
    await alice.ok(["sync", SPACE]);
    item = idIn(await alice.ok(["work", SPACE, "create", "checkout returns 500s", "--domains", "infra"]));
    const formed = await alice.ok(["coalition", SPACE, "form", "sre-team", "--goal", "stop the 500s", "--members", `${carolDid},${daveDid}`, "--quorum", "2", "--item", item]);
    coalition = idIn(formed);
    const key = /coalition key (did:key:\S+)/.exec(formed)![1]!;
    await alice.ok(["sync", SPACE]);
    // Formed on a copy, online: the edge reserved the key, so the coalition's A2A card is
    // signed by the coalition's own key (not its object's stand-in).
    const card = (await (await fetch(`${coalitionUrl(edge().http, SPACE, coalition as EnvelopeId)}/.well-known/agent-card.json`)).json()) as Parameters<typeof verifyAgentCard>[0];
    expect(await verifyAgentCard(card)).toBe(key);
    expect(JSON.stringify(card)).not.toContain("object's own");
    await alice.ok(["grant", SPACE, "--to", key, "--tools", "*", "--tier", "1", "--budget", "100:10", "--expires", "2h"]);
    await alice.ok(["sync", SPACE]);
    await carol.ok(["join", url()]);
    await dave.ok(["join", url()]);

    expect(await carol.ok(["coalition", SPACE, "spend", coalition.slice(7, 19), "4", "--for", "llm-tokens"])).toMatch(/coalition.spent .*pending-commit/);
    expect(await dave.ok(["coalition", SPACE, "spend", coalition.slice(7, 19), "7", "--for", "ci-minutes"])).toMatch(/coalition.spent/);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    // carol's 4 committed first; dave's 7 did not fit in the 6 left and was refused.
    const team = await dave.json<Team>(["coalition", SPACE, "show", coalition]);
    expect(team).toMatchObject({ status: "active", epoch: 1, spent: 4, balance: 6 });
  }, 480_000);

  it("the team promotes its branch with 2 approvals, completes the incident and dissolves; 6 units return", async () => {

    branch = idIn(await carol.ok(["branch", SPACE, "create", "fix-pool", "--coalition", coalition]));
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await carol.ok(["branch", SPACE, "approve", branch]);
    await dave.ok(["branch", SPACE, "promote", branch]);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    const branches = await dave.json<Array<{ id: string; status: string }>>(["branch", SPACE, "ls"]);
    expect(branches).toEqual([expect.objectContaining({ id: branch, status: "merged" })]);

    await carol.ok(["work", SPACE, "claim", item]);
    await carol.ok(["work", SPACE, "done", item, "--note", "pool raised"]);
    await carol.ok(["sync", SPACE]);
    await carol.ok(["coalition", SPACE, "dissolve", coalition, "--reason", "incident resolved"]);
    await carol.ok(["sync", SPACE]);
    await alice.ok(["sync", SPACE]);
    const team = await alice.json<Team>(["coalition", SPACE, "show", coalition]);
    expect(team).toMatchObject({ status: "dissolved", spent: 4, promoted: [branch], dissolved: { returned: 6 } });
    // A spend after dissolution is refused on the copy already.
    await dave.ok(["sync", SPACE]);
    expect(await dave.ok(["coalition", SPACE, "spend", coalition, "1", "--for", "llm-tokens"])).toMatch(/tentative, rejected: coalition sre-team is dissolved/);
  }, 480_000);

  it("a market item takes bids; claiming it directly is refused; bid show names the leading bid", async () => {
    const ticket = idIn(await alice.ok(["work", SPACE, "create", "rotate the TLS certificates"]));
    await alice.ok(["sync", SPACE]);
    await alice.ok(["bid", SPACE, "call", ticket, "--in", "3600", "--max-cost", "50"]);
    await alice.ok(["sync", SPACE]);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await carol.ok(["bid", SPACE, ticket, "--cost", "30", "--eta", "900", "--confidence", "0.7"]);
    await dave.ok(["bid", SPACE, ticket, "--cost", "20", "--eta", "1800", "--confidence", "0.9"]);
    expect(await dave.ok(["bid", SPACE, ticket, "--cost", "60", "--eta", "60", "--confidence", "1"])).toMatch(/tentative, rejected: /);
    const claim = await carol.run(["work", SPACE, "claim", ticket]);
    expect(claim.stdout).toMatch(/rejected: this item is awarded by market/);
    await carol.ok(["sync", SPACE]);
    await dave.ok(["sync", SPACE]);
    await alice.ok(["sync", SPACE]);
    const market = await alice.json<{ status: string; bids: unknown[]; leading: { bidder: string; cost: number } }>(["bid", SPACE, "show", ticket]);
    expect(market).toMatchObject({ status: "open", leading: { cost: 20 } });
    expect(market.bids).toHaveLength(2);
  }, 480_000);
});
