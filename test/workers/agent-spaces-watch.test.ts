/**
 * A watch the agent dies acting on is finished later (durable-objects/agent-spaces-alarm.ts):
 * taking a due watch leases it instead of deleting it, so an agent evicted between taking
 * and acting finds it due again once the lease runs out, acts on it then, and deletes it.
 * The "crash" is real: the watch is taken the way the alarm takes it, inside the agent's
 * object, and the object is evicted before it acts; time passing is the lease's due moved
 * into the past. The alarm then runs for real (runDurableObjectAlarm), awaited: no timers.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { takeDue } from "../../durable-objects/agent-spaces-alarm.js";
import { DurableObjectSql } from "../../durable-objects/sql-storage.js";
import { freshAgent } from "./agent-client.js";
import { addAgent, stubFor, tracesOf, watcher, type Posted } from "./agent-spaces-support.js";
import { openSpace } from "./socket-client.js";

const watches = (name: string) => runInDurableObject(stubFor(name), (_i, state) =>
  state.storage.sql.exec<{ kind: string; target: string; data: string }>(`SELECT kind, target, data FROM agent_watches`).toArray());

describe("a watch taken by an agent that then dies", () => {
  it("comes due again when its lease runs out, and is acted on then: the released item is claimed back", async () => {
    const s = await openSpace("watch-crash");
    const name = freshAgent("watch-crash");
    // Its own under-claim timer is an hour away: only the lease brings the watch back in this test.
    const agent = await addAgent(s, name, ["ops"], { options: { unclaimedAfterMs: 3_600_000 } });
    const watch = await watcher(s);
    const [item] = (await s.write("work.created", { title: "Renew the TLS cert", domains: ["ops"] })) as Posted[];
    await watch.until(async () => ((await tracesOf(s, agent.did, "agent.claimed")).length === 1 ? true : undefined));
    const [released] = (await s.write("work.released", { item: item!.id, reason: "re-planning" })) as Posted[];
    await stubFor(name).settled(s.space, released!.commit!.index!);
    expect((await watches(name)).map((w) => [w.kind, w.target])).toEqual([["unclaimed", item!.id]]);

    // The alarm takes it (as if its hour had passed)… and the object dies before acting on it.
    const taken = await runInDurableObject(stubFor(name), (_i, state) => takeDue(new DurableObjectSql(state.storage), Date.now() + 7_200_000));
    expect(taken.map((w) => w.target)).toEqual([item!.id]);
    await evictDurableObject(stubFor(name));
    // Still there, leased (attempt 1): not lost with the object.
    const [leased] = await watches(name);
    expect(JSON.parse(leased!.data)).toMatchObject({ attempt: 1, lease: expect.any(Number) });

    // The lease runs out; the alarm comes back and finishes it.
    await runInDurableObject(stubFor(name), (_i, state) => state.storage.sql.exec(`UPDATE agent_watches SET due_ms = 0`));
    expect(await runDurableObjectAlarm(stubFor(name))).toBe(true);
    expect((await watch.view()).work.find((w) => w.id === item!.id)).toMatchObject({ status: "claimed", claimant: agent.did });
    const again = (await tracesOf(s, agent.did, "agent.claimed")).filter((t) => t.envelope.body.data.trigger === "unclaimed");
    expect(again).toHaveLength(1);
    expect(await watches(name)).toEqual([]);
  });
});
