/**
 * An agent's side of a space's HTTP API, with its own key: the door's state, a join, the
 * log from a cursor, the view (work, members, policies), presence, a thread, and the MCP tools (`tools/call`, stateless
 * Streamable HTTP). It takes a `fetch`, so the AgentDO calls its space's object directly on
 * the same edge (a stub's fetch) and anything else could call over the network.
 *
 * Every read carries a capability token the agent signs for itself at the space's current
 * epoch (core/auth/capability.ts), made once per client and again when the epoch moves.
 */
import { issueCapability } from "../auth/capability.js";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import type { Signer } from "../identity/signer.js";
import { encodeEnvelope, type Envelope } from "../log/envelope.js";
import type { EnvelopeId } from "../log/ids.js";
import type { ViewItem } from "./rules-brain.js";

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface LogEntry {
  id: EnvelopeId;
  arrival: number;
  envelope: { type: string; author: Did; body: Record<string, unknown> };
  status: { state: "committed"; index: number; verdict: "accepted" | "rejected"; reason?: string } | { state: "tentative" } | { state: "unsequenced" };
}

export interface ToolAnswer {
  ok: boolean;
  text: string;
  structured: { id?: EnvelopeId; commit?: { state: string; verdict?: "accepted" | "rejected"; reason?: string } } & Record<string, unknown>;
}

export class SpaceClient {
  private token: { epoch: number; value: string } | undefined;

  /** `edge` is the edge's base URL as the invite named it (its host is one the MCP door allows). */
  constructor(private readonly fetch: Fetch, private readonly edge: string, readonly space: string, private readonly signer: Signer) {}

  private url(path: string): string {
    return `${this.edge.replace(/\/+$/, "")}/s/${this.space}${path}`;
  }

  async state(): Promise<{ exists: boolean; epoch: number; sequencer: string }> {
    return this.json(await this.fetch(this.url("/log/state")), "log/state");
  }

  /** A fresh token at the space's epoch now (after a join the epoch moves). */
  /** The space's sequencer (its tool host): the author of every envelope a tool wrote, after `refresh`. */
  sequencer: string | undefined;

  async refresh(): Promise<string> {
    const { epoch, sequencer } = await this.state();
    this.sequencer = sequencer;
    if (this.token?.epoch !== epoch) {
      this.token = { epoch, value: await issueCapability(this.signer, { sub: this.signer.did, space: this.space, tools: ["*"], tier: 4, epoch, ttlSeconds: 3600 }) };
    }
    return this.token.value;
  }

  private async auth(): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${this.token?.value ?? (await this.refresh())}` };
  }

  /** `POST /log` with one envelope signed by the agent; its ingest result with the commit status. */
  async post(id: EnvelopeId, envelope: Envelope): Promise<{ status: string; code?: string; message?: string; commit?: LogEntry["status"] }> {
    const res = await this.fetch(this.url("/log"), { method: "POST", headers: { "content-type": "application/json" }, body: `{"envelopes":[${encodeEnvelope(envelope, id)}]}` });
    const { results } = await this.json<{ results: Array<{ status: string; code?: string; message?: string; commit?: LogEntry["status"] }> }>(res, "log");
    return results[0]!;
  }

  async log(since: number, limit = 200): Promise<{ envelopes: LogEntry[]; nextCursor: number; hasMore: boolean }> {
    return this.json(await this.fetch(this.url(`/log?since=${since}&limit=${limit}`), { headers: await this.auth() }), "log");
  }

  async work(): Promise<Map<string, ViewItem>> {
    const view = await this.json<{ work: ViewItem[] }>(await this.fetch(this.url("/view?sections=work"), { headers: await this.auth() }), "view");
    return new Map(view.work.map((w) => [w.id, w]));
  }

  /** The read model's members, work and policies (what the anti-patterns and the policy's forecast read). */
  async view(): Promise<{ members: Array<{ did: Did; role: string; domains: string[] }>; work: ViewItem[]; policies: Array<Record<string, unknown> & { tool: string }> }> {
    return this.json(await this.fetch(this.url("/view?sections=members,work,policies"), { headers: await this.auth() }), "view");
  }

  /** Verified presence: who is here, in which mode. */
  async presence(): Promise<{ participants: Array<{ id: string; mode: "active" | "monitoring" | "away" }> }> {
    return this.json(await this.fetch(this.url("/presence"), { headers: await this.auth() }), "presence");
  }

  /** The committed messages of a thread (its root and replies), for gap detection. */
  async thread(root: EnvelopeId): Promise<LogEntry[]> {
    return (await this.json<{ envelopes: LogEntry[] }>(await this.fetch(this.url(`/log?thread=${root}&type=channel.message&limit=50`), { headers: await this.auth() }), "log")).envelopes;
  }

  /** A member as the view shows it (role and domains), or undefined. */
  async member(did: Did): Promise<{ role: string; domains: string[] } | undefined> {
    const view = await this.json<{ members: Array<{ did: Did; role: string; domains: string[] }> }>(await this.fetch(this.url("/view?sections=members"), { headers: await this.auth() }), "view");
    return view.members.find((m) => m.did === did);
  }

  /** `POST|DELETE /agents` (edge-internal): tell the space to notify this agent when something commits. */
  async subscribe(name: string, method: "POST" | "DELETE" = "POST"): Promise<void> {
    await this.json(await this.fetch(this.url("/agents"), { method, headers: { ...(await this.auth()), "content-type": "application/json" }, body: JSON.stringify({ name }) }), "agents");
  }

  /** One MCP `tools/call`. A refusal by policy or by the tool is `ok: false` with its text. */
  async call(tool: string, args: Record<string, unknown>): Promise<ToolAnswer> {
    const res = await this.fetch(this.url("/mcp"), {
      method: "POST",
      headers: { ...(await this.auth()), "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: tool, arguments: args } }),
    });
    const text = await res.text();
    // A JSON body, or (the stateless answer) one SSE event whose data is the message.
    const json = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:"))?.slice(5) ?? text);
    let message: { result?: { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: ToolAnswer["structured"] }; error?: { message: string } };
    try {
      message = JSON.parse(json);
    } catch {
      throw new CommonsError("remote-error", `${tool} at ${this.space}: ${res.status} ${text.slice(0, 200)}`);
    }
    if (message.error) throw new CommonsError("remote-error", `${tool} at ${this.space}: ${message.error.message}`);
    const result = message.result ?? {};
    return { ok: result.isError !== true, text: result.content?.map((c) => c.text ?? "").join("\n") ?? "", structured: result.structuredContent ?? {} };
  }

  private async json<T>(res: Response, what: string): Promise<T> {
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        // Not a Commons error body: the status and text say what there is.
      }
      throw new CommonsError(error?.code ?? "remote-error", `${this.space} ${what} answered ${res.status}: ${error?.message ?? text.slice(0, 200)}`, { status: res.status >= 500 ? 502 : res.status });
    }
    return JSON.parse(text) as T;
  }
}
