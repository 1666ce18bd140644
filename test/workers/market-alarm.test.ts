/**
 * Inside workerd: a call for bids' deadline is the SpaceDO's alarm, and the alarm posts the
 * award (core/mcp/market-alarm.ts) — the winner the award rule gives from the committed
 * bids, written by the space's tool host and judged like any award. Deadlines that have
 * passed are reached with past HLC stamps (the door refuses only stamps from the future),
 * and the alarm is fired with `runDurableObjectAlarm` instead of waiting for it.
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import type { Envelope } from "../../core/log/envelope.js";
import type { EnvelopeId } from "../../core/log/ids.js";
import type { BodyOf, EnvelopeType } from "../../core/log/types/index.js";
import { createEnvelope, type WriterState } from "../../core/log/writer.js";
import { buildView } from "../../core/views/build.js";
import { freshSpace } from "./socket-client.js";

type Result = { id?: string; status: string; code?: string; message?: string; commit?: { state: string; verdict?: string; reason?: string } };
type Written = { id: EnvelopeId; hlc: string; wire: unknown };
type Stored = { id: EnvelopeId; envelope: Envelope; status: { state: string; verdict?: string; reason?: string } };

/** One author's chain with stamps the test chooses (`at`), citing the envelopes it names as causes. */
function stamped(space: string, author: Ed25519Signer) {
  const state: WriterState = { space: parseSpaceId(space), last: null, heads: [] };
  return async <T extends EnvelopeType>(type: T, body: BodyOf<T>, at: number, after: { id: EnvelopeId; hlc: string }[] = []): Promise<Written> => {
    state.heads = after;
    const { id, envelope } = await createEnvelope(author, state, type, body, at);
    state.last = { seq: envelope.seq, id, hlc: envelope.hlc };
    return { id, hlc: envelope.hlc, wire: { ...envelope, id } };
  };
}

