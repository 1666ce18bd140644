/**
 * The LLM brain drives the seed's scenario end to end (issue 12 item 6): a real `wrangler
 * dev` whose COMMONS_LLM_URL is the wire-true chat-completions double on loopback
 * (test/support/chat-double.ts, SSE streaming), an agent joined with `brain: "llm"`, Andy's
 * node as a real `commons` process. The "model" is scripted and checks what it is shown:
 * the mention, the space's tools as functions, each tool's answer. It claims, runs a tier-1
 * tool, tries a tier-4 tool (and reads the refusal), asks for a tier-3 action and waits;
 * Andy approves with `commons approve`; the action runs once; the model reads the decision
 * and reports. Every model reply left a `trace.recorded` with the cut it saw, readable
 * with `commons log --type trace.recorded`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MCP_TOOLS } from "../../core/policy/catalogue.js";
import { addAgent, cliNodeAs } from "../support/agent-in-space.js";
import { lastToolResult, startChatDouble, type ChatDouble, type ChatRequestSeen, type ScriptedReply } from "../support/chat-double.js";
import { useEdge } from "../support/edge.js";
import { seedSpace } from "../support/seed-space.js";

let script: (request: ChatRequestSeen, index: number) => ScriptedReply = () => ({ status: 500, error: "no script" });
let double: ChatDouble;
const vars: Record<string, string> = { COMMONS_LLM_MODEL: "double-1", COMMONS_LLM_KEY: "sk-double" };
beforeAll(async () => {
  double = await startChatDouble((request, index) => script(request, index));
  vars.COMMONS_LLM_URL = double.url;
});
afterAll(() => double.close());
// Registered after the double's hook, so the edge starts with its URL.
const edgeOf = useEdge({ vars });

type Body = Record<string, any>;

describe("the LLM brain in a space", () => {
  it("claims on a mention, runs tier 1, reads a tier-4 refusal, waits for a tier-3 approval given with `commons approve`, runs it once and reports", { timeout: 180_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "llm-incident");
    const agent = await addAgent(edgeOf().http, seeded, `llm-ops-${process.pid}`, ["ops"], { options: { brain: "llm" } });
    const item = await seeded.replica.append(seeded.andy, "work.created", { title: "API cert expired" });
    const seen: Array<Record<string, unknown> | undefined> = [];
    let approval = "";
    script = (request, index) => {
      seen[index] = lastToolResult(request);
      switch (index) {
        case 0: return { content: "On it.", toolCalls: [{ name: "claim_work_item", arguments: { item: item.id, note: "mentioned by Andy" } }] };
        case 1: return { toolCalls: [{ name: "update_work_item", arguments: { item: item.id, note: "cert on api.example expired 09:14; rotating" } }] };
        case 2: return { toolCalls: [{ name: "decide_approval", arguments: { request: item.id, decision: "approved" } }] };
        case 3: return { toolCalls: [{ name: "create_work_item", arguments: { title: "Rotate every cert on the edge", domain: "ops", clock: "HF" } }] };
        case 4: return { content: "Report: claimed, noted the expiry, approving myself was refused (reserved to humans), the HF rotation ran once Andy approved." };
        default: return { status: 500, error: "the script has no more turns" };
      }
    };
    // Andy's mention, in the item's thread: the trigger.
    const mention = await seeded.replica.append(seeded.andy, "channel.message", { content: "the API cert expired, can you take it?", mentions: [agent.did], threadRef: item.id });
    await seeded.socket.sync.push();

    // The conversation waits on the tier-3 request: a pending approval by the agent, for Andy.
    await seeded.socket.until(() => [...seeded.committed().approvals.values()].some((a) => a.requestedBy === agent.did && a.status === "pending"));
    const request = [...seeded.committed().approvals.values()].find((a) => a.requestedBy === agent.did)!;
    approval = request.id;
    expect(request.action).toMatchObject({ tool: "create_work_item", params: { title: "Rotate every cert on the edge", clock: "HF" } });
    expect(double.requests).toHaveLength(4);

    // What the model was shown: the mention, the space's tools as functions, each tool's answer.
    const first = double.requests[0]!;
    expect(first.stream).toBe(true);
    expect(first.headers.authorization).toBe("Bearer sk-double");
    // Every MCP tool of the space, and delegation (core/a2a/delegate.ts).
    expect(first.tools!.map((t) => t.function.name).sort()).toEqual([...MCP_TOOLS, "delegate_to_agent"].sort());
    expect(JSON.parse(first.messages[1]!.content!)).toMatchObject({ event: { id: mention.id, type: "channel.message", from: seeded.andy.did, trigger: "mention" }, item: { id: item.id } });
    expect(seen[1]).toMatchObject({ status: "success" });
    expect(seen[2]).toMatchObject({ status: "success" });
    expect(seen[3]).toMatchObject({ status: "rejected", error: expect.stringContaining("tier-4-refused") });
    expect(String(seen[3]!.error)).toContain("reserved to humans");
    expect(seeded.committed().work.get(item.id as never)).toMatchObject({ status: "claimed", claimant: agent.did });
    expect([...seeded.committed().work.values()].filter((w) => w.title === "Rotate every cert on the edge")).toEqual([]);

    // Andy approves from his CLI node.
    const andy = cliNodeAs("llm-andy", seeded.andy);
    await andy.ok(["join", `${edgeOf().http}/s/${seeded.space}`]);
    await andy.ok(["approve", seeded.space, approval]);
    await andy.ok(["sync", seeded.space]);

    const reportOf = () => seeded.replica.since(0).find((e) => e.envelope.type === "channel.message" && (e.envelope.body as Body).actor === agent.did && String((e.envelope.body as Body).content).startsWith("Report:"));
    await seeded.socket.until(() => reportOf() !== undefined);
    // The model read the decision before reporting.
    const resumed = double.requests[4]!;
    expect(resumed.messages.at(-1)).toMatchObject({ role: "user", content: expect.stringContaining(`The approval ${approval} was decided`) });
    expect(resumed.messages.at(-1)!.content).toContain("✅");
    // The action ran once, as the agent.
    const rotations = [...seeded.committed().work.values()].filter((w) => w.title === "Rotate every cert on the edge");
    expect(rotations).toHaveLength(1);
    expect(rotations[0]!.createdBy).toBe(agent.did);
    const report = reportOf()!.envelope.body as Body;
    expect(report.threadRef).toBe(item.id);
    expect(report.toolCalls.map((c: Body) => [c.tool, c.result])).toEqual([
      ["claim_work_item", "success"], ["update_work_item", "success"], ["decide_approval", "rejected"], ["create_work_item", "success"],
    ]);

    // Why did the agent act? One trace per model reply, plus the wait and the resumption, each with its cut.
    await andy.ok(["sync", seeded.space]);
    const lines = (await andy.ok(["log", seeded.space, "--type", "trace.recorded", "--json"])).trim().split("\n").map((l) => JSON.parse(l) as { envelope: { body: Body } });
    const traces = lines.map((l) => l.envelope.body).filter((b) => b.data?.agent === agent.did);
    expect(traces.map((t) => t.kind)).toEqual(["agent.llm.chose", "agent.llm.chose", "agent.llm.chose", "agent.llm.chose", "agent.llm.waiting", "agent.llm.resumed", "agent.llm.chose"]);
    const mentionCommit = seeded.replica.status(mention.id);
    expect(traces[0]).toMatchObject({
      ref: mention.id,
      data: { brain: "llm", model: "double-1", saw: { envelope: mention.id, type: "channel.message", actor: seeded.andy.did, trigger: "mention", commit: mentionCommit.state === "committed" ? mentionCommit.index : -1 }, chose: { calls: [{ name: "claim_work_item" }] } },
    });
    expect(typeof traces[0]!.data.saw.cursor).toBe("number");
    expect(traces[4]).toMatchObject({ data: { waiting: approval } });
    expect(traces[6]!.data.chose.text).toMatch(/^Report:/);
    seeded.close();
  });

  it("refuses a join naming a brain it does not have, before the invite is used", async () => {
    const seeded = await seedSpace(edgeOf(), "llm-no-brain");
    await expect(addAgent(edgeOf().http, seeded, `llm-odd-${process.pid}`, ["ops"], { options: { brain: "gpt" } })).rejects.toThrow(/400/);
    expect([...seeded.committed().members.values()].filter((m) => m.role === "agent").map((m) => m.name)).not.toContain(`llm-odd-${process.pid}`);
    seeded.close();
  });
});
