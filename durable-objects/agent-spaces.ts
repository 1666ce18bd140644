/**
 * The AgentDO's spaces (issue 12 items 2–3): joining by invite, being told of commits,
 * reading from a cursor, and acting on what the rules brain decides.
 *
 *   join     decode the invite URL, sign `member.joined` with the agent's own key and post it
 *            to the space's object on this edge (`POST /s/:space/log`, open to anyone), then
 *            subscribe (`POST /s/:space/agents`, with its own token) and keep a cursor at 0;
 *   notify   the space's call after a commit: only schedules a run, in the agent's own turn;
 *   run      one at a time per space: pages of `GET /s/:space/log?since=<cursor>` (its own
 *            token), each committed envelope decided by core/a2a/rules-brain.ts, and carried
 *            out through the space's MCP tools: claim, execute (a progress note), report (a
 *            channel message with `toolCalls`); a lost claim (committed rejected: "already
 *            claimed") says so and stands down; every decision leaves a `trace.recorded`
 *            (the `record_trace` tool) with what it saw and chose.
 *
 * Never twice: the decision is written to `agent_acted` before anything is done about it,
 * and the cursor moves past an envelope only after; an agent evicted midway re-reads from
 * its cursor and skips what it already decided on (at worst a half-done action stays half
 * done: never repeated). The cursor stops at the first tentative envelope, so nothing is
 * decided before its commit and nothing committed later is missed.
 */
import { CommonsError } from "../core/errors.js";
import type { Did } from "../core/identity/did.js";
import type { Ed25519Signer } from "../core/identity/signer.js";
import { decide, type Decision, type HandoffRule, type RulesConfig, type Seen, type ViewItem } from "../core/a2a/rules-brain.js";
import { SpaceClient, type LogEntry, type ToolAnswer } from "../core/a2a/space-client.js";
import { createJoinEnvelope, decodeInviteUrl } from "../core/space/invite.js";
import type { SqlStorage } from "../core/storage/sql.js";

export interface SpaceRow {
  space: string;
  edge: string;
  cursor: number;
  domains: string[];
  keywords: string[];
  handoffs: HandoffRule[];
  joinedAt: string;
}

export interface JoinInput {
  invite: string;
  keywords?: string[];
  handoffs?: HandoffRule[];
}

interface Deps {
  name: string;
  sql: SqlStorage;
  signer: Ed25519Signer;
  env: Env;
  /** Called after a join or leave with every space's domains: the card's skills follow them. */
  domainsChanged(domains: string[]): void;
}

export class AgentSpaces {
  /** The run in progress per space (runs of one space never overlap; a notify during one queues one more). */
  private readonly runs = new Map<string, Promise<void>>();
  /** Highest commit index each space's runs have read past, in memory (for `settled`). */
  private readonly reached = new Map<string, number>();

  constructor(private readonly deps: Deps) {}

  list(): SpaceRow[] {
    return this.deps.sql.exec<{ space: string; edge: string; cursor: number; domains: string; keywords: string; handoffs: string; joined_ms: number }>(
      `SELECT * FROM agent_spaces ORDER BY space`,
    ).map((r) => ({
      space: r.space, edge: r.edge, cursor: Number(r.cursor), domains: JSON.parse(r.domains), keywords: JSON.parse(r.keywords),
      handoffs: JSON.parse(r.handoffs), joinedAt: new Date(Number(r.joined_ms)).toISOString(),
    }));
  }

  private row(space: string): SpaceRow | undefined {
    return this.list().find((r) => r.space === space);
  }

  private client(space: string, edge: string): SpaceClient {
    const stub = this.deps.env.SPACES.get(this.deps.env.SPACES.idFromName(space));
    // The space's object on this edge, called directly; the URL keeps the edge's host (the MCP door checks it).
    return new SpaceClient((url, init) => stub.fetch(url, init), edge, space, this.deps.signer);
  }

