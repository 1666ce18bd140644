/**
 * How an AgentDO reaches the agents it delegates to (core/a2a/delegate.ts): an agent URL on
 * an edge this agent's spaces live on (`…/agents/<name>…` at one of their origins) goes to
 * that agent's object on this deployment directly — a Worker fetching its own public URL
 * would leave the edge and come back, or fail — and any other URL (another deployment) is
 * fetched over the network as usual.
 */
import { parseAgentName } from "../core/a2a/name.js";

export function agentFetch(env: Env, edges: () => readonly string[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const local = edges().some((edge) => new URL(edge).origin === url.origin);
    const name = /^\/agents\/([^/]+)(?:\/|$)/.exec(url.pathname)?.[1];
    if (!local || name === undefined) return fetch(request);
    return env.AGENTS.get(env.AGENTS.idFromName(parseAgentName(decodeURIComponent(name)))).fetch(request);
  };
}
