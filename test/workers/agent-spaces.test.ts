/**
 * An agent as a member of a space, inside workerd (issue 12 items 2–3): an owner's invite
 * handed to the agent (`POST /agents/:name/spaces`), the agent's own join, the space's
 * notification after commits, the rules brain's self-selection through the space's MCP
 * tools (claim, a progress note, a report with toolCalls, a trace of every decision), a race
 * of two agents for one item, and an evicted agent that does not act twice.
 *
 * Waiting is on the space itself: a live log socket's `view.changed` frames (each commit),
 * or the agent's own `settled` (it has read past a commit index). No timers.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { encodeInviteUrl } from "../../core/space/invite.js";
import { encodeLog } from "../../core/yjs/frames.js";
import { cardOf, didOf, edgeFetch, freshAgent } from "./agent-client.js";
import { call, openSpace, type TestSpace } from "./socket-client.js";

const stubFor = (name: string) => env.AGENTS.get(env.AGENTS.idFromName(name));
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The edge as invites name it: a host the MCP door allows by default. */
const EDGE = "http://localhost";

type Posted = { id: EnvelopeId; status: string; commit?: { state: string; index?: number; verdict?: string } };

/** The owner invites an agent with `domains` and hands the URL to the agent, as `commons agent add` does. */
async function addAgent(s: TestSpace, name: string, domains: string[], keywords: string[] = []) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await Ed25519Signer.fromSeed(seed);
  const [invite] = (await s.write("invite.created", { key: key.did, role: "agent", domains, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), uses: 1, name })) as Posted[];
  expect(invite!.commit).toMatchObject({ verdict: "accepted" });
  const agentDid = didOf(await cardOf(name));
  const token = await issueAgentCapability(s.owner, { agent: agentDid });
  const res = await edgeFetch(`http://edge.test/agents/${name}/spaces`, {
    method: "POST", headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify({ invite: encodeInviteUrl({ edge: EDGE, space: s.space as never, invite: invite!.id, seed }), keywords }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { did: agentDid, token, joined: (await res.json()) as { space: string; domains: string[]; cursor: number } };
}

interface View {
  members: Array<{ did: string; role: string; domains: string[] }>;
  work: Array<{ id: string; title: string; status: string; claimant?: string }>;
}

/** A live reader of the log: resolves when the view (read after each commit) satisfies `test`. */
async function watcher(s: TestSpace) {
  const reader = await s.connect(s.owner);
  const token = await s.token(s.owner);
  const view = async () => (await (await call(`/s/${s.space}/view`, { headers: bearer(token) })).json()) as View;
  let changed: () => void = () => {};
  reader.ws.addEventListener("message", (e) => {
    const decoder = decoding.createDecoder(new Uint8Array(e.data as ArrayBuffer));
    if (decoding.readVarUint(decoder) !== 100) return;
    const message = JSON.parse(decoding.readVarString(decoder)) as { t: string };
    if (message.t === "view.changed" || message.t === "log.synced") changed();
  });
  const live = new Promise<void>((resolve) => (changed = resolve));
  reader.send(encodeLog(JSON.stringify({ t: "log.hello", vv: {}, live: true })));
  await live;
  return {
    view,
    /** Resolves with `look()`'s first defined answer, looking again after each commit. */
    async until<T>(look: () => Promise<T | undefined>): Promise<T> {
      for (;;) {
        const next = new Promise<void>((resolve) => (changed = resolve));
        const found = await look();
        if (found !== undefined) return found;
        await next;
      }
    },
  };
}

/** The committed envelopes of `type` in the space, with their bodies. */
async function logOf(s: TestSpace, type: string) {
  const res = await call(`/s/${s.space}/log?type=${type}&limit=1000`, { headers: bearer(await s.token(s.owner)) });
  return ((await res.json()) as { envelopes: Array<{ id: string; envelope: { body: Record<string, any> }; status: { verdict?: string; reason?: string } }> }).envelopes;
}

describe("an agent in a space", () => {
  it("joins by the owner's invite with its own key, subscribes, and claims a work item in its domain when the space tells it something committed", async () => {
    const s = await openSpace("agent-watch");
    const watch = await watcher(s);
    const name = freshAgent("ops-bot");
    const { did, joined } = await addAgent(s, name, ["ops"]);
    expect(joined).toMatchObject({ space: s.space, domains: ["ops"] });
    expect((await watch.view()).members.find((m) => m.did === did)).toMatchObject({ role: "agent", domains: ["ops"] });
    // The space keeps its subscriber in its own SQLite.
    const subscribers = await runInDurableObject(env.SPACES.get(env.SPACES.idFromName(s.space)), (_i, state) =>
      state.storage.sql.exec<{ name: string; did: string }>(`SELECT name, did FROM space_agents`).toArray());
    expect(subscribers).toEqual([{ name, did }]);
    // The card's skills follow the domains it joined with.
    expect(((await cardOf(name)).skills as Array<{ id: string }>).map((k) => k.id)).toContain("ops");

    const [posted] = (await s.write("work.created", { title: "Rotate the cert", domains: ["ops"] })) as Posted[];
    const item = posted!.id;
    const seen = await watch.until(async () => {
      const v = await watch.view();
      return v.work.some((w) => w.id === item && w.status === "claimed") ? v : undefined;
    });
    expect(seen.work.find((w) => w.id === item)!.claimant).toBe(did);

    // Announce, execute, report: the claim is the agent's (actor), the report carries toolCalls.
    const report = await watch.until(async () => {
      const messages = (await logOf(s, "channel.message")).filter((e) => e.envelope.body.actor === did && e.envelope.body.threadRef === item);
      const traces = (await logOf(s, "trace.recorded")).filter((e) => e.envelope.body.data?.agent === did && e.envelope.body.kind === "agent.claimed");
      return messages.length > 0 && traces.length > 0 ? { messages, traces } : undefined;
    });
    const claims = (await logOf(s, "work.claimed")).filter((e) => e.envelope.body.item === item);
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ envelope: { body: { actor: did } }, status: { verdict: "accepted" } });
    expect(report.messages[0]!.envelope.body.toolCalls).toEqual([
      { tool: "claim_work_item", params: { item }, result: "success" },
      { tool: "update_work_item", params: { item }, result: "success" },
    ]);
    expect(report.traces[0]!.envelope.body).toMatchObject({ ref: item, data: { trigger: "domain", chose: "claim", outcome: "won", saw: { envelope: item, type: "work.created", actor: s.owner.did } } });
  });

  it("an evicted agent whose cursor fell behind reads again from it and does not act twice", async () => {
    const s = await openSpace("agent-evict");
    const name = freshAgent("ops-evict");
    const { did } = await addAgent(s, name, ["ops"]);
    const [posted] = (await s.write("work.created", { title: "Renew the lease", domains: ["ops"] })) as Posted[];
    await stubFor(name).settled(s.space, posted!.commit!.index!);
    const mine = async (type: string) => (await logOf(s, type)).filter((e) => (e.envelope.body.actor ?? e.envelope.body.data?.agent) === did).length;
    const before = { claims: await mine("work.claimed"), messages: await mine("channel.message"), traces: await mine("trace.recorded") };
    expect(before).toEqual({ claims: 1, messages: 1, traces: 1 });
    // As if it crashed after acting but before its cursor moved: back to the start, then evicted.
    await runInDurableObject(stubFor(name), (_i, state) => state.storage.sql.exec(`UPDATE agent_spaces SET cursor = 0`));
    await evictDurableObject(stubFor(name));
    const [later] = (await s.write("channel.message", { content: "unrelated" })) as Posted[];
    await stubFor(name).settled(s.space, later!.commit!.index!);
    expect({ claims: await mine("work.claimed"), messages: await mine("channel.message"), traces: await mine("trace.recorded") }).toEqual(before);
  });
});
