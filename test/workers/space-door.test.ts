/**
 * The space's door inside workerd, tried as an attacker would: who may open the socket and
 * the HTTP reads, what an anonymous or non-member connection gets of a private and of a
 * public-read space, writes without the right, presence bound to identity, and rights that
 * follow membership changes on sockets already open. After every refusal the space keeps
 * working for its members (docs/PROTOCOL.md, "Who is connecting").
 */
import * as decoding from "lib0/decoding";
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { decodeLogServerMessage, encodeLogMessage } from "../../core/log/sync-protocol.js";
import { encodeAwarenessEntries, MAX_OWNED_CLIENTS } from "../../core/space/presence.js";
import { Refusal } from "../../core/space/yjs-room.js";
import { encodeAwareness } from "../../core/yjs/frames.js";
import { chainWriter } from "./chain-writer.js";
import { call, openSpace, presenceOf, upgrade, type TestClient, type TestSpace } from "./socket-client.js";

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** A private space with content, Andy (human) and Olive (observer) as members. */
async function privateSpace() {
  const s = await openSpace("door", { members: { Andy: "human", Olive: "observer" } });
  const owner = await s.connect(s.owner);
  owner.doc.getText("body").insert(0, "secret plan");
  const andy = await s.connect(s.members.Andy!);
  await andy.until(() => andy.text() === "secret plan");
  return { s, owner, andy };
}

/** The members still read and write: a new edit by the owner reaches Andy, and a fresh socket has it all. */
async function stillWorks(s: TestSpace, owner: TestClient, andy: TestClient) {
  const before = andy.text();
  owner.doc.getText("body").insert(owner.text().length, "!");
  await andy.until(() => andy.text() === `${before}!`);
  const fresh = await s.connect(s.owner);
  expect(fresh.text()).toBe(`${before}!`);
  fresh.close();
}

/** Sends one raw awareness update with these (clientId → state) entries. */
function sendStates(client: TestClient, entries: Array<[number, Record<string, unknown> | null]>) {
  client.send(encodeAwareness(encodeAwarenessEntries(entries.map(([clientId, state]) => ({ clientId, clock: 1, state })))));
}

describe("the socket's door on a private space", () => {
  it("an anonymous upgrade is refused with 401 token-missing before any socket exists", async () => {
    const { s, owner, andy } = await privateSpace();
    const res = await upgrade(s.space);
    expect(res.webSocket).toBeNull();
    expect(res.status).toBe(401);
    const error = await errorOf(res);
    expect(error.code).toBe("token-missing");
    expect(error.message).toContain(`commons token ${s.space}`);
    await stillWorks(s, owner, andy);
  });

  it("tokens that do not verify are refused with their code, never treated as anonymous", async () => {
    const { s, owner, andy } = await privateSpace();
    const stranger = await Ed25519Signer.generate();
    const good = await s.token(s.owner);
    const [header, payload] = good.split(".");
    const forged = `${header}.${payload}.${(await s.token(stranger)).split(".")[2]}`;
    const otherSpace = await issueCapability(s.owner, { sub: s.owner.did, space: "another-space", tools: ["*"], tier: 4, epoch: 1 });
    const expired = await s.token(s.owner, { now: Date.now() - 7_200_000, ttlSeconds: 60 });
    const cases: Array<[string, string, number, string]> = [
      ["a forged signature", forged, 401, "token-bad-signature"],
      ["a token for another space", otherSpace, 401, "token-wrong-audience"],
      ["an expired token", expired, 401, "token-expired"],
      ["garbage", "not.a.token", 401, "token-malformed"],
      ["a non-member's own token", await s.token(stranger), 403, "not-a-member"],
    ];
    for (const [what, token, status, code] of cases) {
      for (const res of [await upgrade(s.space, `?token=${encodeURIComponent(token)}`), await upgrade(s.space, "", { Authorization: `Bearer ${token}` })]) {
        expect(res.webSocket, what).toBeNull();
        expect([res.status, (await errorOf(res)).code], what).toEqual([status, code]);
      }
    }
    await stillWorks(s, owner, andy);
  });

  it("GET /log and /presence refuse without a token and serve a member with one; /log/state tells a stranger only what a newcomer needs", async () => {
    const { s, owner, andy } = await privateSpace();
    const stranger = await Ed25519Signer.generate();
    for (const path of [`/s/${s.space}/log`, `/s/${s.space}/presence`]) {
      const anonymous = await call(path);
      expect([anonymous.status, (await errorOf(anonymous)).code], path).toEqual([401, "token-missing"]);
      const outsider = await call(path, bearer(await s.token(stranger)));
      expect([outsider.status, (await errorOf(outsider)).code], path).toEqual([403, "not-a-member"]);
      const forged = await call(`${path}?token=${(await s.token(s.owner)).slice(0, -4)}AAAA`);
      expect([forged.status, (await errorOf(forged)).code], path).toEqual([401, "token-bad-signature"]);
      expect((await call(path, bearer(await s.token(s.members.Olive!)))).status, path).toBe(200);
    }
    const page = (await (await call(`/s/${s.space}/log?token=${await s.token(s.members.Andy!)}&type=member.added`)).json()) as { envelopes: unknown[] };
    expect(page.envelopes).toHaveLength(2);
    const state = (await (await call(`/s/${s.space}/log/state`)).json()) as Record<string, unknown>;
    expect(state).toEqual({ space: s.space, exists: true, sequencer: expect.stringMatching(/^did:key:/), epoch: 3 });
    const full = (await (await call(`/s/${s.space}/log/state`, bearer(await s.token(s.owner)))).json()) as Record<string, unknown>;
    expect(full).toMatchObject({ exists: true, epoch: 3, count: expect.any(Number), vv: expect.any(Object) });
    await stillWorks(s, owner, andy);
  });

  it("an observer member reads, but its updates are permission-denied and change nothing", async () => {
    const { s, owner, andy } = await privateSpace();
    const olive = await s.connect(s.members.Olive!);
    expect(olive.text()).toBe("secret plan");
    olive.doc.getText("body").insert(0, "forged ");
    await olive.until(() => olive.denied.length === 1);
    expect(olive.denied).toEqual([Refusal.readOnly]);
    await stillWorks(s, owner, andy);
    expect(andy.text()).toBe("secret plan!");
  });

  it("?role=observer with the owner's token cannot write", async () => {
    const { s, owner, andy } = await privateSpace();
    const lowered = await s.connect(s.owner, "?role=observer");
    lowered.doc.getText("body").insert(0, "forged ");
    await lowered.until(() => lowered.denied.length === 1);
    expect(lowered.denied).toEqual([Refusal.readOnly]);
    await stillWorks(s, owner, andy);
    expect(andy.text()).toBe("secret plan!");
  });
});

