/**
 * The JSON-RPC binding's operations inside workerd, through the Worker: send / get / list /
 * cancel / stream / subscribe, the TCK's message-id prefixes, the spec's error codes with
 * their ErrorInfo, and tasks scoped to the caller that asked for them.
 */
import { describe, expect, it } from "vitest";
import { CALLER_METADATA } from "../../core/a2a/executor.js";
import { agentUrl, caller, edgeFetch, freshAgent, rpc, sseEvents, userMessage } from "./agent-client.js";

const errorInfo = (reason: string) => [expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "a2a-protocol.org" })];

async function agentWithCaller(label: string) {
  const name = freshAgent(label);
  const { signer, token } = await caller(name);
  return { name, did: signer.did, call: (method: string, params: unknown, id: string | number = 1) => rpc(name, method, params, { token, id }) };
}

describe("A2A JSON-RPC: tasks", () => {
  it("SendMessage completes a task, records the verified caller, and GetTask returns it", async () => {
    const { call, did } = await agentWithCaller("send");
    const sent = await call("SendMessage", userMessage("tck-complete-task-1", "cert expires at 02:00"), "req-1");
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ jsonrpc: "2.0", id: "req-1" });
    const task = sent.body.result.task;
    expect(task).toMatchObject({ id: expect.any(String), contextId: expect.any(String), status: { state: "TASK_STATE_COMPLETED" }, metadata: { [CALLER_METADATA]: did } });
    expect(task.history.map((m: { role: string }) => m.role)).toEqual(["ROLE_USER", "ROLE_AGENT"]);
    expect(task.status.message.parts).toEqual([{ text: "echo: cert expires at 02:00", mediaType: "text/plain" }]);

    const got = await call("GetTask", { id: task.id });
    expect(got.body.result).toEqual(task);
    const noHistory = await call("GetTask", { id: task.id, historyLength: 0 });
    expect(noHistory.body.result.history).toBeUndefined();
  });

  it("the TCK prefixes: a direct message, a rejection, a text artifact, input-required", async () => {
    const { call } = await agentWithCaller("prefixes");
    const message = await call("SendMessage", userMessage("tck-message-response-1", "hi"));
    expect(message.body.result.message).toMatchObject({ role: "ROLE_AGENT", parts: [{ text: "echo: hi" }] });
    expect((await call("SendMessage", userMessage("tck-reject-task-1"))).body.result.task.status.state).toBe("TASK_STATE_REJECTED");
    const artifact = (await call("SendMessage", userMessage("tck-artifact-text-1"))).body.result.task;
    expect(artifact.status.state).toBe("TASK_STATE_COMPLETED");
    expect(artifact.artifacts).toEqual([expect.objectContaining({ name: "text", parts: [{ text: "Generated text content", mediaType: "text/plain" }] })]);
    const waiting = (await call("SendMessage", userMessage("tck-input-required-1"))).body.result.task;
    expect(waiting.status.state).toBe("TASK_STATE_INPUT_REQUIRED");
    const resumed = await call("SendMessage", userMessage("follow-up-1", "more", { taskId: waiting.id }));
    expect(resumed.body.result.task).toMatchObject({ id: waiting.id, contextId: waiting.contextId, status: { state: "TASK_STATE_COMPLETED" } });
  });

  it("ListTasks: the caller's tasks, newest first, cursor-paged, artifacts only when asked", async () => {
    const { call } = await agentWithCaller("list");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call("SendMessage", userMessage(`tck-artifact-text-${i}`, "x", { contextId: "ctx-list" }))).body.result.task.id);
    await call("SendMessage", userMessage("tck-complete-task-other", "y", { contextId: "ctx-other" }));

    const all = (await call("ListTasks", { contextId: "ctx-list" })).body.result;
    expect(all).toMatchObject({ totalSize: 3, pageSize: 3, nextPageToken: "" }); // pageSize: the tasks on this page
    expect(all.tasks.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
    expect(all.tasks.every((t: { artifacts?: unknown }) => t.artifacts === undefined)).toBe(true);
    const stamps = all.tasks.map((t: { status: { timestamp: string } }) => t.status.timestamp);
    expect([...stamps].sort().reverse()).toEqual(stamps);

    const seen: string[] = [];
    let token = "";
    do {
      const page = (await call("ListTasks", { contextId: "ctx-list", pageSize: 1, ...(token ? { pageToken: token } : {}) })).body.result;
      expect(page.tasks).toHaveLength(1);
      seen.push(page.tasks[0].id);
      token = page.nextPageToken;
    } while (token !== "");
    expect(seen).toEqual(all.tasks.map((t: { id: string }) => t.id));

    const withArtifacts = (await call("ListTasks", { contextId: "ctx-list", includeArtifacts: true })).body.result;
    expect(withArtifacts.tasks.every((t: { artifacts: unknown[] }) => t.artifacts.length === 1)).toBe(true);
    expect((await call("ListTasks", { pageSize: 101 })).body.error.code).toBe(-32602);
    expect((await call("ListTasks", { pageToken: "not-a-cursor" })).body.error.code).toBe(-32602);
  });

  it("another caller sees none of them: -32001 on GetTask, nothing in ListTasks", async () => {
    const { name, call } = await agentWithCaller("scoped");
    const task = (await call("SendMessage", userMessage("tck-complete-task-1"))).body.result.task;
    const stranger = await caller(name);
    const got = await rpc(name, "GetTask", { id: task.id }, { token: stranger.token });
    expect(got.body.error).toMatchObject({ code: -32001, data: errorInfo("TASK_NOT_FOUND") });
    expect((await rpc(name, "ListTasks", {}, { token: stranger.token })).body.result).toMatchObject({ tasks: [], totalSize: 0 });
  });

  it("CancelTask: cancels a waiting task; -32002 on a completed or an already canceled one; -32001 on an unknown one", async () => {
    const { call } = await agentWithCaller("cancel");
    const waiting = (await call("SendMessage", userMessage("tck-input-required-1"))).body.result.task;
    const canceled = await call("CancelTask", { id: waiting.id });
    expect(canceled.body.result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await call("CancelTask", { id: waiting.id })).body.error).toMatchObject({ code: -32002, data: errorInfo("TASK_NOT_CANCELABLE") });
    const done = (await call("SendMessage", userMessage("tck-complete-task-1"))).body.result.task;
    expect((await call("CancelTask", { id: done.id })).body.error).toMatchObject({ code: -32002, data: errorInfo("TASK_NOT_CANCELABLE") });
    expect((await call("CancelTask", { id: "no-such-task" })).body.error).toMatchObject({ code: -32001, data: errorInfo("TASK_NOT_FOUND") });
    expect((await call("GetTask", { id: "no-such-task" })).body.error).toMatchObject({ code: -32001, data: errorInfo("TASK_NOT_FOUND") });
    const terminal = await call("SendMessage", userMessage("again-1", "x", { taskId: done.id }));
    expect(terminal.body.error).toMatchObject({ code: -32004, data: errorInfo("UNSUPPORTED_OPERATION") });
  });

  it("SendStreamingMessage: SSE with the task first, then its updates, each with the request's id", async () => {
    const { call } = await agentWithCaller("stream");
    const streamed = await call("SendStreamingMessage", userMessage("tck-stream-001", "streamed text"), 7);
    expect(streamed.headers.get("Content-Type")).toBe("text/event-stream");
    expect(streamed.body.every((e: { id: number; jsonrpc: string }) => e.id === 7 && e.jsonrpc === "2.0")).toBe(true);
    const results = streamed.body.map((e: { result: Record<string, any> }) => e.result);
    expect(results.map((r: Record<string, unknown>) => Object.keys(r)[0])).toEqual(["task", "statusUpdate", "artifactUpdate", "statusUpdate"]);
    expect(results[1].statusUpdate.status.state).toBe("TASK_STATE_WORKING");
    expect(results[2].artifactUpdate.artifact.parts).toEqual([{ text: "streamed text", mediaType: "text/plain" }]);
    expect(results[3].statusUpdate.status.state).toBe("TASK_STATE_COMPLETED");
    const message = await call("SendStreamingMessage", userMessage("tck-stream-002", "just say it"));
    expect(message.body.map((e: { result: Record<string, unknown> }) => Object.keys(e.result))).toEqual([["message"]]);
  });

  it("an error before the first event is plain JSON, not a half-open stream", async () => {
    const { call } = await agentWithCaller("stream-error");
    const res = await call("SendStreamingMessage", userMessage("m-1", "x", { taskId: "no-such-task" }), "s-1");
    expect(res.headers.get("Content-Type")).toContain("application/json");
    expect(res.body).toMatchObject({ id: "s-1", error: { code: -32001 } });
  });

  it("SubscribeToTask follows a live task to its end; a terminal task is refused with -32004", async () => {
    const name = freshAgent("subscribe");
    const { token } = await caller(name);
    const mine = (method: string, params: unknown, id = 1) => rpc(name, method, params, { token, id });
    const waiting = (await mine("SendMessage", userMessage("tck-input-required-1"))).body.result.task;
    // The response arrives once the first event (the task) exists: the subscription is on the bus.
    const subscription = await edgeFetch(agentUrl(name), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "A2A-Version": "1.0" },
      body: JSON.stringify({ jsonrpc: "2.0", id: "sub", method: "SubscribeToTask", params: { id: waiting.id } }),
    });
    expect(subscription.headers.get("Content-Type")).toBe("text/event-stream");
    await mine("SendMessage", userMessage("follow-up-1", "go on", { taskId: waiting.id }));
    const events = (await sseEvents(subscription)).map((e) => e.result);
    expect(events[0].task).toMatchObject({ id: waiting.id, status: { state: "TASK_STATE_INPUT_REQUIRED" } });
    expect(events.at(-1).statusUpdate).toMatchObject({ taskId: waiting.id, status: { state: "TASK_STATE_COMPLETED" } });
    const terminal = await mine("SubscribeToTask", { id: waiting.id });
    expect(terminal.body.error).toMatchObject({ code: -32004, data: errorInfo("UNSUPPORTED_OPERATION") });
  });

  it("push notifications are not declared, so their methods answer -32003", async () => {
    const { call } = await agentWithCaller("push");
    const res = await call("CreateTaskPushNotificationConfig", { taskId: "t", url: "https://example.com/hook" });
    expect(res.body.error).toMatchObject({ code: -32003, data: errorInfo("PUSH_NOTIFICATION_NOT_SUPPORTED") });
  });
});
