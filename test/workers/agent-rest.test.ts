/**
 * The HTTP+JSON binding inside workerd: the same operations as JSON-RPC on their REST paths,
 * ProtoJSON bodies, the spec's HTTP statuses with `google.rpc.Status` error bodies, and the
 * same door (version, callers).
 */
import { describe, expect, it } from "vitest";
import { caller, freshAgent, restCall, userMessage } from "./agent-client.js";

const status = (code: number, name: string, reason: string) => ({
  error: { code, status: name, message: expect.any(String), details: [expect.objectContaining({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason })] },
});

async function setup(label: string) {
  const name = freshAgent(label);
  const { token } = await caller(name);
  return { name, call: (method: string, path: string, body?: unknown) => restCall(name, method, path, body, { token }) };
}

describe("A2A HTTP+JSON", () => {
  it("message:send, tasks/{id}, tasks (list) and {id}:cancel", async () => {
    const { call } = await setup("rest");
    const sent = await call("POST", "/message:send", userMessage("tck-complete-task-1", "over rest"));
    expect(sent.status).toBe(200);
    expect(sent.headers.get("Content-Type")).toBe("application/a2a+json");
    const task = sent.body.task;
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    expect((await call("GET", `/tasks/${task.id}`)).body).toEqual(task);
    expect((await call("GET", `/tasks/${task.id}?historyLength=1`)).body.history).toHaveLength(1);
    const list = await call("GET", "/tasks?pageSize=10");
    expect(list.body).toMatchObject({ tasks: [expect.objectContaining({ id: task.id })], nextPageToken: "", pageSize: 1, totalSize: 1 });
    expect(await call("POST", `/tasks/${task.id}:cancel`)).toMatchObject({ status: 400, body: status(400, "FAILED_PRECONDITION", "TASK_NOT_CANCELABLE") });
    const waiting = (await call("POST", "/message:send", userMessage("tck-input-required-1"))).body.task;
    expect((await call("POST", `/tasks/${waiting.id}:cancel`)).body.status.state).toBe("TASK_STATE_CANCELED");
    expect((await call("POST", "/message:send", userMessage("tck-message-response-1", "hi"))).body.message.parts).toEqual([{ text: "echo: hi", mediaType: "text/plain" }]);
  });

  it("message:stream and tasks/{id}:subscribe answer SSE of StreamResponse", async () => {
    const { call } = await setup("rest-stream");
    const streamed = await call("POST", "/message:stream", userMessage("tck-stream-001", "s"));
    expect(streamed.headers.get("Content-Type")).toBe("text/event-stream");
    expect(streamed.body.map((e: Record<string, unknown>) => Object.keys(e)[0])).toEqual(["task", "statusUpdate", "artifactUpdate", "statusUpdate"]);
    const done = streamed.body[0].task.id;
    expect(await call("POST", `/tasks/${done}:subscribe`)).toMatchObject({ status: 400, body: status(400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION") });
  });

  it("errors: 404 for an unknown task, 400 for bad params, bad JSON and push configs", async () => {
    const { call } = await setup("rest-errors");
    expect(await call("GET", "/tasks/no-such-task")).toMatchObject({ status: 404, body: status(404, "NOT_FOUND", "TASK_NOT_FOUND") });
    expect(await call("POST", "/tasks/no-such-task:cancel")).toMatchObject({ status: 404, body: status(404, "NOT_FOUND", "TASK_NOT_FOUND") });
    expect(await call("POST", "/message:send", { message: { parts: "invalid" } })).toMatchObject({ status: 400, body: status(400, "INVALID_ARGUMENT", "INVALID_PARAMS") });
    expect((await call("GET", "/tasks?pageSize=0")).status).toBe(400);
    expect((await call("GET", "/tasks?historyLength=-1")).status).toBe(400);
    expect(await call("POST", "/tasks/t/pushNotificationConfigs", { url: "https://example.com" })).toMatchObject({ status: 400, body: status(400, "FAILED_PRECONDITION", "PUSH_NOTIFICATION_NOT_SUPPORTED") });
    expect((await call("GET", "/nope")).status).toBe(404);
  });

  it("the same door: 401 without a token, 400 VERSION_NOT_SUPPORTED without A2A-Version", async () => {
    const name = freshAgent("rest-door");
    const { token } = await caller(name);
    const anonymous = await restCall(name, "GET", "/tasks", undefined, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm=/);
    expect(anonymous.body).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED", details: [expect.objectContaining({ domain: "commons", metadata: { code: "token-missing" } })] } });
    const unversioned = await restCall(name, "GET", "/tasks", undefined, { token, version: null });
    expect(unversioned.status).toBe(400);
    expect(unversioned.body.error.details).toEqual([expect.objectContaining({ reason: "VERSION_NOT_SUPPORTED" })]);
  });
});
