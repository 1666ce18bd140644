/**
 * The browser's HTTP calls to its edge (same origin): the open `GET /log/state`, the
 * door's token (self-issued, carrying the committed epoch, as a CLI node's), reads with it,
 * and `POST /log`, which is how a genesis or an invite join gets in before the door lets
 * this key read (docs/PROTOCOL.md).
 */
import { issueCapability } from "../../core/auth/capability.js";
import type { Signer } from "../../core/identity/signer.js";
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

export async function read<T>(path: string, token: string): Promise<T> {
  return answer(await fetch(path, { headers: { Authorization: `Bearer ${token}` } }));
}

export async function postEnvelopes(space: string, envelopes: WireEnvelope[]): Promise<IngestResult[]> {
  const { results } = await answer<{ results: IngestResult[] }>(
    await fetch(`/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ envelopes }) }),
  );
  return results;
}
