/**
 * The AgentDO's storage, in its SQLite: its key, its profile, its tasks.
 *
 *   agent_identity (name, jwk)              the agent's Ed25519 key, made on first start:
 *                                           its did:key lives exactly as long as the object
 *   agent_profile (id = 1, description, domains)   what the card says about it
 *   a2a_tasks (…)                           the tasks (core/a2a/task-store.ts owns the columns)
 *   agent_spaces (space, edge, cursor, …)   the spaces it joined: its position in each one's
 *                                           log, and its rules there (durable-objects/agent-spaces.ts)
 *   agent_acted (space, envelope, decision) every envelope it decided on, written before it acts
 *   agent_watches, agent_deferrals,         what its alarm waits for, deferrals seen, handoff
 *   agent_triggers, agent_queue             triggers, asks held back (durable-objects/agent-spaces.ts)
 *   agent_meta (key, value)                 schema_version
 *
 * Migrations run in order inside one transaction and record the version they reached, so
 * a later item (cursors into spaces, claims) adds a step here rather than a table elsewhere.
 */
import type { AgentProfile } from "../core/a2a/card.js";
import type { AgentName } from "../core/a2a/name.js";
import { TASK_TABLES } from "../core/a2a/task-store.js";
import { Ed25519Signer } from "../core/identity/signer.js";
import { migrateStore, type SqlStorage } from "../core/storage/sql.js";

const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS agent_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS agent_identity (name TEXT PRIMARY KEY, jwk TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS agent_profile (id INTEGER PRIMARY KEY CHECK (id = 1), description TEXT NOT NULL, domains TEXT NOT NULL)`,
    ...TASK_TABLES,
  ],
  // Issue 12 items 2–3: the spaces it is a member of (a cursor each), and what it acted on.
  [
    `CREATE TABLE IF NOT EXISTS agent_spaces (space TEXT PRIMARY KEY, edge TEXT NOT NULL, cursor INTEGER NOT NULL, domains TEXT NOT NULL, keywords TEXT NOT NULL, handoffs TEXT NOT NULL, joined_ms INTEGER NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS agent_acted (space TEXT NOT NULL, envelope TEXT NOT NULL, decision TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (space, envelope))`,
  ],
  // Issue 12 items 3–5: per-space options (brain, timeouts), what the agent waits for (unclaimed
  // items, unanswered requests: its alarm), deferrals it has seen, handoff triggers armed on a
  // work item, and asks it holds back while the approver is not active.
  [
    `ALTER TABLE agent_spaces ADD COLUMN options TEXT NOT NULL DEFAULT '{}'`,
    `CREATE TABLE IF NOT EXISTS agent_watches (space TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, due_ms INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (space, kind, target))`,
    `CREATE INDEX IF NOT EXISTS agent_watches_due ON agent_watches (due_ms)`,
    `CREATE TABLE IF NOT EXISTS agent_deferrals (space TEXT NOT NULL, item TEXT NOT NULL, from_did TEXT NOT NULL, to_did TEXT NOT NULL, PRIMARY KEY (space, item, from_did, to_did))`,
    `CREATE TABLE IF NOT EXISTS agent_triggers (space TEXT NOT NULL, item TEXT NOT NULL, source TEXT NOT NULL, then_text TEXT NOT NULL, PRIMARY KEY (space, item, source))`,
    `CREATE TABLE IF NOT EXISTS agent_queue (space TEXT NOT NULL, id TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL, summary TEXT NOT NULL, queued_ms INTEGER NOT NULL, PRIMARY KEY (space, id))`,
  ],
];

export function migrateAgent(sql: SqlStorage): void {
  migrateStore(sql, "agent_meta", MIGRATIONS);
}

/** The agent's key: made once, then read back on every start (an evicted agent keeps its did). */
export async function loadOrCreateAgentSigner(sql: SqlStorage): Promise<Ed25519Signer> {
  const [row] = sql.exec<{ jwk: string }>(`SELECT jwk FROM agent_identity WHERE name = 'agent'`);
  if (row) return Ed25519Signer.fromJwk(JSON.parse(row.jwk));
  const signer = await Ed25519Signer.generate();
  sql.exec(`INSERT INTO agent_identity (name, jwk) VALUES ('agent', ?)`, JSON.stringify(signer.exportPrivateJwk()));
  return signer;
}

export function readProfile(sql: SqlStorage, name: AgentName, signer: Ed25519Signer): AgentProfile {
  const [row] = sql.exec<{ description: string; domains: string }>(`SELECT description, domains FROM agent_profile WHERE id = 1`);
  return { name, did: signer.did, description: row?.description ?? "", domains: row === undefined ? [] : (JSON.parse(row.domains) as string[]) };
}

export function writeProfile(sql: SqlStorage, profile: Pick<AgentProfile, "description" | "domains">): void {
  sql.exec(
    `INSERT INTO agent_profile (id, description, domains) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET description = excluded.description, domains = excluded.domains`,
    profile.description, JSON.stringify(profile.domains),
  );
}
