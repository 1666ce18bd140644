/**
 * The signed log at the edge, end to end: clients with their own replicas (node:sqlite)
 * sync with a real `wrangler dev` over sockets and HTTP; the edge verifies, commits and
 * fans out; every replica ends with the same log and the same views. The spaces are
 * private: the owner's genesis goes up over POST first, then every read shows a token.
 */
import { describe, expect, it } from "vitest";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { NodeSql } from "../../client/node/sqlite.js";
import { openLogSocket } from "../../client/sdk/log-socket.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import type { Did } from "../../core/identity/did.js";
import { parseSpaceId } from "../../core/ids.js";
import type { EnvelopeId, VersionVector } from "../../core/log/ids.js";
import { LogReplica, type IngestResult, type WireEnvelope } from "../../core/log/replica.js";
import { encodeLogMessage } from "../../core/log/sync-protocol.js";
import { issueCapability } from "../../core/auth/capability.js";
import { pushOverHttp as pushAll } from "../../client/node/push.js";
import { buildView, viewSnapshot } from "../../core/views/build.js";
import { useEdge } from "../support/edge.js";

const edgeOf = useEdge();

interface LogState {
  sequencer: Did;
  epoch: number;
  vv: VersionVector;
  count: number;
}
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
/** The edge's log state; `token` (a reader's) for the whole of it. */
const state = async (space: string, token?: string) =>
  (await (await fetch(`${edgeOf().http}/s/${space}/log/state`, token === undefined ? {} : bearer(token))).json()) as LogState;
const post = async (space: string, envelopes: unknown[]) => {
  const res = await fetch(`${edgeOf().http}/s/${space}/log`, { method: "POST", body: JSON.stringify({ envelopes }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: IngestResult[] }).results;
};
/** Pulls the whole log over HTTP, page by page, into `replica`. */
async function pull(space: string, replica: LogReplica, token: string): Promise<void> {
  let since = 0;
  for (;;) {
    const page = (await (await fetch(`${edgeOf().http}/s/${space}/log?since=${since}&limit=1000`, bearer(token))).json()) as {
      envelopes: Array<{ id: EnvelopeId; envelope: object }>;
      nextCursor: number;
      hasMore: boolean;
    };
    await replica.ingest(page.envelopes.map((e) => ({ ...e.envelope, id: e.id })));
    since = page.nextCursor;
    if (!page.hasMore) return;
  }
}
/** Pushes what the edge lacks over HTTP, in batches. */
async function pushOverHttp(space: string, replica: LogReplica, token: string): Promise<void> {
  for (;;) {
    const missing = replica.missingFor((await state(space, token)).vv, 256);
    if (missing.length === 0) return;
    await post(space, missing);
  }
}
const snapshot = (replica: LogReplica) => JSON.stringify(viewSnapshot(buildView(replica.since(0))));

/** A space with alice as owner, bob (human) and carol (agent) as members, the edge as sequencer; their tokens. */
async function createSpace(space: string) {
  const [alice, bob, carol] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const open = () => LogReplica.open(new NodeSql(), parseSpaceId(space));
  const replicas = { alice: open(), bob: open(), carol: open() };
  const { sequencer } = await state(space);
  await replicas.alice.append(alice, "space.created", { owners: [alice.did], sequencer });
  await replicas.alice.append(alice, "member.added", { member: bob.did, role: "human", domains: ["ops"] });
  await replicas.alice.append(alice, "member.added", { member: carol.did, role: "agent", domains: ["infra"] });
  // bob decides deploys: the policy names who approves (not the request).
  await replicas.alice.append(alice, "policy.set", { tool: "deploy", tier: 3, approver: bob.did });
  // Before anyone is a member, the door reads nothing for anyone: the genesis goes up over POST.
  await pushAll(replicas.alice, edgeOf().http);
  const { epoch } = await state(space);
  const tokenOf = (signer: Ed25519Signer) => issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch });
  const tokens = { alice: await tokenOf(alice), bob: await tokenOf(bob), carol: await tokenOf(carol) };
  return { alice, bob, carol, replicas, tokens };
}

