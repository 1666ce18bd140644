/**
 * AgentDO: one agent, one object per name, reached at `/agents/:name` — an A2A v1.0 agent
 * with its own Ed25519 did:key (kept in its SQLite), a signed card, the JSON-RPC and
 * HTTP+JSON bindings, and tasks in its SQLite so an evicted agent keeps them.
 *
 * A thin actor: it opens its storage (agent-schema.ts), makes its key, and hands every
 * request to its own Hono app (agent-http.ts) over the SDK's request handler, a task store
 * on its SQLite (core/a2a/task-store.ts) and an executor around its brain
 * (core/a2a/executor.ts, core/a2a/echo-brain.ts). Docs: docs/AGENTS.md.
 *
 * Membership and self-selection (issue 12 items 2–3) live in agent-spaces.ts: it joins
 * spaces by invite, is notified by them after commits (`notify`), reads each from its
 * cursor and acts through the space's MCP tools as its rules brain (core/a2a/rules-brain.ts)
 * decides. `configure` sets the card's domains (joins set them from the memberships).
 */
import { DefaultExecutionEventBusManager } from "@a2a-js/sdk/server";
import { DurableObject } from "cloudflare:workers";
import type { Hono } from "hono";
import type { Brain } from "../core/a2a/brain.js";
import type { AgentProfile } from "../core/a2a/card.js";
import { ChatClient, llmConfigFrom } from "../core/a2a/chat-client.js";
import { delegateeBrain, delegateFunction } from "../core/a2a/delegate.js";
import { turnBrainNamed } from "../core/a2a/hold-brain.js";
import { llmBrain, LlmSpaceBrain } from "../core/a2a/llm-brain.js";
import { BrainExecutor } from "../core/a2a/executor.js";
import { parseAgentName, type AgentName } from "../core/a2a/name.js";
import { SqlTaskStore } from "../core/a2a/task-store.js";
import type { Ed25519Signer } from "../core/identity/signer.js";
import { loadOrCreateAgentSigner, migrateAgent, readProfile, writeProfile } from "./agent-schema.js";
import { agentFetch } from "./agent-delegation.js";
import { agentApp } from "./agent-http.js";
import { AgentSpaces, type JoinInput, type SpaceRow } from "./agent-spaces.js";
import { spacesRoutes } from "./agent-spaces-http.js";
import type { NotifyHint } from "../core/a2a/notify-hint.js";
import { DurableObjectSql } from "./sql-storage.js";

