/**
 * The AgentDO's spaces (issue 12 items 2–3): joining by invite, being told of commits,
 * reading from a cursor, and acting on what the rules brain decides.
 *
 *   join     decode the invite URL, sign `member.joined` with the agent's own key and post it
 *            to the space's object on this edge (`POST /s/:space/log`, open to anyone), then
 *            subscribe (`POST /s/:space/agents`, with its own token) and keep a cursor at 0;
 *   notify   the space's call after a commit, with a hint of what committed: the triggers'
 *            first pass rules it out without reading anything (agent-spaces-hints.ts), or
 *            it schedules a run, in the agent's own turn;
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
import { decide, type Decision, type RulesConfig, type Seen, type ViewItem } from "../core/a2a/rules-brain.js";
import { SpaceClient, type LogEntry } from "../core/a2a/space-client.js";
import { isEnvelopeId, type EnvelopeId } from "../core/log/ids.js";
import type { LlmSpaceBrain } from "../core/a2a/llm-brain.js";
import { delegateOnClaim } from "../core/a2a/delegate.js";
import { agentFetch } from "./agent-delegation.js";
import { createJoinEnvelope, decodeInviteUrl } from "../core/space/invite.js";
import type { SqlStorage } from "../core/storage/sql.js";
import { carryOut, spaceContext, type ActContext, type Trace } from "./agent-spaces-acts.js";
import { addWatch, finish, nextDue, onDue, takeDue } from "./agent-spaces-alarm.js";
import { Hints, hintFromLog, isDeferral } from "./agent-spaces-hints.js";
import { llmHolds } from "./agent-spaces-llm.js";
import type { NotifyHint } from "../core/a2a/notify-hint.js";
import type { JoinInput, SpaceOptions, SpaceRow } from "./agent-spaces-types.js";

export type { JoinInput, SpaceOptions, SpaceRow } from "./agent-spaces-types.js";

interface Deps {
  name: string;
  sql: SqlStorage;
  signer: Ed25519Signer;
  env: Env;
  /** Called after a join or leave with every space's domains: the card's skills follow them. */
  domainsChanged(domains: string[]): void;
  /** Sets the object's alarm (its watches: agent-spaces-alarm.ts). */
  setAlarm(at: number): void;
  /** The LLM brain, when the edge has a model configured (COMMONS_LLM_URL): it thinks in spaces joined with `brain: "llm"`. */
  llm?: LlmSpaceBrain;
}

export class AgentSpaces {
  /** The run in progress per space (runs of one space never overlap; a notify during one queues one more). */
  private readonly runs = new Map<string, Promise<void>>();
  /** Highest commit index each space's runs have read past, in memory (for `settled`). */
  private readonly reached = new Map<string, number>();
  /** Requests made to each space since the object started (`commons agent show`: what notifies cost). */
  private readonly requests = new Map<string, number>();
  private readonly hints: Hints;

  constructor(private readonly deps: Deps) {
    this.hints = new Hints(deps.sql, deps.signer.did);
  }

  list(): SpaceRow[] {
    return this.deps.sql.exec<{ space: string; edge: string; cursor: number; domains: string; keywords: string; handoffs: string; options: string; joined_ms: number }>(
      `SELECT * FROM agent_spaces ORDER BY space`,
    ).map((r) => ({
      space: r.space, edge: r.edge, cursor: Number(r.cursor), domains: JSON.parse(r.domains), keywords: JSON.parse(r.keywords),
      handoffs: JSON.parse(r.handoffs), options: JSON.parse(r.options) as SpaceOptions, joinedAt: new Date(Number(r.joined_ms)).toISOString(),
    }));
  }

  private row(space: string): SpaceRow | undefined {
    return this.list().find((r) => r.space === space);
  }

  /** The agent's client of a space it is in (a delegated subtask is recorded there: core/a2a/delegate.ts), or undefined. */
  tools(space: string): SpaceClient | undefined {
    const row = this.row(space);
    return row === undefined ? undefined : this.client(space, row.edge);
  }