  /** Joins with an invite for role agent, subscribes, and reads the space from its start. */
  async join(input: JoinInput): Promise<SpaceRow> {
    const invite = decodeInviteUrl(input.invite);
    if (this.row(invite.space) !== undefined) throw new CommonsError("already-joined", `this agent is already a member of ${invite.space}`, { status: 409 });
    const client = this.client(invite.space, invite.edge);
    if (!(await client.state()).exists) {
      throw new CommonsError("space-not-found", `no space "${invite.space}" on this agent's edge: an agent joins spaces of the edge it lives on`, { status: 404 });
    }
    const sent = await createJoinEnvelope({ invite, joiner: this.deps.signer, now: Date.now(), name: this.deps.name });
    const result = await client.post(sent.id, sent.envelope);
    if (result.status === "rejected") throw new CommonsError("join-refused", `the space refused the agent's join (${result.code}): ${result.message ?? ""}`, { status: 409 });
    if (result.commit?.state !== "committed" || result.commit.verdict !== "accepted") {
      const why = result.commit?.state === "committed" ? result.commit.reason : "not committed yet";
      throw new CommonsError("invite-refused", `the space did not let the agent in: ${why}. Make a new invite (\`commons agent add\` does).`, { status: 409 });
    }
    await client.refresh();
    const me = await client.member(this.deps.signer.did);
    if (me?.role !== "agent") throw new CommonsError("not-an-agent", `the invite made this agent a ${me?.role ?? "non-member"}; an agent joins with role agent`, { status: 409 });
    await client.subscribe(this.deps.name);
    this.deps.sql.exec(
      `INSERT INTO agent_spaces (space, edge, cursor, domains, keywords, handoffs, joined_ms) VALUES (?, ?, 0, ?, ?, ?, ?)`,
      invite.space, invite.edge, JSON.stringify(me.domains), JSON.stringify(input.keywords ?? []), JSON.stringify(input.handoffs ?? []), Date.now(),
    );
    this.deps.domainsChanged([...new Set(this.list().flatMap((r) => r.domains))]);
    void this.notify(invite.space);
    return this.row(invite.space)!;
  }

  /** Whether `did` owns `space` (read with the agent's own token). */
  async isOwner(space: string, did: Did): Promise<boolean> {
    const row = this.row(space);
    if (row === undefined) throw new CommonsError("not-found", `this agent is not in ${space}`, { status: 404 });
    return (await this.client(space, row.edge).member(did))?.role === "owner";
  }

  /** Stops watching a space and unsubscribes (membership itself is the owner's to remove). */
  async leave(space: string): Promise<boolean> {
    const row = this.row(space);
    if (row === undefined) return false;
    // A space that no longer lets the agent in has dropped it anyway: forget it regardless.
    await this.client(space, row.edge).subscribe(this.deps.name, "DELETE").catch((error: unknown) => console.error(`unsubscribe ${space}:`, error));
    this.deps.sql.exec(`DELETE FROM agent_spaces WHERE space = ?`, space);
    this.deps.domainsChanged([...new Set(this.list().flatMap((r) => r.domains))]);
    return true;
  }

  /** The space says something committed: one more run after the current one (if any). */
  notify(space: string): Promise<void> {
    const previous = this.runs.get(space) ?? Promise.resolve();
    const next = previous.then(() => this.run(space)).catch((error: unknown) => console.error(`agent ${this.deps.name} in ${space}:`, error));
    this.runs.set(space, next);
    return next;
  }

  /** Resolves once a run has read past commit `index` (a run is started, so nothing waits on a notification). */
  async settled(space: string, index: number): Promise<void> {
    while ((this.reached.get(space) ?? -1) < index) {
      const before = this.reached.get(space) ?? -1;
      await this.notify(space);
      if ((this.reached.get(space) ?? -1) === before) throw new CommonsError("not-reached", `the agent's cursor in ${space} stops before commit ${index}`, { status: 409 });
    }
  }

  /** Acted-on decisions in a space, oldest first (for `commons agent show` and tests). */
  acted(space: string): Array<{ envelope: string; decision: Decision }> {
    return this.deps.sql.exec<{ envelope: string; decision: string }>(`SELECT envelope, decision FROM agent_acted WHERE space = ? ORDER BY at_ms, envelope`, space)
      .map((r) => ({ envelope: r.envelope, decision: JSON.parse(r.decision) as Decision }));
  }

  private async run(space: string): Promise<void> {
    const row = this.row(space);
    if (row === undefined) return;
    const client = this.client(space, row.edge);
    await client.refresh();
    let cursor = row.cursor;
    let work: Map<string, ViewItem> | undefined;
    for (;;) {
      const page = await client.log(cursor);
      for (const entry of page.envelopes) {
        // Decided only once committed: the next notify resumes here. Receipts and appointments
        // are never sequenced themselves (`unsequenced`): nothing to decide, read past them.
        if (entry.status.state === "tentative") return;
        if (entry.status.state === "committed" && entry.status.verdict === "accepted") {
          work ??= await client.work();
          if (await this.consider(client, row, entry, work)) work = undefined; // it acted: the view moved
        }
        cursor = entry.arrival;
        this.deps.sql.exec(`UPDATE agent_spaces SET cursor = ? WHERE space = ?`, cursor, space);
        if (entry.status.state === "committed") this.reached.set(space, Math.max(this.reached.get(space) ?? -1, entry.status.index));
      }
      if (!page.hasMore) return;
    }
  }