describe("a public-read space", () => {
  async function publicSpace() {
    const s = await openSpace("public", { visibility: "public-read", members: { Andy: "human" } });
    const owner = await s.connect(s.owner);
    owner.doc.getText("body").insert(0, "open notes");
    const andy = await s.connect(s.members.Andy!);
    await andy.until(() => andy.text() === "open notes");
    return { s, owner, andy };
  }

  it("an anonymous socket reads, but its update is permission-denied and changes nothing", async () => {
    const { s, owner, andy } = await publicSpace();
    const anonymous = await s.connect(null);
    expect(anonymous.text()).toBe("open notes");
    anonymous.doc.getText("body").insert(0, "vandal ");
    await anonymous.until(() => anonymous.denied.length === 1);
    expect(anonymous.denied).toEqual([Refusal.readOnly]);
    await stillWorks(s, owner, andy);
    expect(andy.text()).toBe("open notes!");
    // It still reads what members write (its own refused edit stays only in its own copy).
    await anonymous.until(() => anonymous.text() === "vandal open notes!");
    expect((await call(`/s/${s.space}/log`)).status).toBe(200);
  });

  it("an anonymous socket publishes no presence: refused, relayed to nobody, not listed", async () => {
    const { s, owner, andy } = await publicSpace();
    const anonymous = await s.connect(null);
    anonymous.setPresence({ id: s.owner.did, name: "Owner", kind: "human", mode: "active" });
    await anonymous.until(() => anonymous.denied.length === 1);
    expect(anonymous.denied).toEqual([Refusal.presenceAnonymous]);
    await stillWorks(s, owner, andy);
    expect(andy.awareness.getStates().has(anonymous.doc.clientID)).toBe(false);
    expect(await presenceOf(s.space)).toMatchObject({ participants: [], anonymous: 0 });
  });

  it("a stranger's envelope pushed over an anonymous socket is refused unstored, as over POST", async () => {
    const { s, owner, andy } = await publicSpace();
    const anonymous = await s.connect(null);
    const stranger = await Ed25519Signer.generate();
    const chain = chainWriter(s.space, stranger);
    await chain.write("channel.message", { content: "spam" });
    const acked = new Promise<unknown>((resolve) =>
      anonymous.ws.addEventListener("message", (e) => {
        const decoder = decoding.createDecoder(new Uint8Array(e.data as ArrayBuffer));
        if (decoding.readVarUint(decoder) !== 100) return;
        const decoded = decodeLogServerMessage(decoding.readVarString(decoder));
        if (decoded.ok && decoded.message.t === "log.ack") resolve(decoded.message.results);
      }),
    );
    anonymous.send(encodeLogMessage({ t: "log.push", batch: chain.envelopes }));
    expect(await acked).toEqual([expect.objectContaining({ status: "rejected", code: "envelope-not-member" })]);
    await stillWorks(s, owner, andy);
  });

  it("made private by its owner, the space closes its anonymous readers (4403 access-revoked); members stay", async () => {
    const { s, owner, andy } = await publicSpace();
    const anonymous = await s.connect(null);
    expect(await s.write("space.configured", { visibility: "private" })).toEqual([expect.objectContaining({ status: "accepted" })]);
    expect(await anonymous.closed).toEqual({ code: 4403, reason: "access-revoked" });
    expect((await upgrade(s.space)).status).toBe(401);
    await stillWorks(s, owner, andy);
  });
});

