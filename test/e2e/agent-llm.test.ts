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
 *
 * And the LLM brain where the rules brain used to be alone: an item Andy releases in the
 * agent's domain is watched; when the under-claim timer fires the model is asked and claims
 * through the tool; with Andy "monitoring" (verified presence on a real Yjs socket) its
 * tier-3 call is held and a note posted; when Andy is "active" again the held ask is sent:
 * an approval request in his attention — pushed by the space's presence relay, not polled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
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

/**
 * Andy's verified presence on a real Yjs socket (tier-3 asks wait on it: core/a2a/modes.ts).
 * `set` resolves once a second connection of his sees the state relayed: the space accepted it.
 */
async function presenceOf(seeded: Awaited<ReturnType<typeof seedSpace>>) {
  const token = await seeded.token(seeded.andy);
  const open = () => new WebsocketProvider(`${edgeOf().ws}/s`, seeded.space, new Y.Doc(), { disableBc: true, params: { token } });
  const andy = open();
  const eyes = open();
  return {
    set: (mode: "active" | "monitoring" | "away") => new Promise<void>((resolve) => {
      andy.awareness.setLocalState({ id: seeded.andy.did, name: "Andy", kind: "human", mode });
      const check = () => [...eyes.awareness.getStates().values()].some((st) => st.id === seeded.andy.did && st.mode === mode) && resolve();
      eyes.awareness.on("change", check);
      check();
    }),
    close: () => {
      andy.destroy();
      eyes.destroy();
    },
  };
}

describe("the LLM brain in a space", () => {
  it("claims on a mention, runs tier 1, reads a tier-4 refusal, waits for a tier-3 approval given with `commons approve`, runs it once and reports", { timeout: 180_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "llm-incident");
    const agent = await addAgent(edgeOf().http, seeded, `llm-ops-${process.pid}`, ["ops"], { options: { brain: "llm" } });
    // Andy is here (active): the tier-3 call is asked at once, not held (the next describe holds one).
    const presence = await presenceOf(seeded);
    await presence.set("active");
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
    presence.close();
    seeded.close();
  });

  it("refuses a join naming a brain it does not have, before the invite is used", async () => {
    const seeded = await seedSpace(edgeOf(), "llm-no-brain");
    await expect(addAgent(edgeOf().http, seeded, `llm-odd-${process.pid}`, ["ops"], { options: { brain: "gpt" } })).rejects.toThrow(/400/);
    expect([...seeded.committed().members.values()].filter((m) => m.role === "agent").map((m) => m.name)).not.toContain(`llm-odd-${process.pid}`);
    seeded.close();
  });
});

