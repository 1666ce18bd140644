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
 * agent object, `notify(space, frontier)`, handed to `waitUntil` and never awaited: the agent
 * reacts in its own turn, reading the space over HTTP with its own token, so nothing it does
 * runs inside this space's write queue (no call cycle), and an idle agent holds no socket
 * and hibernates. The table is made on the first subscription: a space without agents
 * stores nothing for them.
 */
import { CommonsError } from "../core/errors.js";
import { parseAgentName } from "../core/a2a/name.js";
import type { Did } from "../core/identity/did.js";
import type { SpaceState } from "../core/views/state.js";
import type { SqlStorage } from "../core/storage/sql.js";

const TABLE = `CREATE TABLE IF NOT EXISTS space_agents (name TEXT PRIMARY KEY, did TEXT NOT NULL, subscribed_ms INTEGER NOT NULL)`;

export interface SpaceAgentsDeps {
  space: string;
  sql: SqlStorage;
  env: Env;
  waitUntil(promise: Promise<unknown>): void;
}

export class SpaceAgents {
  /** In memory once read: a commit with no agents costs one map lookup. */
  private subscribers: Map<string, Did> | undefined;

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

  /** One fire-and-forget call per subscribed agent that is still a member. */
  notify(frontier: number, state: SpaceState): void {
    for (const [name, did] of this.list()) {
      if (state.members.get(did) === undefined) continue;
      const agent = this.deps.env.AGENTS.get(this.deps.env.AGENTS.idFromName(name));
      // Never awaited: the agent's work is its own; a failed notification is repaired by the
      // next one (the agent reads from its cursor, not from what it was told).
      this.deps.waitUntil(agent.notify(this.deps.space, frontier).catch((error: unknown) => console.error(`notify ${name}:`, error)));
    }
  }

  private list(): Map<string, Did> {
    if (this.subscribers !== undefined) return this.subscribers;
    const [exists] = this.deps.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'space_agents'`);
    const rows = exists && exists.n > 0 ? this.deps.sql.exec<{ name: string; did: string }>(`SELECT name, did FROM space_agents ORDER BY name`) : [];
    return (this.subscribers = new Map(rows.map((r) => [r.name, r.did as Did])));
  }
}
