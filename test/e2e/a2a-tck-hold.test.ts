/**
 * Long-running tasks, black box against a real `wrangler dev` whose agents think with the
 * hold brain (COMMONS_A2A_BRAIN=hold, core/a2a/hold-brain.ts): the A2A TCK's `main` branch
 * creates tasks and expects them to reach, and stay in, TASK_STATE_WORKING, then lists,
 * continues and cancels them. These are its mandatory cases that need such an agent
 * (tests/mandatory/protocol/test_tasks_list_method.py, test_message_send_method.py
 * continue_task, test_state_transitions.py history, test_tasks_cancel_method.py), checked
 * the way it checks them: raw HTTP, no A2A-Version header, as the TCK sends.
 */
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { useEdge } from "../support/edge.js";

const AGENT = "tck-hold";
const edgeOf = useEdge({ vars: { COMMONS_A2A_BRAIN: "hold", COMMONS_ROOT_AGENT: AGENT } });
const url = (path = "") => `${edgeOf().http}/agents/${AGENT}${path}`;

let token: string | undefined;
async function bearer(): Promise<string> {
  const card = (await (await fetch(url("/.well-known/agent-card.json"))).json()) as { capabilities: { extensions: Array<{ params: { did: Did } }> } };
  token ??= await issueAgentCapability(await Ed25519Signer.generate(), { agent: card.capabilities.extensions[0]!.params.did });
  return token;
}

let ids = 0;
async function call(method: string, params: unknown): Promise<any> {
  const res = await fetch(url(), {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${await bearer()}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: `hold-${ids++}`, method, params }),
  });
  expect(res.status).toBe(200);
  return res.headers.get("Content-Type")?.startsWith("text/event-stream")
    ? (await res.text()).split("\n\n").filter((f) => f.trim()).map((f) => JSON.parse(f.replace(/^data: /m, "")))
    : res.json();
}
const send = (messageId: string, extra: Record<string, unknown> = {}) =>
  call("SendMessage", { message: { messageId, role: "ROLE_USER", parts: [{ text: `text of ${messageId}` }], ...extra } });

describe("the hold brain: tasks stay working until canceled", () => {
  it("a sent task answers working and stays so; follow-ups keep it working and grow its history; historyLength trims it", async () => {
    const card = await (await fetch(`${edgeOf().http}/.well-known/agent-card.json`)).json();
    expect(card.skills.map((s: { id: string }) => s.id)).toEqual(["hold"]);
    const first = (await send("list-test-1")).result.task;
    expect(first.status.state).toBe("TASK_STATE_WORKING");
    expect((await call("GetTask", { id: first.id })).result.status.state).toBe("TASK_STATE_WORKING");
    for (let i = 0; i < 3; i++) {
      const next = (await send(`continuation-${i}`, { taskId: first.id })).result.task;
      expect(next).toMatchObject({ id: first.id, status: { state: "TASK_STATE_WORKING" } });
    }
    const full = (await call("GetTask", { id: first.id })).result;
    expect(full.history.filter((m: { role: string }) => m.role === "ROLE_USER")).toHaveLength(4);
    expect((await call("GetTask", { id: first.id, historyLength: 2 })).result.history).toHaveLength(2);
  });

  it("ListTasks filters working tasks by context and status, pages them, and counts each page", async () => {
    const context = `hold-list-${Date.now()}`;
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await send(`list-ctx-${i}`, { contextId: context })).result.task.id);
    const working = (await call("ListTasks", { contextId: context, status: "TASK_STATE_WORKING", pageSize: 10 })).result;
    expect(working).toMatchObject({ totalSize: 3, pageSize: 3, nextPageToken: "" });
    expect(working.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...made].sort());
    expect((await call("ListTasks", { contextId: context, status: "TASK_STATE_COMPLETED" })).result.totalSize).toBe(0);
    const page = (await call("ListTasks", { contextId: context, pageSize: 2 })).result;
    const rest = (await call("ListTasks", { contextId: context, pageSize: 2, pageToken: page.nextPageToken })).result;
    expect([...page.tasks, ...rest.tasks].map((t: { id: string }) => t.id).sort()).toEqual([...made].sort());
  });

  it("CancelTask cancels a working task; a second cancel is -32002 (canceled is not cancelable); a canceled task takes no message", async () => {
    const task = (await send("cancel-test")).result.task;
    expect((await call("CancelTask", { id: task.id })).result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await call("CancelTask", { id: task.id })).error).toMatchObject({ code: -32002, data: [expect.objectContaining({ reason: "TASK_NOT_CANCELABLE" })] });
    expect((await call("GetTask", { id: task.id })).result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await send("after-cancel", { taskId: task.id })).error.code).toBe(-32004);
  });

  it("a stream of a held task is the task, then working, and ends", async () => {
    const events = await call("SendStreamingMessage", { message: { messageId: "stream-hold", role: "ROLE_USER", parts: [{ text: "hold" }] } });
    expect(events.map((e: { result: Record<string, unknown> }) => Object.keys(e.result)[0])).toEqual(["task", "statusUpdate"]);
    expect(events[1].result.statusUpdate.status.state).toBe("TASK_STATE_WORKING");
  });
});
