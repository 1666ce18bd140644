/**
 * The space's agents: who is told when something commits (issue 12 item 2).
 *
 *   space_agents (name PRIMARY KEY, did, subscribed_ms)   in the SpaceDO's SQLite
 *
 * An agent member subscribes after it joined (`POST /s/:space/agents {name}`, reachable only
 * from inside the edge: the Worker does not route it). The caller's token must be an agent
 * member's, and the named AgentDO must answer `profile()` with that very did, so no one
 * subscribes an agent they are not.
 *
 * After each sequencing run that committed something, `notify` makes one RPC per subscribed
 * agent object, `notify(space, hint)`, handed to `waitUntil` and never awaited: the agent
 * reacts in its own turn, reading the space over HTTP with its own token, so nothing it does
 * runs inside this space's write queue (no call cycle), and an idle agent holds no socket
 * and hibernates. The table is made on the first subscription: a space without agents
 * stores nothing for them.
 *
 * The hint (core/a2a/notify-hint.ts) is what the agent's triggers filter on before it reads
 * anything: the commit indexes the run covered and, when the batch is small, a summary of
 * each accepted envelope (type, actor, mentions, thread, item and its domains, text cut short). An agent none of whose triggers
 * could match reads nothing; one that could reads committed state from its cursor, as
 * before. The hint is never authority: the agent acts only on what it then reads.
 *
 * Presence is pushed the same way (`presenceChanged`, from the space's presence relay): when
 * a verified member turns active, each subscribed agent is told who (`presence(space,
 * dids)`); one holding asks for that approver reads presence itself and sends them, so a
 * held ask reaches its human when they come back, not at the agent's next poll (its alarm
 * stays as the fallback).
 */
import { CommonsError } from "../core/errors.js";
import { parseAgentName } from "../core/a2a/name.js";
import { hintOf } from "../core/a2a/notify-hint.js";
import type { Did } from "../core/identity/did.js";
import type { Envelope } from "../core/log/envelope.js";
import type { EnvelopeId } from "../core/log/ids.js";
import type { CommitEntry } from "../core/state/sequencer.js";
import type { SpaceState } from "../core/views/state.js";
import type { PresenceSummary } from "../core/space/presence.js";
import type { SqlStorage } from "../core/storage/sql.js";

const TABLE = `CREATE TABLE IF NOT EXISTS space_agents (name TEXT PRIMARY KEY, did TEXT NOT NULL, subscribed_ms INTEGER NOT NULL)`;

export interface SpaceAgentsDeps {
  space: string;
  sql: SqlStorage;
  env: Env;
  waitUntil(promise: Promise<unknown>): void;
  /** A stored envelope by id (the replica's). */
  envelope(id: EnvelopeId): Envelope | undefined;
}

export class SpaceAgents {
  /** In memory once read: a commit with no agents costs one map lookup. */
  private subscribers: Map<string, Did> | undefined;
  /** Who was active at the last presence change (in memory: after a wake, one push too many at worst). */
  private active = new Set<string>();

  constructor(private readonly deps: SpaceAgentsDeps) {}

  /** `POST|DELETE /s/:space/agents`: subscribes (or unsubscribes) the named agent as the token's did. */
  async route(request: Request, did: Did | null, state: SpaceState): Promise<Response> {
    let name;
    try {
      name = parseAgentName(String(((await request.json()) as { name?: unknown }).name ?? ""));
    } catch {
      throw new CommonsError("invalid-request", 'send {"name": "<agent name>"}', { status: 400 });
    }
    if (did === null || state.members.get(did)?.role !== "agent") {
      throw new CommonsError("not-an-agent", "only an agent member of this space subscribes: join with an invite for role agent first", { status: 403 });
    }
    const profile = await this.deps.env.AGENTS.get(this.deps.env.AGENTS.idFromName(name)).profile();
    if (profile.did !== did) throw new CommonsError("not-this-agent", `agent ${name} is ${profile.did}, not the token's ${did}`, { status: 403 });
    this.deps.sql.exec(TABLE);
    if (request.method === "DELETE") this.deps.sql.exec(`DELETE FROM space_agents WHERE name = ?`, name);
    else this.deps.sql.exec(`INSERT INTO space_agents (name, did, subscribed_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET did = excluded.did`, name, did, Date.now());
    this.subscribers = undefined;
    return Response.json({ space: this.deps.space, agents: [...this.list().keys()] });
  }

  /** One fire-and-forget call per subscribed agent that is still a member, with the run's hint. */
  notify(entries: readonly CommitEntry[], state: SpaceState): void {
    if (entries.length === 0 || this.list().size === 0) return;
    const hint = hintOf(entries, this.deps.envelope, state);
    for (const [name, did] of this.list()) {
      if (state.members.get(did) === undefined) continue;
      const agent = this.deps.env.AGENTS.get(this.deps.env.AGENTS.idFromName(name));
      // Never awaited: the agent's work is its own; a failed notification is repaired by the
      // next one (the agent reads from its cursor, not from what it was told).
      this.deps.waitUntil(agent.notify(this.deps.space, hint).catch((error: unknown) => console.error(`notify ${name}:`, error)));
    }
  }

  /** The presence relay accepted a state: members who turned active are pushed to the agents. */
  presenceChanged(summary: () => PresenceSummary): void {
    if (this.list().size === 0) return; // A space without agents summarizes nothing per awareness frame.
    const now = new Set(summary().participants.filter((p) => p.mode === "active").map((p) => p.id));
    const arrived = [...now].filter((id) => !this.active.has(id));
    this.active = now;
    if (arrived.length === 0) return;
    for (const name of this.list().keys()) {
      const agent = this.deps.env.AGENTS.get(this.deps.env.AGENTS.idFromName(name));
      this.deps.waitUntil(agent.presence(this.deps.space, arrived).catch((error: unknown) => console.error(`presence to ${name}:`, error)));
    }
  }

  private list(): Map<string, Did> {
    if (this.subscribers !== undefined) return this.subscribers;
    const [exists] = this.deps.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'space_agents'`);
    const rows = exists && exists.n > 0 ? this.deps.sql.exec<{ name: string; did: string }>(`SELECT name, did FROM space_agents ORDER BY name`) : [];
    return (this.subscribers = new Map(rows.map((r) => [r.name, r.did as Did])));
  }
}
