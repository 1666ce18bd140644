/**
 * The door, for the benchmarks that measure the socket (fan-out, throughput, cold load,
 * memory, catch-up): at the edge a space exists only after its genesis and every socket shows
 * a capability token (docs/PROTOCOL.md). `openSpaces(target, names)` posts a genesis for each
 * new name (one bench owner key per process, the edge's key as sequencer) and keeps a token
 * per space, which `target.url(space)` then carries as `?token=`. Anchors and the DO floor
 * have no door: for them it does nothing.
 */
import { loadEngineCore } from "./big-space.mjs";

let owner;

export async function openSpaces(target, names) {
  if (target.tokens === undefined) return;
  const core = await loadEngineCore();
  owner ??= await core.Ed25519Signer.generate();
  for (const space of names) {
    if (target.tokens.has(space)) continue;
    const state = await (await fetch(`${target.http}/s/${space}/log/state`)).json();
    if (!state.exists) {
      const { id, envelope } = await core.createEnvelope(owner, { space, last: null, heads: [] }, "space.created", { owners: [owner.did], sequencer: state.sequencer }, Date.now());
      const res = await fetch(`${target.http}/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ envelopes: [{ ...envelope, id }] }) });
      const { results } = await res.json();
      if (results?.[0]?.status !== "accepted") throw new Error(`could not open ${space}: ${JSON.stringify(results)}`);
    }
    target.tokens.set(space, await core.issueCapability(owner, { sub: owner.did, space, tools: ["*"], tier: 4, epoch: 1, ttlSeconds: 24 * 3600 }));
  }
}

/** `Authorization` for an HTTP read of `space` (after openSpaces), or none. */
export function authHeaders(target, space) {
  const token = target.tokens?.get(space);
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}
