/**
 * CoalitionDO: one coalition's actor, one object per coalition of a space, reached at
 * `/coalitions/<space>~<hash>` (durable-objects/coalition-address.ts) — an A2A v1.0 agent
 * for the team (docs/COORDINATION.md "CoalitionDO").
 *
 * The record stays the space's log: this object keeps only the coalition as the space's
 * committed state last showed it (members, roles, domains, epoch, status), which the space
 * sends after every commit that concerns it (durable-objects/coalition-space.ts `notify`);
 * it folds nothing. What it does is timing, counting and notifying for the A2A side:
 *
 *   card     at `…/.well-known/agent-card.json`, signed with the coalition's key (the one
 *            `form_coalition` made and handed over, `adopt`), listing its members' skills
 *            (their domains in the space); after dissolution it says so and lists none;
 *   SendMessage from a verified caller (the same capability tokens as agents,
 *            core/a2a/caller.ts, audience this object's did) who may write in the space:
 *            posted as that caller's message in the coalition's thread; the agents among the
 *            members self-select as for any channel message (core/a2a/rules-brain.ts); the
 *            task stays working until a member replies to it, and completes with that reply,
 *            naming the member. A dissolved coalition refuses with UnsupportedOperationError;
 *   GetTask / ListTasks / CancelTask on its own task store, scoped to the caller.
 *
 * The transports, card builder, task store, executor and version checks are the agents'
 * (durable-objects/agent-http.ts, core/a2a/*), mounted under `/coalitions`.
 */
import { Role, TaskState, type Task } from "@a2a-js/sdk";
import { UnsupportedOperationError } from "@a2a-js/sdk/errors";
import { DefaultExecutionEventBusManager, ServerCallContext } from "@a2a-js/sdk/server";
import { DurableObject } from "cloudflare:workers";
import type { Hono } from "hono";
import type { Brain, Step, Turn } from "../core/a2a/brain.js";
import { buildAgentCard, type AgentCardJson } from "../core/a2a/card.js";
import { CallerUser } from "../core/a2a/caller.js";
import { BrainExecutor } from "../core/a2a/executor.js";
import type { AgentName } from "../core/a2a/name.js";
import { SqlTaskStore } from "../core/a2a/task-store.js";
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { Did } from "../core/identity/did.js";
import { Ed25519Signer, type Ed25519PrivateJwk } from "../core/identity/signer.js";
import { coalitionName, parseCoalitionName, type CoalitionAddress } from "./coalition-address.js";
import { askByMessage, loadSigner, migrateCoalition, readView, recordAsk, recordReply, storeSigner, writeView, type Ask } from "./coalition-schema.js";
import type { CoalitionAnswer, CoalitionCall, CoalitionNotice, CoalitionReply, CoalitionView } from "./coalition-space.js";
import { agentApp } from "./agent-http.js";
import { DurableObjectSql } from "./sql-storage.js";

const SEND_METHODS = new Set(["SendMessage", "SendStreamingMessage"]);
const TERMINAL = new Set([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_REJECTED]);

export class CoalitionDO extends DurableObject<Env> {
  private readonly sql = new DurableObjectSql(this.ctx.storage);
  private readonly address: CoalitionAddress;
  private readonly store = new SqlTaskStore(this.sql);
  /** Asks waiting in this instance for their reply, by the ask's message id. */
  private readonly waiting = new Map<string, (reply: CoalitionReply) => void>();
  /** `settled` callers, woken by every notice. */
  private readonly noticed = new Set<() => void>();
  private app: Hono | undefined;
  private signer: { signer: Ed25519Signer; adopted: boolean } | undefined;