describe("the signed log at the edge", () => {
  it("1,000 envelopes from 3 authors over 2 sockets and HTTP converge everywhere; attention is exact", async () => {
    const space = "log-converge";
    const { alice, bob, carol, replicas, tokens } = await createSpace(space);
    const url = `${edgeOf().ws}/s/${space}`;

    // A stock Yjs editor works on the same space the whole time.
    const doc = new Y.Doc();
    const editor = new WebsocketProvider(`${edgeOf().ws}/s`, space, doc, { disableBc: true, params: { token: tokens.alice } });

    const sockA = await openLogSocket(url, replicas.alice, { token: tokens.alice });
    await sockA.synced();
    const sockB = await openLogSocket(url, replicas.bob, { token: tokens.bob });
    await sockB.synced();
    await pull(space, replicas.carol, tokens.carol);

    const mentionsOfBob: EnvelopeId[] = [];
    const approvalsForBob: EnvelopeId[] = [];
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    for (let i = 0; i < 330; i++) {
      const mention = i % 10 === 0;
      const sent = await replicas.alice.append(alice, "channel.message", { content: `alice ${i}`, ...(mention ? { mentions: [bob.did] } : {}) });
      if (mention) mentionsOfBob.push(sent.id);
      await replicas.bob.append(bob, "channel.message", { content: `bob ${i}` });
      const request = i % 30 === 0;
      const env: WireEnvelope = request
        ? await replicas.carol.append(carol, "approval.requested", {
            action: { tool: "deploy", params: { n: i }, summary: `deploy ${i}` },
            approver: bob.did,
            expiresAt,
          })
        : await replicas.carol.append(carol, "channel.message", { content: `carol ${i}` });
      if (request) approvalsForBob.push(env.id);
      doc.getText("notes").insert(0, `${i};`);
      if (i % 50 === 49) await Promise.all([sockA.sync.push(), sockB.sync.push(), pushOverHttp(space, replicas.carol, tokens.carol)]);
    }
    await Promise.all([sockA.sync.push(), sockB.sync.push(), pushOverHttp(space, replicas.carol, tokens.carol)]);
    // Bob decides one request: it leaves his attention.
    const decided = approvalsForBob.shift()!;
    await replicas.bob.append(bob, "approval.decided", { request: decided, decision: "approved" });
    await sockB.sync.push();

    const edgeState = await state(space, tokens.alice);
    expect(edgeState.count).toBeGreaterThan(1_000);
    await sockA.until(() => JSON.stringify(replicas.alice.versionVector()) === JSON.stringify(edgeState.vv) && replicas.alice.count() === edgeState.count);
    await sockB.until(() => JSON.stringify(replicas.bob.versionVector()) === JSON.stringify(edgeState.vv) && replicas.bob.count() === edgeState.count);
    await pull(space, replicas.carol, tokens.carol);
    expect(replicas.carol.count()).toBe(edgeState.count);
    expect(snapshot(replicas.alice)).toBe(snapshot(replicas.bob));
    expect(snapshot(replicas.carol)).toBe(snapshot(replicas.alice));
    // Everything was committed and accepted by the edge's sequencer.
    const view = buildView(replicas.alice.since(0));
    const rejected = [...view.verdicts.values()].filter((v) => v.state !== "committed" || v.verdict !== "accepted");
    expect(rejected).toEqual([]);

    const res = await fetch(`${edgeOf().http}/s/${space}/log?attention=${bob.did}&limit=1000`, bearer(tokens.bob));
    const attention = (await res.json()) as { envelopes: Array<{ id: EnvelopeId }> };
    expect(attention.envelopes.map((e) => e.id).sort()).toEqual([...mentionsOfBob, ...approvalsForBob].sort());

    // The editor kept working through all of it.
    await new Promise<void>((resolve) => (editor.synced ? resolve() : editor.on("sync", (s: boolean) => s && resolve())));
    const check = new Y.Doc();
    const reader = new WebsocketProvider(`${edgeOf().ws}/s`, space, check, { disableBc: true, params: { token: tokens.carol } });
    await new Promise<void>((resolve) => {
      const done = () => check.getText("notes").toString() === doc.getText("notes").toString() && resolve();
      check.on("update", done);
      done();
    });
    editor.destroy();
    reader.destroy();
    sockA.close();
    sockB.close();
  });

  it("two members claim one work item at once: exactly one wins on every replica, the other sees why", async () => {
    const space = "log-claims";
    const { alice, bob, carol, replicas, tokens } = await createSpace(space);
    const url = `${edgeOf().ws}/s/${space}`;
    const sockA = await openLogSocket(url, replicas.alice, { token: tokens.alice });
    await sockA.synced();
    const item = await replicas.alice.append(alice, "work.created", { title: "rotate the cert", domains: ["ops"] });
    await sockA.sync.push();
    const sockB = await openLogSocket(url, replicas.bob, { token: tokens.bob });
    const sockC = await openLogSocket(url, replicas.carol, { token: tokens.carol });
    await Promise.all([sockB.synced(), sockC.synced()]);

    const claimB = await replicas.bob.append(bob, "work.claimed", { item: item.id });
    const claimC = await replicas.carol.append(carol, "work.claimed", { item: item.id });
    await Promise.all([sockB.sync.push(), sockC.sync.push()]);

    const final = await state(space, tokens.alice);
    const all = [sockA, sockB, sockC];
    const reps = [replicas.alice, replicas.bob, replicas.carol];
    await Promise.all(all.map((s, i) => s.until(() => reps[i]!.count() === final.count)));
    const statuses = reps.map((r) => [r.status(claimB.id), r.status(claimC.id)] as const);
    for (const s of statuses) expect(s).toEqual(statuses[0]);
    const [b, c] = statuses[0]!;
    if (b.state !== "committed" || c.state !== "committed") throw new Error("both claims should be committed");
    expect([b.verdict, c.verdict].sort()).toEqual(["accepted", "rejected"]);
    const [loser, winner] = b.verdict === "rejected" ? [b, carol.did] : [c, bob.did];
    expect(loser.reason).toContain(`already claimed by ${winner}`);
    for (const r of reps) expect(buildView(r.since(0)).current.work.get(item.id)?.claimant).toBe(winner);
    for (const s of all) s.close();
  });

  it("forged, altered, reordered, replayed and forked envelopes are refused with their codes; the rest lands", async () => {
    const space = "log-refusals";
    const { alice, replicas, tokens } = await createSpace(space);
    const first = replicas.alice.since(0).map((s) => ({ ...s.envelope, id: s.id }));
    const m1 = await replicas.alice.append(alice, "channel.message", { content: "one" });
    const m2 = await replicas.alice.append(alice, "channel.message", { content: "two" });
    // Forged: m2's fields under m1's signature, sent without an id (so the id cannot give it away).
    const { id: _m2id, ...m2Fields } = m2;
    const forged = { ...m2Fields, sig: m1.sig };
    const altered = { ...m1, body: { content: "ONE" } };
    const forker = LogReplica.open(new NodeSql(), parseSpaceId(space));
    await forker.ingest(first);
    const fork = await forker.append(alice, "channel.message", { content: "another one" });

    // Over HTTP: reordered (m2 before m1), forged, altered, good, replayed, forked (the first three are there already).
    const results = await post(space, [...first, m2, forged, altered, m1, m1, fork]);
    expect(results.map((r) => r.code ?? r.status)).toEqual([
      ...first.map(() => "duplicate"),
      "envelope-seq-gap", "envelope-bad-signature", "envelope-id-mismatch", "accepted", "duplicate", "envelope-fork",
    ]);
    // Over the socket, the same refusals; m2 now lands.
    const sock = await openLogSocket(`${edgeOf().ws}/s/${space}`, LogReplica.open(new NodeSql(), parseSpaceId(space)), { live: false, token: tokens.alice });
    const acked = new Promise<IngestResult[]>((resolve) => {
      const original = sock.sync.onMessage.bind(sock.sync);
      sock.sync.onMessage = (json: string) => {
        const message = JSON.parse(json) as { t: string; results?: IngestResult[] };
        if (message.t === "log.ack") resolve(message.results!);
        return original(json);
      };
    });
    sock.ws.send(encodeLogMessage({ t: "log.push", batch: [forged, altered, m2, m2] }));
    expect((await acked).map((r) => r.code ?? r.status)).toEqual(["envelope-bad-signature", "envelope-id-mismatch", "accepted", "duplicate"]);
    sock.close();
    expect((await state(space, tokens.alice)).vv[alice.did]).toBe(first.length + 2);
  });
});
