/** Bindings and exports of the edge Worker (wrangler.toml). */
declare namespace Cloudflare {
  interface Env {
    SPACES: DurableObjectNamespace<import("./durable-objects/space.js").SpaceDO>;
    AGENTS: DurableObjectNamespace<import("./durable-objects/agent.js").AgentDO>;
    /** One CoalitionDO per coalition of a space, named `<space>~<hash>` (durable-objects/coalition-address.ts). */
    COALITIONS: DurableObjectNamespace<import("./durable-objects/coalition.js").CoalitionDO>;
    /** Sealed history segments of every space (core/log/segment-history.ts). */
    HISTORY: R2Bucket;
    /** Envelopes per sealed history segment (default 10,000; tests set it small). */
    COMMONS_SEGMENT_ENVELOPES?: string;
    /** Comma-separated hosts the MCP endpoint answers to (default: loopback names only). */
    COMMONS_ALLOWED_HOSTS?: string;
    /** Quotas at the door as JSON, any subset of core/space/quota.ts QuotaConfig (defaults fill the rest). */
    COMMONS_QUOTAS?: string;
    /** The agent whose card the origin root serves at /.well-known/agent-card.json (workers/index.ts); unset: 404. */
    COMMONS_ROOT_AGENT?: string;
    /** Agents' deterministic A2A-turn brain: "echo" (default) or "hold" (long-running tasks, core/a2a/hold-brain.ts). */
    COMMONS_A2A_BRAIN?: string;
    /** The LLM brain's OpenAI-compatible chat-completions API (core/a2a/chat-client.ts); unset: no LLM brain. */
    COMMONS_LLM_URL?: string;
    COMMONS_LLM_MODEL?: string;
    /** A secret (`wrangler secret put COMMONS_LLM_KEY`), sent as the bearer. */
    COMMONS_LLM_KEY?: string;
    /** "0": whole replies instead of SSE. */
    COMMONS_LLM_STREAM?: string;
  }
  interface Exports {
    /** The Worker's default export (the Hono app), as a service for tests inside workerd. */
    default: Fetcher;
  }
}
interface Env extends Cloudflare.Env {}