/** Domains and description `configure` accepts: short, lowercase words, at most 32 domains. */
const DOMAIN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export class AgentDO extends DurableObject<Env> {
  private readonly sql = new DurableObjectSql(this.ctx.storage);
  /** The model, when the edge has one (COMMONS_LLM_URL): the LLM brain thinks with it. */
  private readonly chat = ((config) => (config ? new ChatClient(config) : undefined))(llmConfigFrom(this.env));
  /** The edge's deterministic A2A-turn brain: echo, or hold when COMMONS_A2A_BRAIN says so (core/a2a/hold-brain.ts). */
  private readonly turnBrain = turnBrainNamed(this.env.COMMONS_A2A_BRAIN);
  /** A2A turns: the LLM brain once the agent thinks with it in some space, else the deterministic one. */
  private readonly brain: Brain = delegateeBrain({
    skill: this.turnBrain.skill,
    think: (turn, signal) => (this.chat !== undefined && this.spaces.list().some((r) => r.options.brain === "llm")
      ? llmBrain(this.chat, () => this.profile())
      : this.turnBrain).think(turn, signal),
  }, (space) => this.spaces.tools(space), () => this.name);
  private name!: AgentName;
  private signer!: Ed25519Signer;
  private app!: Hono;
  private spaces!: AgentSpaces;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Nothing is answered before the key exists: a card is always signed by the stored key.
    void ctx.blockConcurrencyWhile(async () => {
      migrateAgent(this.sql);
      this.name = parseAgentName(ctx.id.name ?? "");
      this.signer = await loadOrCreateAgentSigner(this.sql);
      this.app = agentApp({
        name: this.name,
        signer: this.signer,
        profile: () => readProfile(this.sql, this.name, this.signer),
        brain: this.brain,
        store: new SqlTaskStore(this.sql),
        executor: new BrainExecutor(this.brain),
        buses: new DefaultExecutionEventBusManager(),
        routes: (app) => spacesRoutes(app, this.signer, () => this.spaces),
      });
      this.spaces = new AgentSpaces({
        name: this.name, sql: this.sql, signer: this.signer, env: this.env,
        domainsChanged: (domains) => void this.configure({ domains }),
        setAlarm: (at) => void this.ctx.storage.setAlarm(at),
        ...(this.chat ? { llm: new LlmSpaceBrain(this.chat, this.sql, { did: this.signer.did, name: this.name }, [delegateFunction(this.signer, agentFetch(this.env, () => this.spaces.list().map((r) => r.edge)))]) } : {}),
      });
    });
  }

  override fetch(request: Request): Promise<Response> | Response {
    return this.app.fetch(request);
  }

  /** RPC: the agent's name, did and what its card says (for the Worker and other actors). */
  profile(): AgentProfile {
    return readProfile(this.sql, this.name, this.signer);
  }

  /**
   * RPC: a space this agent is in committed something, with the space's hint of what. Answers
   * at once: the agent's triggers filter the hint and, only if one could match, it reads from
   * its cursor in its own turn (durable-objects/agent-spaces.ts), never inside the space's
   * write queue, so the space never waits on its agents. Only this Worker's own objects can
   * call it (an RPC, not a route), and even so the hint is no authority: the agent acts only
   * on committed state it reads with its own token.
   */
  notify(space: string, hint?: NotifyHint): void {
    this.ctx.waitUntil(this.spaces.notify(space, hint));
  }

  /**
   * RPC: members of `space` turned active (its presence relay). An agent holding asks for one
   * of them sends them now (reading presence itself: the push is a hint); else nothing.
   */
  presence(space: string, active: string[]): void {
    this.spaces.presenceChanged(space, active);
  }

  /** RPC, for tests and tools: resolves once a notify has accounted for commit `index` in `space` (read or ruled out by its hint). */
  heard(space: string, index: number): Promise<void> {
    return this.spaces.heard(space, index);
  }

  /** Its watches come due (under-claiming, gap detection, held-back asks: agent-spaces-alarm.ts). */
  override async alarm(): Promise<void> {
    await this.spaces.alarm();
  }

  /** RPC: joins a space by invite (what `POST /agents/:name/spaces` does). */
  join(input: JoinInput): Promise<SpaceRow> {
    return this.spaces.join(input);
  }

  /** RPC, for tests and tools: resolves once the agent has read `space` past commit `index`. */
  settled(space: string, index: number): Promise<void> {
    return this.spaces.settled(space, index);
  }

  /** RPC: the spaces this agent is in, and what it acted on in one. */
  memberships(space?: string) {
    return space === undefined ? { spaces: this.spaces.list() } : { spaces: this.spaces.list().filter((r) => r.space === space), acted: this.spaces.acted(space), requests: this.spaces.requestsTo(space) };
  }

  /** RPC: sets what the card says about the agent (issue 12 item 2's `commons agent add`). */
  configure(update: { description?: string; domains?: string[] }): AgentProfile {
    const current = this.profile();
    const domains = update.domains ?? current.domains;
    if (domains.length > 32 || !domains.every((d) => DOMAIN.test(d))) {
      throw new Error("domains are at most 32 short lowercase names (letters, digits, . _ -)");
    }
    const description = (update.description ?? current.description).slice(0, 1000);
    writeProfile(this.sql, { description, domains: [...new Set(domains)] });
    return this.profile();
  }
}
