/**
 * Quotas at the door, against a real `wrangler dev` started with small COMMONS_QUOTAS: a
 * socket past its frames is closed 4429 `rate-limited` (a stock provider reconnects and
 * resyncs), a flood of posts from one address gets 429 with Retry-After, an author writing
 * too fast gets `rate-limited` per envelope and nothing of it is stored — and members who
 * stay inside their quota are not touched by someone else's flood.
 */
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { NodeSql } from "../../client/node/sqlite.js";
import { pushOverHttp } from "../../client/node/push.js";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { encodeUpdate } from "../../core/yjs/frames.js";
import { useEdge } from "../support/edge.js";

const QUOTAS = {
  authorEnvelopes: { burst: 12, perSecond: 0.01 },
  socketFrames: { burst: 30, perSecond: 0.01 },
  socketBytes: { burst: 400_000, perSecond: 1 },
};
const edgeOf = useEdge({ vars: { COMMONS_QUOTAS: JSON.stringify(QUOTAS) } });

let space: string;
let owner: Ed25519Signer;
let replica: LogReplica;
const token = async (signer: Ed25519Signer) => {
  const { epoch } = (await (await fetch(`${edgeOf().http}/s/${space}/log/state`)).json()) as { epoch: number };
  return issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch });
};

beforeAll(async () => {
  space = "quotas";
  owner = await Ed25519Signer.generate();
  replica = LogReplica.open(new NodeSql(), parseSpaceId(space));
  const { sequencer } = (await (await fetch(`${edgeOf().http}/s/${space}/log/state`)).json()) as { sequencer: string };
  await replica.append(owner, "space.created", { owners: [owner.did], sequencer: sequencer as never });
  expect((await pushOverHttp(replica, edgeOf().http)).refused).toEqual([]);
});

describe("quotas at the edge", () => {
  it("an author past its envelopes is refused rate-limited per item, with a retry hint, and nothing of it is stored", async () => {
    for (let i = 0; i < 15; i++) await replica.append(owner, "channel.message", { content: `burst ${i}` });
    const { refused } = await pushOverHttp(replica, edgeOf().http);
    // The genesis spent one; eleven more fit. The twelfth is refused, and what follows it in
    // the author's chain waits for it (seq gap): resend from the first refused one, later.
    expect(refused.map((r) => r.code)).toEqual(["rate-limited", "envelope-seq-gap", "envelope-seq-gap", "envelope-seq-gap"]);
    expect(refused[0]!.message).toMatch(/writing too fast here; retry after \d+ s/);
    const state = (await (await fetch(`${edgeOf().http}/s/${space}/log/state`, { headers: { Authorization: `Bearer ${await token(owner)}` } })).json()) as { vv: Record<string, number> };
    expect(state.vv[owner.did]).toBe(12);
  });

  it("a socket past its frames is closed 4429 rate-limited; a new socket of the same member still works", async () => {
    const url = `${edgeOf().ws}/s/${space}?token=${await token(owner)}`;
    const flood = new WebSocket(url);
    await new Promise((resolve) => flood.once("open", resolve));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => flood.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    // Empty Yjs updates: valid frames, each one counted.
    for (let i = 0; i < 40; i++) flood.send(encodeUpdate(new Uint8Array([0, 0])));
    expect(await closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/^rate-limited; retry after \d+ s/) });
    const calm = new WebSocket(url);
    const first = await new Promise<Buffer>((resolve) => calm.once("message", (data: Buffer) => resolve(data)));
    expect(first.length).toBeGreaterThan(0);
    calm.close();
  });

  it("posts from one address past their bytes get 429 with Retry-After; nothing is stored", async () => {
    const big = JSON.stringify({ envelopes: [{ junk: "x".repeat(300_000) }] });
    const first = await fetch(`${edgeOf().http}/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(first.status).toBe(200);
    await first.text();
    const second = await fetch(`${edgeOf().http}/s/${space}/log`, { method: "POST", headers: { "content-type": "application/json" }, body: big });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe("rate-limited");
  });
});