  private readonly brain: Brain = {
    skill: { id: "coalition", name: "Coalition", description: "Posts your message in the coalition's thread; the member who takes it answers" },
    think: (turn, signal) => this.ask(turn, signal),
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.address = parseCoalitionName(ctx.id.name ?? "");
    void ctx.blockConcurrencyWhile(async () => {
      migrateCoalition(this.sql);
      this.signer = await loadSigner(this.sql);
    });
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      return (await this.open()).fetch(request);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      return Response.json(error.toJSON(), { status: error.status });
    }
  }

  /** RPC (from the SpaceDO's `form_coalition`): the coalition's key, kept as this object's own if it has none yet. */
  async adopt(jwk: Ed25519PrivateJwk): Promise<{ did: Did; adopted: boolean }> {
    storeSigner(this.sql, jwk, true);
    this.signer = (await loadSigner(this.sql))!;
    this.app = undefined;
    return { did: this.signer.signer.did as Did, adopted: this.signer.adopted };
  }

  /** RPC (from the space, after a commit that concerns the coalition): what the committed state now shows, and replies to asks. */
  async notify(notice: CoalitionNotice): Promise<void> {
    if (notice.view !== undefined) writeView(this.sql, notice.view);
    for (const wake of this.noticed) wake();
    const view = notice.view ?? readView(this.sql);
    for (const reply of notice.replies) {
      const ask = askByMessage(this.sql, reply.message);
      // Only a member of the team answers for it, and never the asker itself.
      if (ask === undefined || reply.actor === ask.owner || !view?.members.some((m) => m.did === reply.actor)) continue;
      if (!recordReply(this.sql, reply.message, reply.id, reply.actor)) continue;
      const waiter = this.waiting.get(reply.message);
      if (waiter !== undefined) waiter(reply);
      else await this.completeStored(ask, reply, view);
    }
  }

  /** RPC, for tests and tools: resolves once the coalition this object keeps was last changed by envelope `since`. */
  async settled(since: string): Promise<void> {
    while (readView(this.sql)?.since !== since) {
      await new Promise<void>((resolve) => {
        const wake = () => (this.noticed.delete(wake), resolve());
        this.noticed.add(wake);
      });
    }
  }

  /** RPC, for tests and tools: the coalition as this object last read it, and its did. */
  async state(): Promise<{ view: CoalitionView | null; did: Did | null; adopted: boolean }> {
    const stored = await loadSigner(this.sql);
    return { view: readView(this.sql) ?? null, did: (stored?.signer.did ?? null) as Did | null, adopted: stored?.adopted ?? false };
  }

  /** The app, once the coalition is known and the object has its key (its own, if none was handed over). */
  private async open(): Promise<Hono> {
    const view = readView(this.sql) ?? (await this.refresh()).view;
    if (view === null) throw new CommonsError("coalition-unknown", `no committed coalition ${this.address.coalition} in space ${this.address.space}: list them with \`commons coalition ${this.address.space} ls\``, { status: 404 });
    if (this.app !== undefined) return this.app;
    this.signer ??= await loadSigner(this.sql);
    if (this.signer === undefined) {
      // Formed on a copy: with a key the space reserved for it (`commons coalition form` online),
      // the space hands it over now; else (a key the copy made) the object answers with its own.
      const { key } = await this.refresh({ op: "key", coalition: this.address.coalition });
      storeSigner(this.sql, key ?? (await Ed25519Signer.generate()).exportPrivateJwk(), key !== undefined);
      this.signer = (await loadSigner(this.sql))!;
    }
    const { signer } = this.signer;
    const name = coalitionName(this.address.space, this.address.coalition) as AgentName;
    return (this.app = agentApp({
      name, signer, prefix: "/coalitions",
      profile: () => ({ name, did: signer.did, description: "", domains: [] }),
      card: (base) => this.card(base),
      admit: (caller, method) => this.admit(caller.did, method),
      brain: this.brain,
      store: this.store,
      executor: new BrainExecutor(this.brain),
      buses: new DefaultExecutionEventBusManager(),
    }));
  }

  /** Asks the space for the coalition now (and, with `caller`, whether they may write there). */
  private async refresh(call: CoalitionCall = { op: "view", coalition: this.address.coalition }): Promise<CoalitionAnswer> {
    const space = this.env.SPACES.get(this.env.SPACES.idFromName(this.address.space));
    const answer = await space.coalitionCall(call);
    if (answer.view !== null) writeView(this.sql, answer.view);
    return answer;
  }

  /** Before a message is taken: the coalition as the space has it now, so a dissolution or a left member counts at once. */
  private async admit(caller: Did, method: string): Promise<void> {
    if (!SEND_METHODS.has(method)) return;
    const { view, callerRole } = await this.refresh({ op: "view", coalition: this.address.coalition, caller });
    if (view?.status === "dissolved") {
      throw new UnsupportedOperationError(`Coalition "${view.name}" was dissolved${view.dissolvedReason ? ` (${view.dissolvedReason})` : ""}: it takes no more messages; ask its members' own agents, or form a new coalition.`);
    }
    if (callerRole === null || callerRole === "observer") {
      throw new CommonsError("not-a-space-member", `${caller} is not a member of space ${this.address.space} who may write: only its members message its coalitions.`, { status: 403 });
    }
  }

  /** One SendMessage: post it in the thread as the caller, then wait for the member who takes it. */
  private async *ask(turn: Turn, signal: AbortSignal): AsyncIterable<Step> {
    if (signal.aborted) return; // Canceled before it was posted: nothing reaches the space.
    const answer = await this.refresh({ op: "post", coalition: this.address.coalition, caller: turn.caller, text: turn.text });
    if (answer.refused !== undefined || answer.posted === undefined) {
      yield { kind: "rejected", text: `Not posted (${answer.refused?.code ?? "refused"}): ${answer.refused?.message ?? "the space did not take it"}` };
      return;
    }
    const message = answer.posted;
    recordAsk(this.sql, turn.taskId, turn.caller, message, Date.now());
    const team = answer.view!;
    yield { kind: "working", text: `Posted in coalition "${team.name}"'s thread as ${message}: the member who takes it answers here.` };
    const reply = await new Promise<CoalitionReply | undefined>((resolve) => {
      this.waiting.set(message, resolve);
      // Canceled while the message was being posted: the abort has fired already.
      if (signal.aborted) resolve(undefined);
      signal.addEventListener("abort", () => resolve(undefined), { once: true });
    }).finally(() => this.waiting.delete(message));
    if (reply === undefined) return;
    yield { kind: "completed", text: answeredBy(reply, readView(this.sql) ?? team) };
  }

  /** A reply to an ask whose waiter is gone (the object was evicted meanwhile): completes the stored task. */
  private async completeStored(ask: Ask, reply: CoalitionReply, view: CoalitionView | undefined): Promise<void> {
    const context = new ServerCallContext({ user: new CallerUser(ask.owner, "", []) });
    const task: Task | undefined = await this.store.load(ask.task, context);
    if (task === undefined || TERMINAL.has(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) return;
    const text = answeredBy(reply, view);
    task.status = {
      state: TaskState.TASK_STATE_COMPLETED, timestamp: new Date().toISOString(),
      message: { messageId: crypto.randomUUID(), contextId: task.contextId, taskId: task.id, role: Role.ROLE_AGENT, parts: [{ content: { $case: "text", value: text }, mediaType: "text/plain", filename: "", metadata: undefined }], metadata: undefined, extensions: [], referenceTaskIds: [] },
    };
    await this.store.save(task, context);
  }

  /** The card: the team's name and goal, one skill per domain its members bring, signed by its key. */
  private card(base: string): AgentCardJson {
    const view = readView(this.sql)!;
    const { signer, adopted } = this.signer!;
    const name = view.name as AgentName;
    const card = buildAgentCard({ name, did: signer.did, description: "", domains: [] }, base, this.brain.skill);
    const keyNote = adopted && view.key === signer.did ? "" : ` (This card's key is the coalition object's own; its budget key ${view.key} was made where the coalition was formed.)`;
    if (view.status === "dissolved") {
      return { ...card, description: `Coalition "${view.name}" in space ${view.space} was dissolved${view.dissolvedReason ? ` (${view.dissolvedReason})` : ""}: it takes no more messages.${keyNote}`, skills: [] };
    }
    const byDomain = new Map<string, string[]>();
    for (const member of view.members) for (const domain of member.domains) byDomain.set(domain, [...(byDomain.get(domain) ?? []), member.name ?? member.did]);
    const skills = [...byDomain].sort(([a], [b]) => (a < b ? -1 : 1)).map(([domain, who]) => ({
      id: domain, name: domain, description: `Work in the ${domain} domain, by ${who.join(", ")}.`, tags: [domain],
    }));
    return {
      ...card,
      description: `Coalition "${view.name}" in space ${view.space}: ${view.goal.slice(0, 500)} — ${view.members.length} members at epoch ${view.epoch}. A message is posted in its thread; the member who takes it answers.${keyNote}`,
      skills: skills.length > 0 ? skills : (card.skills as unknown[]),
    };
  }
}

/** The task's final text: who answered, and what. */
function answeredBy(reply: CoalitionReply, view: CoalitionView | undefined): string {
  const member = view?.members.find((m) => m.did === reply.actor);
  return `${member?.name ? `${member.name} (${reply.actor})` : reply.actor} answered: ${reply.content}`;
}
