/**
 * An evicted agent keeps its tasks: they are in its SQLite, not in memory. A task waiting
 * for input when the object went away can still be continued or canceled afterwards.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { caller, freshAgent, rpc, userMessage } from "./agent-client.js";

const stubFor = (name: string) => env.AGENTS.get(env.AGENTS.idFromName(name));

describe("agent durability", () => {
  it("tasks survive an eviction: GetTask and ListTasks read them back from SQLite", async () => {
    const name = freshAgent("evict");
    const { token } = await caller(name);
    const call = (method: string, params: unknown) => rpc(name, method, params, { token });
    const done = (await call("SendMessage", userMessage("tck-artifact-text-1"))).body.result.task;
    const waiting = (await call("SendMessage", userMessage("tck-input-required-1"))).body.result.task;
    const stored = await runInDurableObject(stubFor(name), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM a2a_tasks").one().n,
    );
    expect(stored).toBe(2);

    await evictDurableObject(stubFor(name));
    expect((await call("GetTask", { id: done.id })).body.result).toEqual(done);
    expect((await call("ListTasks", { includeArtifacts: true })).body.result.tasks.map((t: { id: string }) => t.id).sort()).toEqual([done.id, waiting.id].sort());

    // The waiting task's event bus went with the instance; continuing it starts a new one.
    const resumed = await call("SendMessage", userMessage("follow-up-1", "after the eviction", { taskId: waiting.id }));
    expect(resumed.body.result.task).toMatchObject({ id: waiting.id, status: { state: "TASK_STATE_COMPLETED" } });
  });

  it("a task waiting for input is canceled after an eviction, with no event bus left", async () => {
    const name = freshAgent("evict-cancel");
    const { token } = await caller(name);
    const waiting = (await rpc(name, "SendMessage", userMessage("tck-input-required-1"), { token })).body.result.task;
    await evictDurableObject(stubFor(name));
    const canceled = await rpc(name, "CancelTask", { id: waiting.id }, { token });
    expect(canceled.body.result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await rpc(name, "GetTask", { id: waiting.id }, { token })).body.result.status.state).toBe("TASK_STATE_CANCELED");
  });
});
