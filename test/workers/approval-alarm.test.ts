/**
 * Inside workerd: a tier-3 approval request committed at the edge schedules the SpaceDO's
 * alarm for its expiry, so an unanswered request is recorded as expired without anyone
 * having to call in (core/mcp/approvals.ts holds the expiry logic, tested in Node).
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import { chainWriter } from "./chain-writer.js";
import { freshSpace } from "./socket-client.js";

describe("approval expiry alarm", () => {
  it("is set for the pending request's expiry once the request is committed", async () => {
    const space = freshSpace("alarm");
    const andy = await Ed25519Signer.generate();
    const { envelopes, write } = chainWriter(space, andy);
    const { sequencer } = (await (await exports.default.fetch(`http://edge.test/s/${space}/log/state`)).json()) as { sequencer: string };
    await write("space.created", { owners: [andy.did], sequencer: sequencer as never });
    const expiresAt = new Date(Date.now() + 90_000);
    const request: EnvelopeId = await write("approval.requested", {
      action: { tool: "deploy", params: { env: "prod" }, summary: "deploy to prod" },
      approver: "owner",
      expiresAt: expiresAt.toISOString(),
    });
    const res = await exports.default.fetch(`http://edge.test/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) });
    expect(((await res.json()) as { results: Array<{ status: string }> }).results.map((r) => r.status)).toEqual(["accepted", "accepted"]);

    const stub = env.SPACES.get(env.SPACES.idFromName(space));
    expect(await runInDurableObject(stub, (_i, s) => s.storage.getAlarm())).toBe(expiresAt.getTime());
    // The alarm runs cleanly before the expiry (and re-arms for it); nothing is recorded yet.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, s) => s.storage.getAlarm())).toBe(expiresAt.getTime());
    const token = await issueCapability(andy, { sub: andy.did, space, tools: ["*"], tier: 4, epoch: 1 });
    const thread = (await (await exports.default.fetch(`http://edge.test/s/${space}/log?thread=${request}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { envelopes: unknown[] };
    expect(thread.envelopes).toHaveLength(1);
  });
});
