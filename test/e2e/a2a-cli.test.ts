/**
 * `commons a2a card|send|tasks|token` as real processes against a real `wrangler dev`:
 * what a person sees, the exit codes, and errors that say what to do next.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cliNode } from "../support/cli.js";
import { freePort, removeDir, useEdge } from "../support/edge.js";

const edgeOf = useEdge();
const nodes = [cliNode("a2a-alice"), cliNode("a2a-bob")];
const [alice, bob] = nodes as [ReturnType<typeof cliNode>, ReturnType<typeof cliNode>];
afterAll(() => nodes.forEach((node) => removeDir(node.home)));

const agent = (name: string) => `${edgeOf().http}/agents/${name}`;

describe("commons a2a", () => {
  it("card: the agent, its verified did, its bindings and skills; --json the card itself", async () => {
    const out = await alice.ok(["a2a", "card", agent("cli-card")]);
    expect(out).toMatch(/^cli-card — /);
    expect(out).toMatch(/did +did:key:z6Mk\S+ +\(card signature verified\)/);
    expect(out).toContain(`interface  JSONRPC 1.0  ${agent("cli-card")}`);
    expect(out).toContain(`interface  HTTP+JSON 1.0  ${agent("cli-card")}`);
    expect(out).toContain("skill      echo:");
    const card = await alice.json<{ name: string; signatures: unknown[] }>(["a2a", "card", `${agent("cli-card")}/.well-known/agent-card.json`]);
    expect(card.name).toBe("cli-card");
    expect(card.signatures).toHaveLength(1);
  });

  it("send: a task and the agent's reply; input-required, then a reply with --task; --stream prints events", async () => {
    const url = agent("cli-send");
    const sent = await alice.run(["a2a", "send", url, "rotate the cert"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain("card signature verified; calling as");
    expect(sent.stdout).toMatch(/^task \S+  completed  \(context \S+\)\nagent: echo: rotate the cert\n$/);

    const waiting = await alice.run(["a2a", "send", url, "start", "--message-id", "tck-input-required-cli"]);
    expect(waiting.stdout).toMatch(/input-required/);
    const id = /^task (\S+)/.exec(waiting.stdout)![1]!;
    expect(waiting.stderr).toContain(`reply with --task ${id}`);
    expect(await alice.ok(["a2a", "send", url, "here you go", "--task", id])).toContain(`task ${id}  completed`);

    const streamed = await alice.ok(["a2a", "send", url, "streamed", "--message-id", "tck-stream-001-cli", "--stream"]);
    expect(streamed.split("\n").filter(Boolean)).toEqual([expect.stringMatching(/^task \S+  submitted$/), "working", "artifact text: streamed", "completed"]);
    const rest = await alice.ok(["a2a", "send", url, "over rest", "--rest"]);
    expect(rest).toContain("agent: echo: over rest");
  });

  it("tasks: this node's tasks only; one task; --cancel; errors that say what to do", async () => {
    const url = agent("cli-tasks");
    const first = /^task (\S+)/.exec(await alice.ok(["a2a", "send", url, "one"]))![1]!;
    const waiting = /^task (\S+)/.exec(await alice.ok(["a2a", "send", url, "two", "--message-id", "tck-input-required-t"]))![1]!;
    const listed = await alice.ok(["a2a", "tasks", url]);
    expect(listed).toContain(`${first}  completed`);
    expect(listed).toContain(`${waiting}  input-required`);
    expect(await alice.ok(["a2a", "tasks", url, "--status", "completed"])).not.toContain(waiting);
    expect(await bob.ok(["a2a", "tasks", url])).toContain("no tasks of yours at this agent");
    expect(await alice.ok(["a2a", "tasks", url, first])).toContain(`task ${first}  completed`);
    expect(await alice.ok(["a2a", "tasks", url, waiting, "--cancel"])).toContain(`task ${waiting}  canceled`);

    const ended = await alice.run(["a2a", "tasks", url, first, "--cancel"]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain("has already ended");
    const unknown = await bob.run(["a2a", "tasks", url, first]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no task ${first} of yours at this agent: list yours with`);
  });

  it("token: a bearer token for the agent's did that a plain HTTP client can use", async () => {
    const url = agent("cli-token");
    const token = (await alice.ok(["a2a", "token", url, "--methods", "ListTasks"])).trim();
    const call = (method: string) => fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "A2A-Version": "1.0", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: {} }),
    });
    expect((await (await call("ListTasks")).json()).result).toMatchObject({ tasks: [], nextPageToken: "" });
    expect((await call("SendMessage")).status).toBe(403);
  });

  it("refusals: bad usage exits 2, an unreachable edge 3, no agent there 1", async () => {
    expect((await alice.run(["a2a"])).code).toBe(2);
    expect((await alice.run(["a2a", "card"])).stderr).toContain("Missing the agent's URL");
    expect((await alice.run(["a2a", "card", "not a url"])).code).toBe(2);
    expect((await alice.run(["a2a", "tasks", agent("x"), "--status", "sleeping"])).code).toBe(2);
    const offline = await alice.run(["a2a", "card", `http://127.0.0.1:${await freePort()}/agents/x`]);
    expect(offline.code).toBe(3);
    expect(offline.stderr).toContain("Is the edge running");
    const nothing = await alice.run(["a2a", "card", `${edgeOf().http}/s/incident-42`]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("no agent card there");
  });
});
