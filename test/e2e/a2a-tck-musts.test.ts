/**
 * The A2A TCK's MUSTs as a black-box Node test against a real `wrangler dev`: raw HTTP, no
 * Commons or SDK client, checked the way a2aproject/a2a-tck checks them (its requirement
 * ids in the test names: CARD-*, CORE-*, JSONRPC, STREAM-*, VER-*, auth). CI cannot reach
 * the TCK itself (docs/AGENTS.md: how to run it by hand); this keeps its MUSTs guarded.
 */
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { useEdge } from "../support/edge.js";

const AGENT = "tck-sut";
// The origin root serves this agent's card, as the TCK needs (it reads only /.well-known/agent-card.json).
const edgeOf = useEdge({ vars: { COMMONS_ROOT_AGENT: AGENT } });
const url = (path = "") => `${edgeOf().http}/agents/${AGENT}${path}`;

let token: string | undefined;
async function bearer(): Promise<string> {
  token ??= await issueAgentCapability(await Ed25519Signer.generate(), { agent: await cardDid() });
  return token;
}

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: any; events?: any[] }> {
  const res = await fetch(url(), { method: "POST", body, headers: { "Content-Type": "application/json", "A2A-Version": "1.0", Authorization: `Bearer ${await bearer()}`, ...headers } });
  if (res.headers.get("Content-Type")?.startsWith("text/event-stream")) {
    const events = (await res.text()).split("\n\n").filter((f) => f.trim()).map((f) => JSON.parse(f.replace(/^data: /m, "")));
    return { status: res.status, headers: res.headers, json: null, events };
  }
  return { status: res.status, headers: res.headers, json: await res.json() };
}
let ids = 0;
const call = (method: string, params: unknown, headers?: Record<string, string>) => post(JSON.stringify({ jsonrpc: "2.0", id: `tck-${ids++}`, method, params }), headers);
const message = (messageId: string, extra: Record<string, unknown> = {}, parts: unknown[] = [{ text: "Hello from TCK" }]) => ({ message: { role: "ROLE_USER", parts, messageId, ...extra } });
const task = async (messageId: string, extra?: Record<string, unknown>) => (await call("SendMessage", message(messageId, extra))).json.result.task;