  private client(space: string, edge: string): SpaceClient {
    const stub = this.deps.env.SPACES.get(this.deps.env.SPACES.idFromName(space));
    // The space's object on this edge, called directly; the URL keeps the edge's host (the MCP door checks it).
    return new SpaceClient((url, init) => {
      this.requests.set(space, (this.requests.get(space) ?? 0) + 1);
      return stub.fetch(url, init);
    }, edge, space, this.deps.signer);
  }

  /** Joins with an invite for role agent, subscribes, and reads the space from its start. */
  async join(input: JoinInput): Promise<SpaceRow> {
    const invite = decodeInviteUrl(input.invite);
    if (input.options?.brain === "llm" && this.deps.llm === undefined) {
      throw new CommonsError("llm-not-configured", "this edge has no model for the LLM brain: set COMMONS_LLM_URL (and COMMONS_LLM_MODEL, COMMONS_LLM_KEY) as the Worker's variables or secrets, or join with brain rules", { status: 409 });
    }
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
      `INSERT INTO agent_spaces (space, edge, cursor, domains, keywords, handoffs, options, joined_ms) VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
      invite.space, invite.edge, JSON.stringify(me.domains), JSON.stringify(input.keywords ?? []), JSON.stringify(input.handoffs ?? []),
      JSON.stringify(input.options ?? {}), Date.now(),
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
    this.hints.forget(space);
    for (const table of ["agent_watches", "agent_deferrals", "agent_triggers", "agent_queue"]) this.deps.sql.exec(`DELETE FROM ${table} WHERE space = ?`, space);
    this.deps.domainsChanged([...new Set(this.list().flatMap((r) => r.domains))]);
    return true;
  }

  /**
   * The space says something committed: nothing to do if the hint rules it all out, else one
   * more run after the current one (if any). Without a hint (a join, `settled`) it reads.
   */
  notify(space: string, hint?: NotifyHint): Promise<void> {
    const row = hint === undefined ? undefined : this.row(space);
    if (hint !== undefined && (row === undefined || this.hints.ruledOut(row, hint))) return Promise.resolve();
    const previous = this.runs.get(space) ?? Promise.resolve();
    const next = previous.then(async () => this.hints.read(space, (await this.run(space)) ? this.reached.get(space) : undefined))
      .catch((error: unknown) => console.error(`agent ${this.deps.name} in ${space}:`, error));
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

  /** Pushed presence: asks held for an approver who turned active are sent now (the alarm reads presence itself). */
  presenceChanged(space: string, active: readonly string[]): void {
    const held = this.deps.sql.exec<{ args: string }>(`SELECT args FROM agent_queue WHERE space = ?`, space)
      .map((r) => String((JSON.parse(r.args) as { approver?: unknown }).approver ?? ""));
    // A did must be one who arrived; a role ("owner", "human") may be filled by any of them.
    if (!held.some((approver) => !approver.startsWith("did:") || active.includes(approver))) return;
    addWatch(this.deps.sql, space, "presence", "queue", Date.now(), {});
    this.deps.setAlarm(nextDue(this.deps.sql)!);
  }

  /** Resolves once a notify (read or ruled out) has accounted for commit `index`; starts nothing. */
  heard(space: string, index: number): Promise<void> {
    return this.hints.heard(space, index);
  }

  /** Requests made to `space` since the object started. */
  requestsTo(space: string): number {
    return this.requests.get(space) ?? 0;
  }

  /** Acted-on decisions in a space, oldest first (for `commons agent show` and tests). */
  acted(space: string): Array<{ envelope: string; decision: Decision }> {
    return this.deps.sql.exec<{ envelope: string; decision: string }>(`SELECT envelope, decision FROM agent_acted WHERE space = ? ORDER BY at_ms, envelope`, space)
      .map((r) => ({ envelope: r.envelope, decision: JSON.parse(r.decision) as Decision }));
  }

  /** Reads from the cursor and decides; true if it read to the log's end (no tentative envelope stopped it). */
  private async run(space: string): Promise<boolean> {
    const row = this.row(space);
    if (row === undefined) return false;
    const client = this.client(space, row.edge);
    await client.refresh();
    let cursor = row.cursor;
    let work: Map<string, ViewItem> | undefined;
    for (;;) {
      const page = await client.log(cursor);
      for (const entry of page.envelopes) {
        // Decided only once committed: the next notify resumes here. Receipts and appointments
        // are never sequenced themselves (`unsequenced`): nothing to decide, read past them.
        if (entry.status.state === "tentative") return false;
        // The first pass first: the work view is read only for what could matter.
        if (entry.status.state === "committed" && entry.status.verdict === "accepted" && (this.hints.concerns(row, hintFromLog(entry)) || isDeferral(entry))) {
          work ??= await client.work();
          if (await this.consider(client, row, entry, work)) work = undefined; // it acted: the view moved
        }
        cursor = entry.arrival;
        this.deps.sql.exec(`UPDATE agent_spaces SET cursor = ? WHERE space = ?`, cursor, space);
        if (entry.status.state === "committed") this.reached.set(space, Math.max(this.reached.get(space) ?? -1, entry.status.index));
      }
      if (!page.hasMore) return true;
    }
  }

  /** Decides on one committed envelope, records the decision, then carries it out. True if it wrote anything. */
  private async consider(client: SpaceClient, row: SpaceRow, entry: LogEntry, work: Map<string, ViewItem>): Promise<boolean> {
    const self = this.deps.signer.did;
    const body = entry.envelope.body;
    const seen: Seen = { id: entry.id, type: entry.envelope.type, actor: (typeof body.actor === "string" ? body.actor : entry.envelope.author) as Did, body };
    const config: RulesConfig = { domains: row.domains, keywords: row.keywords, handoffs: row.handoffs };
    const commit = entry.status.state === "committed" ? entry.status.index : null;
    const once = (decision: Record<string, unknown>) => {
      if (this.deps.sql.exec(`SELECT 1 FROM agent_acted WHERE space = ? AND envelope = ?`, row.space, entry.id).length > 0) return false;
      this.deps.sql.exec(`INSERT INTO agent_acted (space, envelope, decision, at_ms) VALUES (?, ?, ?, ?)`, row.space, entry.id, JSON.stringify(decision), Date.now());
      return true;
    };
    // Its own claim committed on an item whose description delegates a subtask: hand it over (core/a2a/delegate.ts).
    const cut = { envelope: entry.id, type: seen.type, actor: seen.actor, commit, cursor: entry.arrival };
    if (await delegateOnClaim({ signer: this.deps.signer, space: row.space, seen, work, tools: client, cut, once, fetchImpl: agentFetch(this.deps.env, () => this.list().map((r) => r.edge)) })) return true;
    // A space joined with the LLM brain: the rules' triggers pick what the model is asked about; it acts itself.
    // A watch (an item released, a request about no item) is set as for the rules: the model is asked when it comes due.
    if (row.options.brain === "llm" && this.deps.llm !== undefined) {
      const triggered = decide(config, self, seen, work);
      const ctx = this.actContext(client, row, (kind, summary, data) => client.call("record_trace", { kind, summary, ref: entry.id, data }), { id: entry.id, body });
      if (triggered.action === "watch") return once({ brain: "llm", ...triggered }) ? carryOut(ctx, triggered) : false;
      return this.deps.llm.consider({ space: row.space, domains: row.domains, seen, arrival: entry.arrival, commit, triggered, work, tools: client, once, holds: llmHolds(ctx) });
    }
    // Deferrals by others are remembered as they commit (the circle a second deferral closes):
    // only a trace the tool host wrote names its caller truly (`data.agent`); a member's own
    // `trace.recorded` could name anyone, so it counts for nothing.
    if (seen.type === "trace.recorded" && body.kind === "agent.deferred") {
      if (entry.envelope.author !== client.sequencer) return false;
      const data = (body.data ?? {}) as { agent?: string; to?: string };
      if (typeof body.ref === "string" && data.agent && data.to) {
        this.deps.sql.exec(`INSERT OR IGNORE INTO agent_deferrals (space, item, from_did, to_did) VALUES (?, ?, ?, ?)`, row.space, body.ref, data.agent, data.to);
      }
      return false;
    }
    if (decide(config, self, seen, work, spaceContext(this.deps.sql, row.space, [])).action === "ignore") return false;
    const [done] = this.deps.sql.exec(`SELECT 1 FROM agent_acted WHERE space = ? AND envelope = ?`, row.space, entry.id);
    if (done !== undefined) return false;
    // The conflict check reads the view as it is now, not as the page found it.
    const view = await client.view();
    const decision = decide(config, self, seen, new Map(view.work.map((w) => [w.id, w])), spaceContext(this.deps.sql, row.space, view.members));
    this.deps.sql.exec(`INSERT INTO agent_acted (space, envelope, decision, at_ms) VALUES (?, ?, ?, ?)`, row.space, entry.id, JSON.stringify(decision), Date.now());
    // The cut it decided at (core/a2a/trace.ts): this envelope, its commit, the cursor it had read to, the trigger.
    const saw = { envelope: entry.id, type: seen.type, actor: seen.actor, commit, cursor: entry.arrival, ...("trigger" in decision ? { trigger: decision.trigger } : {}) };
    const trace = (kind: string, summary: string, data: Record<string, unknown>) =>
      client.call("record_trace", { kind, summary, ref: entry.id, data: { saw, ...data } });
    return carryOut(this.actContext(client, row, trace, { id: entry.id, body }), decision);
  }

  private actContext(client: SpaceClient, row: SpaceRow, trace: Trace, seen: ActContext["seen"]): ActContext {
    return {
      client, row, name: this.deps.name, self: this.deps.signer.did, sql: this.deps.sql, trace, seen, now: () => Date.now(),
      ...(row.options.brain === "llm" && this.deps.llm !== undefined ? { llm: this.deps.llm } : {}),
      watch: (kind, target, due, data) => {
        addWatch(this.deps.sql, row.space, kind, target, due, data);
        this.deps.setAlarm(nextDue(this.deps.sql)!);
      },
    };
  }

  /** The agent's alarm: acts on every watch that is due (agent-spaces-alarm.ts), then sets the next one. */
  async alarm(): Promise<void> {
    const taken = takeDue(this.deps.sql, Date.now());
    // Set now to the earliest lease too: should this object die midway, the alarm comes back for them.
    if (taken.length > 0) this.deps.setAlarm(nextDue(this.deps.sql)!);
    for (const watch of taken) {
      const row = this.row(watch.space);
      if (row === undefined) continue;
      const client = this.client(row.space, row.edge);
      await client.refresh();
      // A trace names an envelope: the watched one, or (held-back asks) the item the decision is about.
      const trace: Trace = (kind, summary, data) => {
        const ref = isEnvelopeId(watch.target) ? watch.target : typeof data.item === "string" ? data.item : undefined;
        return client.call("record_trace", { kind, summary, ...(ref ? { ref } : {}), data: { saw: { watch: watch.kind, target: watch.target, due: watch.due }, ...data } });
      };
      // A watch whose action threw stays leased: it comes due again (at most MAX_ATTEMPTS takes).
      await onDue(this.actContext(client, row, trace, { id: watch.target as EnvelopeId, body: {} }), watch)
        .then(() => finish(this.deps.sql, watch), (error: unknown) => console.error(`agent ${this.deps.name} in ${row.space}, ${watch.kind} ${watch.target}:`, error));
    }
    const next = nextDue(this.deps.sql);
    if (next !== null) this.deps.setAlarm(next);
  }
}
