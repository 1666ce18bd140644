/**
 * What the agent-in-a-space tests share, inside workerd: an owner's invite handed to an agent
 * (as `commons agent add` does), a live reader that looks again after every commit, the
 * committed envelopes of a type, and an agent's own traces. Waiting is on the space (its
 * `view.changed` frames) or on the agent (`settled`), never on a timer.
 */
import { env } from "cloudflare:test";
import * as decoding from "lib0/decoding";
import { expect } from "vitest";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { encodeInviteUrl } from "../../core/space/invite.js";
import { encodeLog } from "../../core/yjs/frames.js";
import { cardOf, didOf, edgeFetch } from "./agent-client.js";
import { call, type TestSpace } from "./socket-client.js";

export const stubFor = (name: string) => env.AGENTS.get(env.AGENTS.idFromName(name));
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The edge as invites name it: a host the MCP door allows by default. */
export const EDGE = "http://localhost";

export type Posted = { id: EnvelopeId; status: string; commit?: { state: string; index?: number; verdict?: string } };

export interface AddOptions {
  keywords?: string[];
  options?: { unclaimedAfterMs?: number; gapAfterMs?: number; presenceCheckMs?: number };
}

/** The owner invites an agent with `domains` and hands the URL to the agent, as `commons agent add` does. */
export async function addAgent(s: TestSpace, name: string, domains: string[], add: AddOptions = {}) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await Ed25519Signer.fromSeed(seed);
  const [invite] = (await s.write("invite.created", { key: key.did, role: "agent", domains, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), uses: 1, name })) as Posted[];
  expect(invite!.commit).toMatchObject({ verdict: "accepted" });
  const agentDid = didOf(await cardOf(name));
  const token = await issueAgentCapability(s.owner, { agent: agentDid });
  const res = await edgeFetch(`http://edge.test/agents/${name}/spaces`, {
    method: "POST", headers: { ...bearer(token), "Content-Type": "application/json" },
    body: JSON.stringify({ invite: encodeInviteUrl({ edge: EDGE, space: s.space as never, invite: invite!.id, seed }), keywords: add.keywords ?? [], ...(add.options ? { options: add.options } : {}) }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return { did: agentDid, token, joined: (await res.json()) as { space: string; domains: string[]; cursor: number } };
}

export interface View {
  members: Array<{ did: string; role: string; domains: string[] }>;
  work: Array<{ id: string; title: string; status: string; claimant?: string }>;
  approvals?: Array<{ id: string; status: string; approver: string }>;
}

/** A live reader of the log: resolves when the view (read after each commit) satisfies `test`. */
export async function watcher(s: TestSpace) {
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

export type Logged = { id: string; envelope: { body: Record<string, any> }; status: { state?: string; index?: number; verdict?: string; reason?: string } };

/** The envelopes of `type` in the space, with their bodies and status. */
export async function logOf(s: TestSpace, type: string, query = ""): Promise<Logged[]> {
  const res = await call(`/s/${s.space}/log?type=${type}&limit=1000${query}`, { headers: bearer(await s.token(s.owner)) });
  return ((await res.json()) as { envelopes: Logged[] }).envelopes;
}

/** An agent's committed traces (the `record_trace` tool stamps the verified caller as `data.agent`). */
export async function tracesOf(s: TestSpace, did: string, kind?: string): Promise<Logged[]> {
  return (await logOf(s, "trace.recorded")).filter((e) => e.envelope.body.data?.agent === did && (kind === undefined || e.envelope.body.kind === kind));
}