async function post(space: string, envelopes: unknown[]): Promise<Result[]> {
  const res = await exports.default.fetch(`http://edge.test/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) });
  return ((await res.json()) as { results: Result[] }).results;
}

const verdicts = (results: Result[]) => results.map((r) => r.commit?.verdict ?? r.status);

/** A space with an owner, four bidding agents and three open items; every stamp a minute or more ago. */
async function market() {
  const space = freshSpace("market");
  const andy = await Ed25519Signer.generate();
  const bidders = await Promise.all([0, 1, 2, 3].map(() => Ed25519Signer.generate()));
  const { sequencer } = (await (await exports.default.fetch(`http://edge.test/s/${space}/log/state`)).json()) as { sequencer: Did };
  const t0 = Date.now();
  const owner = stamped(space, andy);
  const setup = [await owner("space.created", { owners: [andy.did], sequencer }, t0 - 120_000)];
  for (const [i, bidder] of bidders.entries()) setup.push(await owner("member.added", { member: bidder.did, role: "agent", domains: ["infra"], name: `bidder-${i}` }, t0 - 119_000 + i));
  const items = [];
  for (const title of ["rotate the cert", "patch the kernel", "renew the domain"]) items.push(await owner("work.created", { title }, t0 - 110_000 + items.length));
  setup.push(...items);
  expect(verdicts(await post(space, setup.map((e) => e.wire)))).toEqual(setup.map(() => "accepted"));
  const token = await issueCapability(andy, { sub: andy.did, space, tools: ["*"], tier: 4, epoch: 1 + bidders.length });
  const read = async (query: string): Promise<Stored[]> => {
    const res = await exports.default.fetch(`http://edge.test/s/${space}/log?${query}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { envelopes: Stored[] }).envelopes;
  };
  const stub = env.SPACES.get(env.SPACES.idFromName(space));
  return { space, andy, bidders, sequencer, t0, owner, writers: bidders.map((b) => stamped(space, b)), items, read, stub };
}

/**
 * Fires the alarm and waits for its writes. workerd may have delivered an alarm whose time
 * had already passed before the test asks for it (then `runDurableObjectAlarm` finds none
 * scheduled): either way the alarm runs in the space's write queue, so one empty turn of
 * that queue after it means its writes have committed.
 */
async function fireAlarm(stub: DurableObjectStub): Promise<void> {
  await runDurableObjectAlarm(stub);
  await runInDurableObject(stub, (instance) => (instance as unknown as { log: { exclusive(work: () => Promise<void>): Promise<void> } }).log.exclusive(async () => {}));
}

describe("market deadline alarm", () => {
  it("awards the rule's winner at the deadline, tells the losers, refuses later bids, and a second replica folds the same award", async () => {
    const m = await market();
    const [item] = m.items;
    const deadline = m.t0 - 20_000;
    const call = await m.owner("work.bids_called", { item: item!.id, deadline: new Date(deadline).toISOString() }, m.t0 - 60_000);
    // Lowest cost wins; bidders 1 and 2 tie on cost and 2's shorter estimate breaks it.
    const offers = [{ cost: 5, eta: 60 }, { cost: 3, eta: 600 }, { cost: 3, eta: 300 }];
    const bids = [];
    for (const [i, offer] of offers.entries()) bids.push(await m.writers[i]!("work.bid", { item: item!.id, ...offer, confidence: 0.9 }, m.t0 - 40_000, [call]));
    expect(verdicts(await post(m.space, [call.wire, ...bids.map((b) => b.wire)]))).toEqual(["accepted", "accepted", "accepted", "accepted"]);

    await fireAlarm(m.stub);
    const awards = await m.read("type=work.awarded");
    expect(awards).toHaveLength(1);
    expect(awards[0]!.envelope.author).toBe(m.sequencer);
    expect(awards[0]!.envelope.body).toEqual({ item: item!.id, winner: m.bidders[2]!.did, bid: bids[2]!.id });
    expect(awards[0]!.status).toMatchObject({ state: "committed", verdict: "accepted" });

    // The notice: in the item's thread, mentioning the winner, both losers and the caller.
    const notices = (await m.read(`thread=${item!.id}`)).filter((e) => e.envelope.type === "channel.message");
    expect(notices).toHaveLength(1);
    const notice = notices[0]!.envelope.body as BodyOf<"channel.message">;
    expect(notice.content).toContain(`awarded to ${m.bidders[2]!.did}`);
    const notAwarded = notice.content.split("Not awarded: ")[1] ?? "";
    for (const loser of m.bidders.slice(0, 2)) expect(notAwarded).toContain(loser.did);
    expect(notAwarded).not.toContain(m.bidders[2]!.did);
    expect([...notice.mentions!].sort()).toEqual([m.andy.did, ...m.bidders.slice(0, 3).map((b) => b.did)].sort());

    // A bid stamped before the deadline by a node that was offline until now, and one stamped
    // after it: both refused in commit order (the award closed bidding), the award stands.
    const offline = await m.writers[3]!("work.bid", { item: item!.id, cost: 0, eta: 10, confidence: 1 }, deadline - 10_000, [call]);
    const late = await m.writers[3]!("work.bid", { item: item!.id, cost: 1, eta: 10, confidence: 1 }, Date.now(), [call]);
    for (const result of await post(m.space, [offline.wire, late.wire])) {
      expect(result.commit).toMatchObject({ verdict: "rejected", reason: expect.stringContaining("bidding is closed") });
    }

    // The second replica: every envelope the edge holds, folded from scratch.
    const all = await m.read("limit=1000");
    const replica = buildView(all.map(({ id, envelope }) => ({ id, envelope }))).committed;
    expect(replica.markets.get(item!.id)).toMatchObject({ status: "awarded", winner: m.bidders[2]!.did, bid: bids[2]!.id });
    expect(replica.work.get(item!.id)).toMatchObject({ status: "claimed", claimant: m.bidders[2]!.did });
  });

  it("closes a call with no bids with no winner, tells its caller, and the item goes back to first claim", async () => {
    const m = await market();
    const item = m.items[1]!;
    const call = await m.owner("work.bids_called", { item: item.id, deadline: new Date(m.t0 - 20_000).toISOString() }, m.t0 - 60_000);
    // Until the award, the item is a market item: a claim committed with the call is refused.
    const early = await m.writers[0]!("work.claimed", { item: item.id }, m.t0 - 30_000, [call]);
    const [called, claimed] = await post(m.space, [call.wire, early.wire]);
    expect(called!.commit?.verdict).toBe("accepted");
    expect(claimed!.commit).toMatchObject({ verdict: "rejected", reason: expect.stringContaining("awarded by market") });

    await fireAlarm(m.stub);
    const awards = await m.read("type=work.awarded");
    expect(awards.map((a) => [a.envelope.author, a.envelope.body, a.status.verdict])).toEqual([[m.sequencer, { item: item.id }, "accepted"]]);
    const [notice] = (await m.read(`thread=${item.id}`)).filter((e) => e.envelope.type === "channel.message");
    expect(notice!.envelope.body).toMatchObject({ mentions: [m.andy.did], content: expect.stringContaining("with no bids") });
    const claim = await m.writers[1]!("work.claimed", { item: item.id }, Date.now());
    expect(verdicts(await post(m.space, [claim.wire]))).toEqual(["accepted"]);
  });

  it("refuses forged and early awards: a stranger's, one in the owner's name from a non-host key, one before the deadline, one naming another winner", async () => {
    const m = await market();
    const item = m.items[0]!;
    const deadline = Date.now() + 60_000;
    const call = await m.owner("work.bids_called", { item: item.id, deadline: new Date(deadline).toISOString() }, Date.now());
    const cheap = await m.writers[0]!("work.bid", { item: item.id, cost: 1, eta: 60, confidence: 0.5 }, Date.now(), [call]);
    const dear = await m.writers[1]!("work.bid", { item: item.id, cost: 9, eta: 60, confidence: 0.5 }, Date.now(), [call]);
    expect(verdicts(await post(m.space, [call.wire, cheap.wire, dear.wire]))).toEqual(["accepted", "accepted", "accepted"]);

    const stranger = await Ed25519Signer.generate();
    const forge = stamped(m.space, stranger);
    const [strangers] = await post(m.space, [(await forge("work.awarded", { item: item.id, winner: m.bidders[0]!.did, bid: cheap.id }, deadline + 1_000, [call])).wire]);
    expect(strangers!.status).toBe("rejected");
    expect(strangers!.code).toBe("envelope-not-member");
    // A key that is not the space's tool host cannot act in the owner's name either.
    const [onBehalf] = await post(m.space, [(await m.writers[2]!("work.awarded", { item: item.id, winner: m.bidders[0]!.did, bid: cheap.id, actor: m.andy.did }, deadline + 1_000, [call])).wire]);
    expect(onBehalf!.commit).toMatchObject({ verdict: "rejected", reason: expect.stringContaining("only the space's tool host") });
    // The owner, before the deadline, and after it for the wrong winner.
    const [tooEarly] = await post(m.space, [(await m.owner("work.awarded", { item: item.id, winner: m.bidders[0]!.did, bid: cheap.id }, Date.now(), [call])).wire]);
    expect(tooEarly!.commit).toMatchObject({ verdict: "rejected", reason: expect.stringContaining("has not passed") });
    const [wrong] = await post(m.space, [(await m.owner("work.awarded", { item: item.id, winner: m.bidders[1]!.did, bid: dear.id }, deadline + 1_000, [call])).wire]);
    expect(wrong!.commit).toMatchObject({ verdict: "rejected", reason: expect.stringContaining(`the award rule gives bid ${cheap.id}`) });

    // The alarm stays set for the deadline, and firing it early awards nothing.
    expect(await runInDurableObject(m.stub, (_i, state) => state.storage.getAlarm())).toBe(deadline);
    await fireAlarm(m.stub);
    expect((await m.read("type=work.awarded")).filter((a) => a.status.verdict === "accepted")).toEqual([]);
    expect(await runInDurableObject(m.stub, (_i, state) => state.storage.getAlarm())).toBe(deadline);
  });

  it("does nothing at the deadline when a member awarded first", async () => {
    const m = await market();
    const item = m.items[2]!;
    const deadline = m.t0 - 20_000;
    const call = await m.owner("work.bids_called", { item: item.id, deadline: new Date(deadline).toISOString() }, m.t0 - 60_000);
    const bid = await m.writers[0]!("work.bid", { item: item.id, cost: 2, eta: 60, confidence: 0.7 }, m.t0 - 40_000, [call]);
    const manual = await m.owner("work.awarded", { item: item.id, winner: m.bidders[0]!.did, bid: bid.id }, m.t0 - 10_000, [bid]);
    expect(verdicts(await post(m.space, [call.wire, bid.wire, manual.wire]))).toEqual(["accepted", "accepted", "accepted"]);

    await fireAlarm(m.stub);
    // One award (the owner's, of any verdict: a second try by the alarm would be in the log, refused), one notice.
    expect((await m.read("type=work.awarded")).map((a) => a.id)).toEqual([manual.id]);
    expect((await m.read(`thread=${item.id}`)).filter((e) => e.envelope.type === "channel.message")).toHaveLength(1);
  });

  it("shares the one alarm with approval expiry: it is set for the earliest of both, and a later deadline never postpones it", async () => {
    const m = await market();
    const alarm = () => runInDurableObject(m.stub, (_i, state) => state.storage.getAlarm());
    const now = Date.now();
    const expiry = now + 90_000;
    const request = await m.owner("approval.requested", { action: { tool: "deploy", params: {}, summary: "deploy" }, approver: "owner", expiresAt: new Date(expiry).toISOString() }, now);
    expect(verdicts(await post(m.space, [request.wire]))).toEqual(["accepted"]);
    expect(await alarm()).toBe(expiry);
    const sooner = now + 60_000;
    expect(verdicts(await post(m.space, [(await m.owner("work.bids_called", { item: m.items[0]!.id, deadline: new Date(sooner).toISOString() }, now + 1)).wire]))).toEqual(["accepted"]);
    expect(await alarm()).toBe(sooner);
    expect(verdicts(await post(m.space, [(await m.owner("work.bids_called", { item: m.items[1]!.id, deadline: new Date(now + 120_000).toISOString() }, now + 2)).wire]))).toEqual(["accepted"]);
    expect(await alarm()).toBe(sooner);
    // A new approval request recomputes from both: the deadline is still the earliest.
    expect(verdicts(await post(m.space, [(await m.owner("approval.requested", { action: { tool: "deploy", params: { env: "b" }, summary: "deploy b" }, approver: "owner", expiresAt: new Date(now + 100_000).toISOString() }, now + 3)).wire]))).toEqual(["accepted"]);
    expect(await alarm()).toBe(sooner);
    // Firing it early awards nothing and re-arms for the same deadline.
    await fireAlarm(m.stub);
    expect(await alarm()).toBe(sooner);
    expect(await m.read("type=work.awarded")).toEqual([]);
  });
});
