/**
 * Calling an agent, from anywhere `fetch` runs (the CLI today; an agent delegating to
 * another agent later): read its card, check that it is signed by the did it names, sign a
 * token for that did, and hand back the SDK's own client (ClientFactory, both bindings)
 * with the token on every request. The client is made from the card that was verified, so
 * what is trusted is what is used.
 */
import { AGENT_CARD_PATH, AgentCard } from "@a2a-js/sdk";
import { ClientFactory, createAuthenticatingFetchWithRetry, JsonRpcTransportFactory, RestTransportFactory, type Client } from "@a2a-js/sdk/client";
import { issueAgentCapability } from "../auth/capability.js";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import type { Signer } from "../identity/signer.js";
import { verifyAgentCard, type AgentCardJson } from "./card.js";

export interface RemoteAgent {
  /** The agent's interface base, ending in `/` (the SDK resolves the card relative to it). */
  base: string;
  card: AgentCardJson;
  did: Did;
  client: Client;
  /** The token sent with every call (for tools that want to show or reuse it). */
  token: string;
}

export interface ConnectOptions {
  fetchImpl?: typeof fetch;
  /** "JSONRPC" (default) or "HTTP+JSON": which of the card's bindings to prefer. */
  binding?: "JSONRPC" | "HTTP+JSON";
  /** Token lifetime in seconds. Default 300: a call's worth, not a credential to keep. */
  ttlSeconds?: number;
}

/**
 * The agent's base URL from what a person types: `…/agents/<name>`, with or without a
 * trailing slash, or the card's own URL. Throws `invalid-agent-url`.
 */
export function agentBase(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CommonsError("invalid-agent-url", `"${text}" is not a URL: give the agent's URL, e.g. http://127.0.0.1:8787/agents/ops-bot.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CommonsError("invalid-agent-url", `"${text}" is not an http(s) URL.`);
  url.search = "";
  url.hash = "";
  const path = url.pathname.replace(new RegExp(`/?${AGENT_CARD_PATH.replace(/\./g, "\\.")}$`), "").replace(/\/+$/, "");
  url.pathname = `${path}/`;
  return url.toString();
}

/** Fetches the card at `base` and verifies its signature; the card and its did. */
export async function fetchAgentCard(base: string, fetchImpl: typeof fetch = fetch): Promise<{ card: AgentCardJson; did: Did }> {
  const url = new URL(AGENT_CARD_PATH, base).toString();
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { Accept: "application/json", "A2A-Version": "1.0" } });
  } catch (error) {
    throw new CommonsError("offline", `offline: could not reach ${url} (${(error as Error).message}). Is the edge running (\`npm start\`)?`, { status: 503, cause: error });
  }
  if (!response.ok) {
    throw new CommonsError("agent-card-missing", `${url} answered ${response.status}: no agent card there. An agent's URL looks like http://<edge>/agents/<name>.`, { status: 502 });
  }
  let card: AgentCardJson;
  try {
    card = (await response.json()) as AgentCardJson;
  } catch (error) {
    throw new CommonsError("agent-card-missing", `${url} did not answer JSON: it is not an A2A agent card.`, { status: 502, cause: error });
  }
  return { card, did: await verifyAgentCard(card) };
}

/** Reads and verifies the agent's card, then makes the SDK client that calls it as `signer`. */
export async function connectAgent(url: string, signer: Signer, options: ConnectOptions = {}): Promise<RemoteAgent> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const base = agentBase(url);
  const { card, did } = await fetchAgentCard(base, fetchImpl);
  const token = await issueAgentCapability(signer, { agent: did, ttlSeconds: options.ttlSeconds ?? 300 });
  const authed = createAuthenticatingFetchWithRetry(fetchImpl, {
    headers: async () => ({ Authorization: `Bearer ${token}` }),
    // A refused token is not retried with another: the refusal says what to fix.
    shouldRetryWithHeaders: async () => undefined,
  });
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl: authed }), new RestTransportFactory({ fetchImpl: authed })],
    preferredTransports: [options.binding ?? "JSONRPC"],
  });
  return { base, card, did, token, client: await factory.createFromAgentCard(AgentCard.fromJSON(card)) };
}