  /** Decides on one committed envelope, records the decision, then carries it out. True if it wrote anything. */
  private async consider(client: SpaceClient, row: SpaceRow, entry: LogEntry, work: Map<string, ViewItem>): Promise<boolean> {
    const self = this.deps.signer.did;
    const body = entry.envelope.body;
    const seen: Seen = { id: entry.id, type: entry.envelope.type, actor: (typeof body.actor === "string" ? body.actor : entry.envelope.author) as Did, body };
    const config: RulesConfig = { domains: row.domains, keywords: row.keywords, handoffs: row.handoffs };
    if (decide(config, self, seen, work).action === "ignore") return false;
    const [done] = this.deps.sql.exec(`SELECT 1 FROM agent_acted WHERE space = ? AND envelope = ?`, row.space, entry.id);
    if (done !== undefined) return false;
    // The conflict check reads the view as it is now, not as the page found it.
    const decision = decide(config, self, seen, await client.work());
    this.deps.sql.exec(`INSERT INTO agent_acted (space, envelope, decision, at_ms) VALUES (?, ?, ?, ?)`, row.space, entry.id, JSON.stringify(decision), Date.now());
    const saw = { envelope: entry.id, type: seen.type, actor: seen.actor, commit: entry.status.state === "committed" ? entry.status.index : null };
    const trace = (kind: string, summary: string, data: Record<string, unknown>) =>
      client.call("record_trace", { kind, summary, ref: entry.id, data: { saw, ...data } });
    if (decision.action === "ignore") return false;
    if (decision.action === "skip") {
      await trace("agent.skipped", `skipped (${decision.trigger}): ${decision.reason}`, { trigger: decision.trigger, chose: "skip", reason: decision.reason, ...(decision.item ? { item: decision.item } : {}) });
      return true;
    }
    if (decision.action === "reply") {
      const reply = await client.call("post_message", { content: `I saw this (I am ${this.deps.name}; I take work in ${row.domains.join(", ") || "no domain"}): post a work item and I will pick it up.`, threadRef: entry.id });
      await trace("agent.replied", `replied (${decision.trigger}): ${decision.reason}`, { trigger: decision.trigger, chose: "reply", reply: reply.structured.id ?? null });
      return true;
    }
    return this.claim(client, decision, trace);
  }

  /** Announce, execute, report — or stand down when another claim committed first. */
  private async claim(client: SpaceClient, decision: Extract<Decision, { action: "claim" }>, trace: (kind: string, summary: string, data: Record<string, unknown>) => Promise<ToolAnswer>): Promise<boolean> {
    const { item } = decision;
    const chose = { trigger: decision.trigger, item: item.id, reason: decision.reason };
    const claim = await client.call("claim_work_item", { item: item.id, note: `${decision.trigger}: ${decision.reason}` });
    const verdict = claim.structured.commit;
    if (!claim.ok || claim.structured.status !== "success") {
      await trace("agent.claim-refused", `could not claim "${item.title}": ${claim.text.slice(0, 500)}`, { ...chose, chose: "claim", outcome: String(claim.structured.status ?? "error") });
      return true;
    }
    if (verdict?.state === "committed" && verdict.verdict === "rejected") {
      const reason = verdict.reason ?? "rejected";
      await client.call("post_message", {
        content: `Standing down on "${item.title}": my claim lost (${reason}).`, threadRef: item.id,
        toolCalls: [{ tool: "claim_work_item", params: { item: item.id }, result: "rejected" }],
      });
      await trace("agent.stood-down", `lost the claim on "${item.title}": ${reason}`, { ...chose, chose: "claim", claim: claim.structured.id ?? null, outcome: "lost", why: reason });
      return true;
    }
    const note = await client.call("update_work_item", { item: item.id, note: `${this.deps.name} is on it (${decision.reason})` });
    await client.call("post_message", {
      content: `Claimed "${item.title}" (${decision.trigger}: ${decision.reason}) and started on it.`, threadRef: item.id,
      toolCalls: [
        { tool: "claim_work_item", params: { item: item.id }, result: "success" },
        { tool: "update_work_item", params: { item: item.id }, result: note.ok ? "success" : "rejected" },
      ],
    });
    await trace("agent.claimed", `claimed "${item.title}" (${decision.trigger}): ${decision.reason}`, { ...chose, chose: "claim", claim: claim.structured.id ?? null, outcome: "won" });
    return true;
  }
}
