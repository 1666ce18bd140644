/**
 * Joining a space by invite, the node's side: posting the signed `member.joined` to the
 * edge (`POST /s/<space>/log`, open to anyone: envelopes authenticate themselves), and
 * remembering the joiner's own envelopes in a space it has no copy of yet.
 *
 * Why remember them: a join the edge stored stays in the joiner's chain there even when the
 * sequencer rejects it (an expired invite, say). The next join must continue that chain
 * (seq 2, prev = the first) — signing seq 1 again would be a fork, and the edge flags
 * forked authors for good. So every join is saved before it is sent, in
 *
 *   <home>/joins/<space>.json    { "envelopes": [ wire envelopes, in seq order ] }  (0600)
 *
 * and forgotten once a local copy holds the chain. Re-running `commons join` with the same
 * invite re-sends the saved join byte for byte (the edge answers `duplicate`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { CommonsError } from "../../core/errors.js";
import type { SpaceId } from "../../core/ids.js";
import { encodeEnvelope, type Envelope } from "../../core/log/envelope.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { WriterState } from "../../core/log/writer.js";
import { writeSecret, type Home } from "./home.js";
import { offline } from "./remote.js";

export interface Sent {
  id: EnvelopeId;
  envelope: Envelope;
}

const joinsFile = (home: Home, space: SpaceId) => join(home.root, "joins", `${space}.json`);

/** The joiner's own envelopes in `space` that no local copy holds yet, in seq order. */
export function pendingJoins(home: Home, space: SpaceId): Sent[] {
  const file = joinsFile(home, space);
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { envelopes: Sent[] }).envelopes;
  } catch {
    throw new CommonsError("joins-corrupt", `${file} is not what commons wrote: move it aside, then join again (if the edge already holds a join of yours, ask an owner to add you instead).`);
  }
}

/** Saves `sent` (before it leaves this machine). */
export function rememberJoin(home: Home, space: SpaceId, sent: Sent): void {
  const kept = pendingJoins(home, space).filter((e) => e.id !== sent.id);
  mkdirSync(join(home.root, "joins"), { recursive: true, mode: 0o700 });
  writeSecret(joinsFile(home, space), JSON.stringify({ envelopes: [...kept, sent] }));
}

/** Drops one saved envelope (the edge refused it, so it is in no chain), or all of them. */
export function forgetJoins(home: Home, space: SpaceId, id?: EnvelopeId): void {
  const kept = id === undefined ? [] : pendingJoins(home, space).filter((e) => e.id !== id);
  if (kept.length === 0) rmSync(joinsFile(home, space), { force: true });
  else writeSecret(joinsFile(home, space), JSON.stringify({ envelopes: kept }));
}

/** The joiner's chain tip from its saved envelopes, for `createJoinEnvelope`. */
export function savedTip(saved: readonly Sent[]): WriterState["last"] {
  const last = saved.at(-1);
  return last === undefined ? null : { seq: last.envelope.seq, id: last.id, hlc: last.envelope.hlc };
}

/**
 * One ingest result as `POST /log` answers it, and `commit`: the envelope's status after the
 * edge sequenced the request (`LogReplica.status`: `{state: "committed", index, verdict,
 * reason?}` or `{state: "tentative"}`) when the edge reports it. With it, a refused join
 * learns why (expired, used up, revoked) though it may not read the space.
 */
const resultSchema = z.object({
  id: z.string().optional(),
  status: z.enum(["accepted", "duplicate", "rejected"]),
  code: z.string().optional(),
  message: z.string().optional(),
  commit: z.object({ state: z.string(), verdict: z.enum(["accepted", "rejected"]).optional(), reason: z.string().optional() }).optional(),
});
export type PostResult = z.infer<typeof resultSchema>;

/** `POST <http>/s/<space>/log` with one envelope; its ingest result. */
export async function postEnvelope(http: string, space: SpaceId, sent: Sent): Promise<PostResult> {
  const url = `${http}/s/${space}/log`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"envelopes":[${encodeEnvelope(sent.envelope, sent.id)}]}`,
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw offline(http);
  }
  const text = await res.text();
  if (!res.ok) {
    const error = (() => {
      try {
        return (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        return undefined;
      }
    })();
    throw new CommonsError(error?.code ?? "remote-error", `${url} answered ${res.status}: ${error?.message ?? text.slice(0, 200)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = z.object({ results: z.array(resultSchema).length(1) }).safeParse(json);
  if (!parsed.success) throw new CommonsError("remote-error", `${url} did not answer as a Commons edge: ${text.slice(0, 200)}`);
  return parsed.data.results[0]!;
}
