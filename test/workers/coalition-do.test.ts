/**
 * The CoalitionDO inside workerd (issue 13 item 1): a coalition formed with the MCP tool at
 * the edge gets its own actor at `/coalitions/<space>~<hash>`, whose signed A2A card is
 * signed by the coalition's key and lists its members' skills; the space tells it of every
 * join and leave (its epoch follows); a message to it lands in the coalition's thread as
 * its caller's, the agent member whose domain it matches volunteers, and the task completes
 * with that member's reply; strangers, forged tokens and tokens for someone else are
 * refused; a dissolved coalition says so and refuses messages.
 *
 * Waiting is on what commits (the object's `settled`, the blocking SendMessage), never on a timer.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { verifyAgentCard } from "../../core/a2a/card.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { coalitionName } from "../../durable-objects/coalition-address.js";
import { edgeFetch, freshAgent, sseEvents, userMessage } from "./agent-client.js";
import { addAgent, logOf, stubFor, watcher, type Posted } from "./agent-spaces-support.js";
import { openSpace, type TestSpace } from "./socket-client.js";

const FAST = { unclaimedAfterMs: 150, gapAfterMs: 150 };

/** A tools/call at the edge's MCP endpoint as `signer`: its structured result. */
async function tool(s: TestSpace, signer: Ed25519Signer, name: string, args: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await edgeFetch(`http://127.0.0.1/s/${s.space}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await s.token(signer)}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
  });
  const text = await res.text();
  const json = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? text);
  const message = JSON.parse(json) as { result?: { isError?: boolean; structuredContent?: Record<string, any> } };
  if (message.result?.isError === true || message.result?.structuredContent === undefined) throw new Error(`${name}: ${text.slice(0, 500)}`);
  return message.result!.structuredContent!;
}

const stub = (space: string, coalition: string) => env.COALITIONS.get(env.COALITIONS.idFromName(coalitionName(space, coalition as EnvelopeId)));

async function rpc(url: string, method: string, params: unknown, token?: string) {
  const res = await edgeFetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "A2A-Version": "1.0", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
  });
  const body = res.headers.get("Content-Type")?.startsWith("text/event-stream") ? await sseEvents(res) : await res.json();
  return { status: res.status, body: body as any };
}

/** A space with two agents of different domains and a coalition of the two, formed by the owner with the MCP tool. */
async function team(label: string) {
  const s = await openSpace(label, { members: { mia: "human", olga: "observer" } });
  const names = { db: freshAgent("co-db"), web: freshAgent("co-web") };
  const db = { name: names.db, ...(await addAgent(s, names.db, ["database"], { options: FAST })) };
  const web = { name: names.web, ...(await addAgent(s, names.web, ["frontend"], { options: FAST })) };
  const formed = await tool(s, s.owner, "form_coalition", { name: "incident-7", goal: "stop the slow reads", members: [db.did, web.did], quorum: 2 });
  expect(formed.commit).toMatchObject({ state: "committed", verdict: "accepted" });
  const id = formed.id as string;
  const url = `http://edge.test/coalitions/${coalitionName(s.space, id as EnvelopeId)}`;
  await stub(s.space, id).settled(id);
  return { s, db, web, id, key: formed.key as Did, url };
}

describe("CoalitionDO", () => {
  it("answers at /coalitions/<space>~<hash> with a card signed by the coalition's key, listing its members' skills; its epoch follows joins and leaves", async () => {
    const { s, db, web, id, key, url } = await team("coalition-card");
    const res = await edgeFetch(`${url}/.well-known/agent-card.json`);
    expect(res.status).toBe(200);
    const card = (await res.json()) as Record<string, any>;
    expect(await verifyAgentCard(card)).toBe(key);
    expect(card.name).toBe("incident-7");
    expect(card.supportedInterfaces.map((i: { url: string }) => i.url)).toEqual([url, url]);
    expect(card.skills.map((k: { id: string }) => k.id)).toEqual(["database", "frontend"]);
    expect(card.capabilities).toMatchObject({ streaming: true, pushNotifications: false });
    // A tampered card no longer verifies against the did it names.
    await expect(verifyAgentCard({ ...card, skills: [] })).rejects.toMatchObject({ code: "agent-card-unsigned" });

    const [joined] = (await s.write("coalition.joined", { coalition: id as EnvelopeId })) as Posted[];
    expect(joined!.commit).toMatchObject({ verdict: "accepted" });
    await stub(s.space, id).settled(joined!.id);
    expect((await stub(s.space, id).state()).view).toMatchObject({ epoch: 2 });
    const [left] = (await s.write("coalition.left", { coalition: id as EnvelopeId, reason: "off shift" })) as Posted[];
    await stub(s.space, id).settled(left!.id);
    const state = await stub(s.space, id).state();
    expect(state.view).toMatchObject({ epoch: 3, status: "active" });
    expect(state.view!.members.map((m) => m.did)).not.toContain(s.owner.did);
    expect(state.view!.members.map((m) => m.did).sort()).toEqual([db.did, web.did].sort());
    expect(state).toMatchObject({ did: key, adopted: true });
    // An address that names no coalition makes no key and answers 404; a malformed one never reaches an object.
    const none = await edgeFetch(`http://edge.test/coalitions/${s.space}~${"0".repeat(64)}/.well-known/agent-card.json`);
    expect([none.status, ((await none.json()) as any).error.code]).toEqual([404, "coalition-unknown"]);
    const bad = await edgeFetch(`http://edge.test/coalitions/${s.space}~xyz/.well-known/agent-card.json`);
    expect([bad.status, ((await bad.json()) as any).error.code]).toEqual([400, "invalid-coalition-name"]);
  });

  it("a message lands in the coalition's thread as the caller's; the member whose domain it is answers, and only that one", async () => {
    const { s, db, web, id, key, url } = await team("coalition-ask");
    const token = await issueAgentCapability(s.owner, { agent: key });
    const sent = await rpc(url, "SendMessage", userMessage("m-1", "Reads from the database are slow since noon"), token);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const task = sent.body.result.task;
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    const answer = task.status.message.parts[0].text as string;
    expect(answer).toContain(`(${db.did}) answered:`);

    const thread = await logOf(s, "channel.message", `&thread=${id}`);
    const ask = thread.find((m) => m.envelope.body.threadRef === id)!;
    expect(ask.envelope.body).toMatchObject({ actor: s.owner.did, content: "Reads from the database are slow since noon" });
    // Both agents have read past the ask, and past the reply: the other one has nothing coming.
    const replies = await logOf(s, "channel.message", `&thread=${ask.id}`);
    const last = Math.max(...replies.map((m) => m.status.index!));
    await Promise.all([db, web].map((a) => stubFor(a.name).settled(s.space, last)));
    const from = (await logOf(s, "channel.message", `&thread=${ask.id}`)).filter((m) => m.id !== ask.id).map((m) => m.envelope.body.actor);
    expect(from).toContain(db.did);
    expect(from).not.toContain(web.did);
    expect(answer).toContain(replies.find((m) => m.envelope.body.actor === db.did)!.envelope.body.content);

    // GetTask and ListTasks see the caller's own task; another member's token sees none of it.
    const got = await rpc(url, "GetTask", { id: task.id }, token);
    expect(got.body.result.status.state).toBe("TASK_STATE_COMPLETED");
    expect((await rpc(url, "ListTasks", {}, token)).body.result.tasks.map((t: { id: string }) => t.id)).toEqual([task.id]);
    const other = await issueAgentCapability(s.members.mia!, { agent: key });
    expect((await rpc(url, "GetTask", { id: task.id }, other)).body.error.code).toBe(-32001);
    expect((await rpc(url, "ListTasks", {}, other)).body.result.tasks).toEqual([]);
  });

  it("only a member of the coalition completes a task: the asker's and a non-member's replies in the thread do not", async () => {
    const s = await openSpace("coalition-reply", { members: { mia: "human", nick: "human" } });
    const formed = await tool(s, s.owner, "form_coalition", { name: "reviewers", goal: "review the launch copy", members: [s.members.mia!.did] });
    const id = formed.id as string;
    await stub(s.space, id).settled(id);
    const url = `http://edge.test/coalitions/${coalitionName(s.space, id as EnvelopeId)}`;
    const token = await issueAgentCapability(s.owner, { agent: formed.key });
    const watch = await watcher(s);
    // A streamed send: it ends when the task does.
    const streamed = rpc(url, "SendStreamingMessage", userMessage("m-4", "Who can read the launch copy?"), token);
    const ask = await watch.until(async () => (await logOf(s, "channel.message", `&thread=${id}`)).find((m) => m.envelope.body.content === "Who can read the launch copy?"));
    for (const [who, content] of [[s.owner, "bump"], [s.members.nick!, "I can, though I am not on the team"], [s.members.mia!, "On it: reading now"]] as const) {
      await tool(s, who, "post_message", { content, threadRef: ask.id });
    }
    const events = (await streamed).body as Array<Record<string, any>>;
    const last = events.at(-1)!.result.statusUpdate.status;
    expect(last.state).toBe("TASK_STATE_COMPLETED");
    expect(last.message.parts[0].text).toBe(`mia (${s.members.mia!.did}) answered: On it: reading now`);
  });

  it("a coalition formed on a copy with a key the space reserved is signed by that key; only its reserver's formation gets it; strangers and observers reserve nothing; at most 8 unused per member", async () => {
    const s = await openSpace("coalition-reserve", { members: { mia: "human", olga: "observer" } });
    const reserve = async (token: string | null) => {
      const res = await edgeFetch(`http://127.0.0.1/s/${s.space}/coalition-keys`, { method: "POST", headers: token ? { Authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: (await res.json()) as { key?: Did; error?: { code: string } } };
    };
    expect(await reserve(null)).toMatchObject({ status: 401, body: { error: { code: "token-missing" } } });
    expect(await reserve(await s.token(s.members.olga!))).toMatchObject({ status: 403, body: { error: { code: "read-only" } } });
    const stranger = await Ed25519Signer.generate();
    expect((await reserve(await s.token(stranger))).status).toBe(403);

    const mine = await reserve(await s.token(s.owner));
    expect(mine.status).toBe(201);
    const key = mine.body.key!;
    const [formed] = (await s.write("coalition.formed", { name: "node-team", goal: "formed on a node", key, members: [s.owner.did] })) as Posted[];
    expect(formed!.commit).toMatchObject({ verdict: "accepted" });
    const card = (await (await edgeFetch(`http://edge.test/coalitions/${coalitionName(s.space, formed!.id)}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    expect(await verifyAgentCard(card)).toBe(key);
    expect(card.description).not.toContain("object's own");
    expect(await stub(s.space, formed!.id).state()).toMatchObject({ did: key, adopted: true });

    // Mia's reservation named in the owner's formation: not hers to hand over, so not handed over.
    const hers = (await reserve(await s.token(s.members.mia!))).body.key!;
    const [other] = (await s.write("coalition.formed", { name: "borrowed", goal: "someone else's key", key: hers, members: [s.owner.did] })) as Posted[];
    const otherCard = (await (await edgeFetch(`http://edge.test/coalitions/${coalitionName(s.space, other!.id)}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    expect(await verifyAgentCard(otherCard)).not.toBe(hers);
    expect(await stub(s.space, other!.id).state()).toMatchObject({ adopted: false });

    // Too many: a member keeps at most 8 unused reservations; a ninth pushes out the oldest.
    const oldest = (await reserve(await s.token(s.owner))).body.key!;
    for (let i = 0; i < 8; i++) expect((await reserve(await s.token(s.owner))).status).toBe(201);
    const [late] = (await s.write("coalition.formed", { name: "too-late", goal: "an evicted reservation", key: oldest, members: [s.owner.did] })) as Posted[];
    const lateCard = (await (await edgeFetch(`http://edge.test/coalitions/${coalitionName(s.space, late!.id)}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    expect(await verifyAgentCard(lateCard)).not.toBe(oldest);
  });

  it("a task waiting for its member is canceled on request; a coalition formed elsewhere answers with the object's own key, and its card says so", async () => {
    const s = await openSpace("coalition-cancel", { members: { mia: "human" } });
    const formed = await tool(s, s.owner, "form_coalition", { name: "quiet", goal: "nobody answers", members: [s.members.mia!.did] });
    const url = `http://edge.test/coalitions/${coalitionName(s.space, formed.id as EnvelopeId)}`;
    const token = await issueAgentCapability(s.owner, { agent: formed.key });
    const sent = await rpc(url, "SendMessage", { ...userMessage("m-5", "anyone?"), configuration: { returnImmediately: true } }, token);
    // Returned at once, before any member answered: submitted, or working once posted.
    expect(["TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"]).toContain(sent.body.result.task.status.state);
    const canceled = await rpc(url, "CancelTask", { id: sent.body.result.task.id }, token);
    expect(canceled.body.result.status.state).toBe("TASK_STATE_CANCELED");
    expect((await rpc(url, "GetTask", { id: sent.body.result.task.id }, token)).body.result.status.state).toBe("TASK_STATE_CANCELED");

    // Formed from a copy with a key the edge never saw: the object makes its own, and says so.
    const key = (await Ed25519Signer.generate()).did;
    const [elsewhere] = (await s.write("coalition.formed", { name: "offline-team", goal: "formed on a node", key, members: [s.owner.did] })) as Posted[];
    expect(elsewhere!.commit).toMatchObject({ verdict: "accepted" });
    const card = (await (await edgeFetch(`http://edge.test/coalitions/${coalitionName(s.space, elsewhere!.id)}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    const did = await verifyAgentCard(card);
    expect(did).not.toBe(key);
    expect(card.description).toContain(`its budget key ${key} was made where the coalition was formed`);
    expect(await stub(s.space, elsewhere!.id).state()).toMatchObject({ did, adopted: false });
  });

  it("refuses the unauthenticated, forged tokens, tokens for someone else, and callers who may not write in the space", async () => {
    const { s, db, key, url } = await team("coalition-door");
    const message = userMessage("m-2", "hello database");
    const none = await rpc(url, "SendMessage", message);
    expect([none.status, none.body.error.data[0].metadata.code]).toEqual([401, "token-missing"]);
    // A token for another agent (its audience is that agent's did) is not one for the coalition.
    const elsewhere = await rpc(url, "SendMessage", message, await issueAgentCapability(s.owner, { agent: db.did }));
    expect([elsewhere.status, elsewhere.body.error.data[0].metadata.code]).toEqual([401, "token-wrong-audience"]);
    // The owner's claims with a stranger's signature.
    const stranger = await Ed25519Signer.generate();
    const [header, payload] = (await issueAgentCapability(s.owner, { agent: key })).split(".");
    const forged = `${header}.${payload}.${(await issueAgentCapability(stranger, { agent: key })).split(".")[2]}`;
    const refused = await rpc(url, "SendMessage", message, forged);
    expect([refused.status, refused.body.error.data[0].metadata.code]).toEqual([401, "token-bad-signature"]);
    // Good tokens from someone who is not a member, and from an observer: no message in the space.
    for (const signer of [stranger, s.members.olga!]) {
      const outsider = await rpc(url, "SendMessage", message, await issueAgentCapability(signer, { agent: key }));
      expect([outsider.status, outsider.body.error.data[0].metadata.code]).toEqual([403, "not-a-space-member"]);
    }
    expect((await logOf(s, "channel.message")).filter((m) => m.envelope.body.content === "hello database")).toEqual([]);
  });

  it("after dissolution the card says so and a message is refused with UnsupportedOperationError", async () => {
    const { s, id, key, url } = await team("coalition-end");
    const [ended] = (await s.write("coalition.dissolved", { coalition: id as EnvelopeId, epoch: 1, reason: "reads are fast again" })) as Posted[];
    expect(ended!.commit).toMatchObject({ verdict: "accepted" });
    await stub(s.space, id).settled(ended!.id);
    const card = (await (await edgeFetch(`${url}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    expect(await verifyAgentCard(card)).toBe(key);
    expect(card.description).toMatch(/was dissolved \(reads are fast again\): it takes no more messages/);
    expect(card.skills).toEqual([]);
    const sent = await rpc(url, "SendMessage", userMessage("m-3", "database again?"), await issueAgentCapability(s.owner, { agent: key }));
    expect(sent.body.error.code).toBe(-32004);
    expect(sent.body.error.message).toMatch(/^Coalition "incident-7" was dissolved \(reads are fast again\): it takes no more messages/);
  });
});
