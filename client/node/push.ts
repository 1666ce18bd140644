/**
 * Pushing a local copy's envelopes to a replica over `POST /s/:space/log`, which is open to
 * anyone: envelopes authenticate themselves, and the ingest door refuses strangers'. This is
 * how a key gets in before the door lets it read: `commons create` pushes its genesis (the
 * owner is no member until the genesis commits), `commons host` a whole copy to an empty
 * edge; both then sync over the socket with a token.
 */
import { CommonsError } from "../../core/errors.js";
import type { VersionVector } from "../../core/log/ids.js";
import type { IngestResult, LogReplica } from "../../core/log/replica.js";
import { advance, batches, LOG_BATCH_ENVELOPES } from "../../core/log/sync-protocol.js";
import { offline } from "./remote.js";

export interface Pushed {
  /** Envelopes the remote did not hold and stored. */
  accepted: number;
  refused: IngestResult[];
}

/** Posts everything `replica` holds beyond `from`, in arrival (causal) order. */
export async function pushOverHttp(replica: LogReplica, http: string, from: VersionVector = {}): Promise<Pushed> {
  const url = `${http}/s/${replica.space}/log`;
  const pushed: Pushed = { accepted: 0, refused: [] };
  let vv = from;
  for (;;) {
    const missing = replica.missingFor(vv, LOG_BATCH_ENVELOPES);
    if (missing.length === 0) return pushed;
    for (const batch of batches(missing)) {
      let res: Response;
      try {
        res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ envelopes: batch }), signal: AbortSignal.timeout(30_000) });
      } catch {
        throw offline(http);
      }
      if (!res.ok) throw new CommonsError("remote-error", `${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const { results } = (await res.json()) as { results: IngestResult[] };
      pushed.accepted += results.filter((r) => r.status === "accepted").length;
      pushed.refused.push(...results.filter((r) => r.status === "rejected"));
    }
    vv = advance(vv, missing);
  }
}