describe("presence bound to identity", () => {
  it("a state that claims the owner's did from another identity is refused and not listed", async () => {
    const { s, owner, andy } = await privateSpace();
    andy.setPresence({ id: s.owner.did, name: "Owner", kind: "human", mode: "active" });
    await andy.until(() => andy.denied.length === 1);
    expect(andy.denied).toEqual([Refusal.presenceNotYours]);
    const listed = await presenceOf(s.space, await s.token(s.owner));
    expect(listed.participants).toEqual([]);
    expect(owner.awareness.getStates().has(andy.doc.clientID)).toBe(false);
    // Andy as Andy is listed, named by the log whatever the state says.
    andy.setPresence({ id: s.members.Andy!.did, name: "The Owner", kind: "agent", mode: "active" });
    await owner.until(() => owner.awareness.getStates().has(andy.doc.clientID));
    expect((await presenceOf(s.space, await s.token(s.owner))).participants).toEqual([
      { clientId: andy.doc.clientID, id: s.members.Andy!.did, name: "Andy", kind: "human", mode: "active" },
    ]);
    await stillWorks(s, owner, andy);
  });

  it(`1,000 states in one frame are refused whole; a socket owns at most ${MAX_OWNED_CLIENTS} client ids`, async () => {
    const { s, owner, andy } = await privateSpace();
    const me = { id: s.members.Andy!.did, mode: "active" };
    sendStates(andy, Array.from({ length: 1000 }, (_, i) => [10_000 + i, me] as [number, Record<string, unknown>]));
    await andy.until(() => andy.denied.length === 1);
    expect(andy.denied).toEqual([Refusal.presenceTooMany]);
    expect((await presenceOf(s.space, await s.token(s.owner))).participants).toEqual([]);
    sendStates(andy, Array.from({ length: MAX_OWNED_CLIENTS }, (_, i) => [20_000 + i, me] as [number, Record<string, unknown>]));
    await owner.until(() => owner.awareness.getStates().size === MAX_OWNED_CLIENTS);
    sendStates(andy, [[30_000, me]]);
    await andy.until(() => andy.denied.length === 2);
    expect(andy.denied[1]).toBe(Refusal.presenceTooMany);
    expect((await presenceOf(s.space, await s.token(s.owner))).participants).toHaveLength(MAX_OWNED_CLIENTS);
    await stillWorks(s, owner, andy);
  });

  it("a client id owned by another socket cannot be taken, even by the same identity", async () => {
    const { s, owner, andy } = await privateSpace();
    owner.setPresence({ id: s.owner.did, mode: "active" });
    await andy.until(() => andy.awareness.getStates().has(owner.doc.clientID));
    const second = await s.connect(s.owner);
    for (const taker of [andy, second]) {
      sendStates(taker, [[owner.doc.clientID, { id: taker === andy ? s.members.Andy!.did : s.owner.did, mode: "away" }]]);
      await taker.until(() => taker.denied.length === 1);
      expect(taker.denied).toEqual([Refusal.awarenessNotYours]);
    }
    expect((await presenceOf(s.space, await s.token(s.owner))).participants.map((p) => [p.clientId, p.mode])).toEqual([[owner.doc.clientID, "active"]]);
    await stillWorks(s, owner, andy);
  });
});

describe("rights follow the committed membership on open sockets", () => {
  it("a removed member's socket is closed 4403 access-revoked; it cannot come back with its token", async () => {
    const { s, owner, andy } = await privateSpace();
    const olive = await s.connect(s.members.Olive!);
    const oldToken = await s.token(s.members.Olive!);
    expect(await s.write("member.removed", { member: s.members.Olive!.did })).toEqual([expect.objectContaining({ status: "accepted" })]);
    expect(await olive.closed).toEqual({ code: 4403, reason: "access-revoked" });
    const again = await upgrade(s.space, `?token=${oldToken}`);
    expect([again.status, (await errorOf(again)).code]).toEqual([403, "not-a-member"]);
    await stillWorks(s, owner, andy);
  });

  it("a member lowered to observer keeps reading through its old socket, and its next update is refused", async () => {
    const { s, owner, andy } = await privateSpace();
    expect(await s.write("member.added", { member: s.members.Andy!.did, role: "observer", domains: [] })).toEqual([expect.objectContaining({ status: "accepted" })]);
    andy.doc.getText("body").insert(0, "too late ");
    await andy.until(() => andy.denied.length === 1);
    expect(andy.denied).toEqual([Refusal.readOnly]);
    const fresh = await s.connect(s.owner);
    expect(fresh.text()).toBe("secret plan");
    // Still a reader: the owner's next edit reaches Andy's old socket.
    owner.doc.getText("body").insert(11, "?");
    await andy.until(() => andy.text().endsWith("secret plan?"));
    expect((await s.connect(s.owner)).text()).toBe("secret plan?");
  });
});