describe("A2A TCK MUSTs, black box", () => {
  it("CARD: the card has the v1.0 required fields, is signed, and is JSON", async () => {
    const res = await fetch(url("/.well-known/agent-card.json"));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("application/json");
    const card = await res.json();
    for (const field of ["name", "description", "version", "capabilities", "defaultInputModes", "defaultOutputModes", "skills", "supportedInterfaces"]) expect(card, field).toHaveProperty(field);
    for (const i of card.supportedInterfaces) expect(i).toEqual({ url: url(), protocolBinding: expect.stringMatching(/^(JSONRPC|HTTP\+JSON)$/), protocolVersion: "1.0" });
    for (const s of card.skills) expect(s).toMatchObject({ id: expect.any(String), name: expect.any(String), description: expect.any(String), tags: expect.any(Array) });
    expect(card.signatures[0]).toEqual({ protected: expect.any(String), signature: expect.any(String) });
    // The TCK's "sensitive information" check greps the card for credential words (a description naming "token" fails it).
    expect(JSON.stringify(card)).not.toMatch(/api[_-]?key|secret|token|password|credential/i);
  });

  it("CARD at the origin root: the root agent's card, as served at its own path (the TCK reads only the root)", async () => {
    const root = await fetch(`${edgeOf().http}/.well-known/agent-card.json`);
    expect(root.status).toBe(200);
    expect(root.headers.get("Content-Type")).toContain("application/json");
    expect(await root.json()).toEqual(await (await fetch(url("/.well-known/agent-card.json"))).json());
  });

  it("JSONRPC: -32700, -32600, -32601, -32602 with HTTP 200; duplicate ids answered with their id", async () => {
    expect((await post('{"jsonrpc": "2.0", "method": "SendMessage", "params": {"foo": "bar"}')).json.error.code).toBe(-32700);
    for (const [request, code] of [
      [{ jsonrpc: "aaa", method: "SendMessage", params: {} }, -32600],
      [{ jsonrpc: "2.0", params: {} }, -32600],
      [{ jsonrpc: "2.0", method: "SendMessageXXX", id: "3", params: {} }, -32601],
      [{ jsonrpc: "2.0", method: "SendMessage", params: {}, id: { bad: "type" } }, -32600],
      [{ jsonrpc: "2.0", method: "SendMessage", id: "4", params: { "": "not_a_dict" } }, -32602],
      [{ jsonrpc: "2.0", method: "nonexistent/method", id: "5", params: {} }, -32601],
      [{ jsonrpc: "2.0", method: "SendMessage", id: "6", params: { message: { parts: "invalid" } } }, -32602],
      [{ jsonrpc: "1.0", method: "SendMessage", id: "7", params: message("x") }, -32600],
    ] as const) {
      const res = await post(JSON.stringify(request));
      expect(res.status, JSON.stringify(request)).toBe(200);
      expect(res.json.error.code, JSON.stringify(request)).toBe(code);
      if ("id" in request && typeof request.id === "string") expect(res.json.id).toBe(request.id);
    }
    const first = await post(JSON.stringify({ jsonrpc: "2.0", id: "duplicate-x", method: "SendMessage", params: message("dup-a") }));
    const second = await post(JSON.stringify({ jsonrpc: "2.0", id: "duplicate-x", method: "SendMessage", params: message("dup-b") }));
    expect([first.json.id, second.json.id]).toEqual(["duplicate-x", "duplicate-x"]);
    expect(first.json.result.task.id).not.toBe(second.json.result.task.id);
  });

  it("CORE-SEND-001/002/003, CORE-EXECUTION-MODE-002: task or message; terminal tasks refused; unsupported media refused", async () => {
    const done = await task("tck-complete-task-001");
    expect(done.status.state).toBe("TASK_STATE_COMPLETED");
    expect((await call("SendMessage", message("tck-message-response-1"))).json.result.message.role).toBe("ROLE_AGENT");
    expect((await call("SendMessage", message("tck-complete-task-002", { taskId: done.id }))).json.error.code).toBe(-32004);
    const media = await call("SendMessage", message("tck-send-003", {}, [{ raw: "dGNr", mediaType: "application/x-unsupported-tck-type" }]));
    expect(media.json.error.code).toBe(-32005);
    const immediate = await call("SendMessage", { ...message("tck-complete-task-003"), configuration: { returnImmediately: true } });
    expect(immediate.json.result.task.status.state).toBe("TASK_STATE_SUBMITTED");
  });

  it("CORE-MULTI-001a…006: contextIds generated, kept, inferred; unknown taskId -32001; mismatched contextId refused", async () => {
    const a = await task("tck-complete-task-m1");
    const b = await task("tck-complete-task-m2");
    expect(a.contextId).toEqual(expect.any(String));
    expect(a.id).not.toBe(b.id);
    expect((await task("tck-complete-task-m3", { contextId: "tck-client-context-001" })).contextId).toBe("tck-client-context-001");
    expect((await call("SendMessage", message("tck-multi-004", { taskId: "tck-nonexistent-multi-004" }))).json.error.code).toBe(-32001);
    const waiting = await task("tck-input-required-m5");
    expect((await call("SendMessage", message("tck-multi-006", { taskId: waiting.id, contextId: "another-context" }))).json.error.code).toBe(-32602);
    expect((await task("tck-multi-005", { taskId: waiting.id })).contextId).toBe(waiting.contextId);
  });

  it("CORE-GET-001/002, CORE-HIST-001/002: current state, -32001, historyLength honoured", async () => {
    const done = await task("tck-complete-task-g1");
    expect((await call("GetTask", { id: done.id })).json.result).toMatchObject({ id: done.id, status: { state: "TASK_STATE_COMPLETED" } });
    expect((await call("GetTask", { id: "tck-nonexistent-get-002" })).json.error).toMatchObject({ code: -32001, data: [expect.objectContaining({ reason: "TASK_NOT_FOUND" })] });
    expect((await call("GetTask", { id: done.id, historyLength: 0 })).json.result.history).toBeUndefined();
    expect((await call("GetTask", { id: done.id, historyLength: 1 })).json.result.history).toHaveLength(1);
  });

  it("CORE-LIST-001…005: only the caller's tasks, cursor pages, newest first, nextPageToken always, no artifacts by default", async () => {
    for (let i = 0; i < 3; i++) await task(`tck-artifact-text-l${i}`, { contextId: "tck-test-context" });
    const all = (await call("ListTasks", { contextId: "tck-test-context", pageSize: 100 })).json.result;
    expect(all).toMatchObject({ nextPageToken: "", totalSize: 3 });
    expect(all.tasks.every((t: { artifacts?: unknown }) => !("artifacts" in t))).toBe(true);
    const stamps = all.tasks.map((t: { status: { timestamp: string } }) => t.status.timestamp);
    expect([...stamps].sort().reverse()).toEqual(stamps);
    const page = (await call("ListTasks", { contextId: "tck-test-context", pageSize: 2 })).json.result;
    expect(page.tasks).toHaveLength(2);
    const next = (await call("ListTasks", { contextId: "tck-test-context", pageSize: 2, pageToken: page.nextPageToken })).json.result;
    expect([...page.tasks, ...next.tasks].map((t: { id: string }) => t.id)).toEqual(all.tasks.map((t: { id: string }) => t.id));
    expect(next.nextPageToken).toBe("");
    const stranger = await issueAgentCapability(await Ed25519Signer.generate(), { agent: await cardDid() });
    expect((await call("ListTasks", { contextId: "tck-test-context" }, { Authorization: `Bearer ${stranger}` })).json.result.tasks).toEqual([]);
  });

  it("CORE-CANCEL-001/002/003, CORE-CAP-001/003: cancel, -32002, -32001; undeclared push and extended card refused", async () => {
    const waiting = await task("tck-input-required-c1");
    expect((await call("CancelTask", { id: waiting.id })).json.result.status.state).toBe("TASK_STATE_CANCELED");
    const done = await task("tck-complete-task-c2");
    expect((await call("CancelTask", { id: done.id })).json.error.code).toBe(-32002);
    expect((await call("CancelTask", { id: "tck-nonexistent-cancel-003" })).json.error.code).toBe(-32001);
    expect((await call("CreateTaskPushNotificationConfig", { taskId: done.id, url: "https://example.com/hook" })).json.error.code).toBe(-32003);
    expect((await call("GetExtendedAgentCard", {})).json.error.code).toBe(-32004);
  });

  it("CORE-STREAM-001/002/003: a task stream starts with the task and ends at a terminal state; a message stream is one message", async () => {
    const streamed = await call("SendStreamingMessage", message("tck-stream-003"));
    expect(streamed.headers.get("Content-Type")).toBe("text/event-stream");
    const results = streamed.events!.map((e) => e.result);
    expect(Object.keys(results[0])).toEqual(["task"]);
    expect(results.at(-1).statusUpdate.status.state).toBe("TASK_STATE_COMPLETED");
    const single = await call("SendStreamingMessage", message("tck-stream-002"));
    expect(single.events!.map((e) => Object.keys(e.result))).toEqual([["message"]]);
  });

  it("VER-SERVER-002/003: unsupported versions answer -32009; no header is 1.0 on JSON-RPC (a v1.0 method), 0.3 on HTTP+JSON", async () => {
    for (const headers of [{ "A2A-Version": "0.3" }, { "A2A-Version": "99.0" }]) {
      const res = await call("GetTask", { id: "x" }, headers);
      expect(res.json.error.code, JSON.stringify(headers)).toBe(-32009);
    }
    // The TCK's main branch sends v1.0 method names and no header: answered as 1.0.
    const done = await task("tck-complete-task-v1");
    const headerless = await fetch(url(), { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${await bearer()}` }, body: JSON.stringify({ jsonrpc: "2.0", id: "nv", method: "GetTask", params: { id: done.id } }) });
    expect((await headerless.json()).result).toMatchObject({ id: done.id, status: { state: "TASK_STATE_COMPLETED" } });
    expect((await call("GetTask", { id: done.id }, { "A2A-Version": "" })).json.result.id).toBe(done.id);
    const rest = await fetch(url(`/tasks/${done.id}`), { headers: { Authorization: `Bearer ${await bearer()}` } });
    expect(rest.status).toBe(400);
    expect((await rest.json()).error.details).toEqual([expect.objectContaining({ reason: "VERSION_NOT_SUPPORTED" })]);
  });

  it("CORE-LIST paging and bounds as the TCK reads them: pageSize is the page's count; bad historyLength and times are -32602 / 400", async () => {
    const context = `tck-list-bounds-${Date.now()}`;
    const empty = (await call("ListTasks", { contextId: context })).json.result;
    expect(empty).toEqual({ tasks: [], nextPageToken: "", pageSize: 0, totalSize: 0 });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await task(`tck-complete-task-b${i}`, { contextId: context }));
    expect((await call("ListTasks", { contextId: context, pageSize: 10 })).json.result).toMatchObject({ pageSize: 3, totalSize: 3, nextPageToken: "" });
    expect((await call("ListTasks", { contextId: context, pageSize: 2 })).json.result).toMatchObject({ pageSize: 2, totalSize: 3, nextPageToken: expect.stringMatching(/.+/) });
    // "Greater than or equal to" the given time: the newest task's own status time includes it.
    const newest = (await call("GetTask", { id: made[2].id })).json.result.status.timestamp;
    expect((await call("ListTasks", { contextId: context, statusTimestampAfter: newest })).json.result.tasks.map((t: { id: string }) => t.id)).toContain(made[2].id);
    for (const params of [{ historyLength: -1 }, { statusTimestampAfter: "-1" }, { statusTimestampAfter: "yesterday" }, { pageSize: "0" }]) {
      expect((await call("ListTasks", params)).json.error.code, JSON.stringify(params)).toBe(-32602);
    }
    expect((await call("GetTask", { id: made[0].id, historyLength: -1 })).json.error.code).toBe(-32602);
    const headers = { Authorization: `Bearer ${await bearer()}`, "A2A-Version": "1.0" };
    for (const query of ["historyLength=-1", "statusTimestampAfter=-1"]) {
      expect((await fetch(url(`/tasks?${query}`), { headers })).status, query).toBe(400);
    }
  });

  it("auth: declared Bearer scheme enforced with 401 and WWW-Authenticate, for no and for invalid credentials", async () => {
    const card = await (await fetch(url("/.well-known/agent-card.json"))).json();
    expect(Object.values(card.securitySchemes)).toEqual([{ httpAuthSecurityScheme: expect.objectContaining({ scheme: "Bearer" }) }]);
    const body = JSON.stringify({ jsonrpc: "2.0", id: "auth", method: "GetTask", params: { id: "x" } });
    for (const auth of [undefined, "Bearer invalid-dummy-jwt-token-12345"]) {
      const res = await fetch(url(), { method: "POST", body, headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}) } });
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
    }
  });

  it("transport equivalence: the same task, byte for byte, over JSON-RPC and HTTP+JSON", async () => {
    const done = await task("tck-artifact-text-eq");
    const rest = await fetch(url(`/tasks/${done.id}`), { headers: { Authorization: `Bearer ${await bearer()}`, "A2A-Version": "1.0" } });
    expect(await rest.json()).toEqual((await call("GetTask", { id: done.id })).json.result);
  });
});

async function cardDid(): Promise<Did> {
  return ((await (await fetch(url("/.well-known/agent-card.json"))).json()) as { capabilities: { extensions: Array<{ params: { did: Did } }> } }).capabilities.extensions[0]!.params.did;
}
