/**
 * The browser's HTTP calls to its edge (same origin): the open `GET /log/state`, the
 * door's token (self-issued, carrying the committed epoch, as a CLI node's), reads with it,
 * and `POST /log`, which is how a genesis or an invite join gets in before the door lets
 * this key read (docs/PROTOCOL.md).
 */
import { issueCapability } from "../../core/auth/capability.js";
import type { Signer } from "../../core/identity/signer.js";
import type { Did } from "../../core/identity/did.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { IngestResult, WireEnvelope } from "../../core/log/replica.js";

export interface LogState {
  space: string;
  exists: boolean;
  sequencer: string | null;
  epoch: number;
}

/** A refusal from the edge: its stable code and the message saying what to do. */
export class EdgeRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function answer<T>(res: Response): Promise<T> {
  if (res.ok) return (await res.json()) as T;
  const text = await res.text();
  let code = "remote-error";
  let message = `the edge answered ${res.status}`;
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    code = error.code;
    message = error.message;
  } catch {
    // Not a Commons error body (a proxy's page): keep the status as the message.
  }
  throw new EdgeRefusal(res.status, code, message);
}

export const logState = async (space: string): Promise<LogState> => answer(await fetch(`/s/${space}/log/state`));

/** A self-issued root token for the door at the committed `epoch` (GET /log/state): who this browser is. */
export async function doorToken(signer: Signer, space: string, epoch: number): Promise<string> {
  return issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch, ttlSeconds: 3600 });
}

/** The parts of `GET /view` the app shows. */
export interface View {
  frontier: number;
  epoch: number;
  visibility: string;
  members: Array<{ did: Did; role: string; name?: string; domains: string[] }>;
  work: Array<{ id: EnvelopeId; title: string; status: string; claimant?: Did; domains: string[]; createdBy: Did; changes: number; result?: string }>;
  approvals: Array<{ id: EnvelopeId; requestedBy: Did; action: { tool: string; params: Record<string, unknown>; summary: string }; approver: string; status: string; decidedBy?: Did; expiresAt: string; executedBy?: EnvelopeId }>;
  invites: Array<{ id: EnvelopeId; role: string; used: number; uses: number; expiresAt: string; revoked: boolean }>;
}

/** Tokens live an hour; one is reused for 50 minutes. */
const TOKEN_REUSE_MS = 50 * 60_000;

/**
 * The door token of one page's connections: minted when first needed (from the gate's
 * `GET /log/state`, if given) and again when it is within ten minutes of its hour (a
 * reconnect after a long absence), not per connection.
 */
export class DoorTokens {
  private token: Promise<string> | null = null;
  private at = 0;
  private state: Promise<LogState>;

  constructor(private readonly signer: Signer, private readonly space: string, state?: LogState) {
    this.state = state === undefined ? logState(space) : Promise.resolve(state);
  }

  get(): Promise<string> {
    if (this.token === null || Date.now() > this.at + TOKEN_REUSE_MS) {
      // The first token uses the state read at start; a later one (or a retry) reads the epoch again.
      const state = this.at === 0 ? this.state : logState(this.space);
      this.at = Date.now();
      this.token = state.then((s) => doorToken(this.signer, this.space, s.epoch));
      // A failed mint (the edge unreachable) is not kept: the next call tries again.
      this.token.catch(() => (this.token = null));
    }
    return this.token;
  }
}

export async function read<T>(path: string, token: string): Promise<T> {
  return answer(await fetch(path, { headers: { Authorization: `Bearer ${token}` } }));
}

export async function postEnvelopes(space: string, envelopes: WireEnvelope[]): Promise<IngestResult[]> {
  const { results } = await answer<{ results: IngestResult[] }>(
    await fetch(`/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ envelopes }) }),
  );
  return results;
}