describe("the LLM brain in the timers and presence modes", () => {
  it("an under-claim timer asks the model, which claims; its tier-3 call is held while Andy is monitoring (a note) and sent when he is active", { timeout: 180_000 }, async () => {
    const seeded = await seedSpace(edgeOf(), "llm-timers");
    const agent = await addAgent(edgeOf().http, seeded, `llm-timer-${process.pid}`, ["ops"], { options: { brain: "llm", unclaimedAfterMs: 200, presenceCheckMs: 3_600_000 } });
    const from = double.requests.length;
    const andy = await presenceOf(seeded);
    await andy.set("monitoring");

    const item = await seeded.replica.append(seeded.andy, "work.created", { title: "Rotate the signing keys", domains: ["ops"] });
    script = (request) => {
      const opening = JSON.parse(request.messages[1]!.content!) as { event?: { type: string }; timer?: { kind: string; target: string } };
      if (opening.event?.type === "work.created") return { content: "" }; // Andy holds it: nothing to say.
      if (opening.timer?.kind !== "unclaimed") return { status: 500, error: `unexpected conversation: ${request.messages[1]!.content}` };
      const answered = request.messages.filter((m) => m.role === "tool").length;
      if (answered === 0) return { toolCalls: [{ name: "claim_work_item", arguments: { item: opening.timer.target, note: "open past its timeout" } }] };
      if (answered === 1) return { toolCalls: [{ name: "create_work_item", arguments: { title: "Rotate every key on the edge", domain: "ops", clock: "HF" } }] };
      return { content: "Report: claimed the key rotation; the HF rotation waits for Andy." };
    };
    await seeded.replica.append(seeded.andy, "work.claimed", { item: item.id });
    await seeded.socket.sync.push();
    await seeded.socket.until(() => seeded.committed().work.get(item.id as never)?.claimant === seeded.andy.did);
    await seeded.replica.append(seeded.andy, "work.released", { item: item.id });
    await seeded.socket.sync.push();

    // The timer fired, the model was asked, it claimed through the tool.
    await seeded.socket.until(() => seeded.committed().work.get(item.id as never)?.claimant === agent.did);
    const timerTurn = double.requests.slice(from).find((r) => r.messages[1]!.content!.includes(`"timer"`))!;
    expect(JSON.parse(timerTurn.messages[1]!.content!)).toMatchObject({ timer: { kind: "unclaimed", target: item.id, afterSeconds: 0.2 }, item: { id: item.id, status: "open" } });
    // The tier-3 call is held: a note in the item's thread, no approval asked, the model told so.
    const noteOf = () => seeded.replica.since(0).find((e) => e.envelope.type === "channel.message" && (e.envelope.body as Body).actor === agent.did && String((e.envelope.body as Body).content).startsWith("Queued for"));
    await seeded.socket.until(() => noteOf() !== undefined);
    expect((noteOf()!.envelope.body as Body).content).toContain("(they are monitoring): create_work_item");
    expect((noteOf()!.envelope.body as Body).mentions).toBeUndefined();
    const reportOf = () => seeded.replica.since(0).find((e) => e.envelope.type === "channel.message" && (e.envelope.body as Body).actor === agent.did && String((e.envelope.body as Body).content).startsWith("Report:"));
    await seeded.socket.until(() => reportOf() !== undefined);
    const held = double.requests.slice(from).map((r) => lastToolResult(r)).find((t) => t?.status === "held");
    expect(held).toMatchObject({ status: "held", approver: seeded.andy.did, mode: "monitoring" });
    expect([...seeded.committed().approvals.values()].filter((a) => a.requestedBy === agent.did)).toEqual([]);

    // Andy is active again: the held ask is sent, into his attention. The agent's presence poll is
    // an hour away: only the space's pushed presence change can send it within this test.
    await andy.set("active");
    await seeded.socket.until(() => [...seeded.committed().approvals.values()].some((a) => a.requestedBy === agent.did));
    const request = [...seeded.committed().approvals.values()].find((a) => a.requestedBy === agent.did)!;
    expect(request).toMatchObject({ status: "pending", action: { tool: "create_work_item", params: { title: "Rotate every key on the edge", clock: "HF" } } });

    // Each decision left a trace: the model's replies (the timer's with its cut), the hold, the send.
    const traces = () => seeded.replica.since(0).filter((e) => e.envelope.type === "trace.recorded").map((e) => e.envelope.body as Body).filter((b) => b.data?.agent === agent.did);
    await seeded.socket.until(() => traces().some((t) => t.kind === "agent.llm.waiting"));
    const kinds = traces().map((t) => t.kind);
    expect(kinds).toEqual(expect.arrayContaining(["agent.llm.chose", "agent.llm.held", "agent.llm.sent", "agent.llm.waiting"]));
    expect(traces().find((t) => t.kind === "agent.llm.chose" && t.data.saw.trigger === "unclaimed")).toMatchObject({ ref: item.id, data: { brain: "llm", saw: { envelope: item.id, type: "timer.unclaimed" }, chose: { calls: [{ name: "claim_work_item" }] } } });
    expect(traces().find((t) => t.kind === "agent.llm.sent")).toMatchObject({ data: { held: { mode: "monitoring", approver: seeded.andy.did }, approval: request.id } });
    andy.close();
    seeded.close();
  });
});
