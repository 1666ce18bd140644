/**
 * An agent as a member of a space, inside workerd (issue 12 items 2–3): an owner's invite
 * handed to the agent (`POST /agents/:name/spaces`), the agent's own join, the space's
 * notification after commits, the rules brain's self-selection through the space's MCP
 * tools (claim, a progress note, a report with toolCalls, a trace of every decision), a race
 * of two agents for one item, and an evicted agent that does not act twice.
 *
 * Waiting is on the space itself: a live log socket's `view.changed` frames (each commit),
 * or the agent's own `settled` (it has read past a commit index). No timers.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cardOf, freshAgent } from "./agent-client.js";
import { openSpace } from "./socket-client.js";
import { addAgent, logOf, stubFor, watcher, type Posted } from "./agent-spaces-support.js";

describe("an agent in a space", () => {
  it("joins by the owner's invite with its own key, subscribes, and claims a work item in its domain when the space tells it something committed", async () => {
    const s = await openSpace("agent-watch");
    const watch = await watcher(s);
    const name = freshAgent("ops-bot");
    const { did, joined } = await addAgent(s, name, ["ops"]);
    expect(joined).toMatchObject({ space: s.space, domains: ["ops"] });
    expect((await watch.view()).members.find((m) => m.did === did)).toMatchObject({ role: "agent", domains: ["ops"] });
    // The space keeps its subscriber in its own SQLite.
    const subscribers = await runInDurableObject(env.SPACES.get(env.SPACES.idFromName(s.space)), (_i, state) =>
      state.storage.sql.exec<{ name: string; did: string }>(`SELECT name, did FROM space_agents`).toArray());
    expect(subscribers).toEqual([{ name, did }]);
    // The card's skills follow the domains it joined with.
    expect(((await cardOf(name)).skills as Array<{ id: string }>).map((k) => k.id)).toContain("ops");

    const [posted] = (await s.write("work.created", { title: "Rotate the cert", domains: ["ops"] })) as Posted[];
    const item = posted!.id;
    const seen = await watch.until(async () => {
      const v = await watch.view();
      return v.work.some((w) => w.id === item && w.status === "claimed") ? v : undefined;
    });
    expect(seen.work.find((w) => w.id === item)!.claimant).toBe(did);

    // Announce, execute, report: the claim is the agent's (actor), the report carries toolCalls.
    const report = await watch.until(async () => {
      const messages = (await logOf(s, "channel.message")).filter((e) => e.envelope.body.actor === did && e.envelope.body.threadRef === item);
      const traces = (await logOf(s, "trace.recorded")).filter((e) => e.envelope.body.data?.agent === did && e.envelope.body.kind === "agent.claimed");
      return messages.length > 0 && traces.length > 0 ? { messages, traces } : undefined;
    });
    const claims = (await logOf(s, "work.claimed")).filter((e) => e.envelope.body.item === item);
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ envelope: { body: { actor: did } }, status: { verdict: "accepted" } });
    expect(report.messages[0]!.envelope.body.toolCalls).toEqual([
      { tool: "claim_work_item", params: { item }, result: "success" },
      { tool: "update_work_item", params: { item }, result: "success" },
    ]);
    expect(report.traces[0]!.envelope.body).toMatchObject({ ref: item, data: { trigger: "domain", chose: "claim", outcome: "won", saw: { envelope: item, type: "work.created", actor: s.owner.did } } });
  });

  it("an evicted agent whose cursor fell behind reads again from it and does not act twice", async () => {
    const s = await openSpace("agent-evict");
    const name = freshAgent("ops-evict");
    const { did } = await addAgent(s, name, ["ops"]);
    const [posted] = (await s.write("work.created", { title: "Renew the lease", domains: ["ops"] })) as Posted[];
    await stubFor(name).settled(s.space, posted!.commit!.index!);
    const mine = async (type: string) => (await logOf(s, type)).filter((e) => (e.envelope.body.actor ?? e.envelope.body.data?.agent) === did).length;
    const before = { claims: await mine("work.claimed"), messages: await mine("channel.message"), traces: await mine("trace.recorded") };
    expect(before).toEqual({ claims: 1, messages: 1, traces: 1 });
    // As if it crashed after acting but before its cursor moved: back to the start, then evicted.
    await runInDurableObject(stubFor(name), (_i, state) => state.storage.sql.exec(`UPDATE agent_spaces SET cursor = 0`));
    await evictDurableObject(stubFor(name));
    const [later] = (await s.write("channel.message", { content: "unrelated" })) as Posted[];
    await stubFor(name).settled(s.space, later!.commit!.index!);
    expect({ claims: await mine("work.claimed"), messages: await mine("channel.message"), traces: await mine("trace.recorded") }).toEqual(before);
  });
});
