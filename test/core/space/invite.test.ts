/**
 * Invite URLs and joins (core/space/invite.ts): golden vectors — fixed seeds give a fixed
 * URL, proof and join envelope id, so a change to the format is a visible diff — and the
 * attacks a replica must refuse, through the real `LogReplica.ingest` and sequencer.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../core/canonical-json.js";
import type { CommonsError } from "../../../core/errors.js";
import { encodeBase64url } from "../../../core/identity/encoding.js";
import { Sequencer } from "../../../core/state/sequencer.js";
import { createJoinEnvelope, decodeInviteUrl, encodeInviteUrl, inviteProof, inviteSigner, type Invite } from "../../../core/space/invite.js";
import { buildView } from "../../../core/views/build.js";
import { keys, openReplica, seed, signRaw, SPACE, T0 } from "../log/fixtures.js";

const EDGE = "http://127.0.0.1:8787";
const INVITE_SEED = seed(9);

const GOLDEN = {
  invite: "sha256:5dbb116a3424102a56d09b9b1eeddd3ae0f43880f77cbe3a90a8c9a505d534ab",
  url: "http://127.0.0.1:8787/s/incident-42#invite=eyJpbnZpdGUiOiJzaGEyNTY6NWRiYjExNmEzNDI0MTAyYTU2ZDA5YjliMWVlZGRkM2FlMGY0Mzg4MGY3N2NiZTNhOTBhOGM5YTUwNWQ1MzRhYiIsImtleSI6IkNRa0pDUWtKQ1FrSkNRa0pDUWtKQ1FrSkNRa0pDUWtKQ1FrSkNRa0pDUWsiLCJzcGFjZSI6ImluY2lkZW50LTQyIiwidiI6MX0",
  inviteKey: "did:key:z6MkwVDfCg9LbbY6xjH3EZk8YSFQZujV5Y4y1ZWeER9tDiN3",
  /** The invite key's signature over (incident-42, the invite, bob). */
  proof: "ZtmABPbgfEsSrnPLuipuZHvnfj5Wix-qXb1rf2Z3rZZt-SDkzxjM8oRwwHmLSYCSoQdCDxHuKCLJMEEXu8rlDg",
  /** bob's member.joined at T0 + 1 s. */
  join: "sha256:59dbcaec8a65bb0a5fcd0a9a4faf6226de05a48a2868ab1e800e71f8d72b23fa",
};

/** alice's space (edge sequences it) with one committed invite: an agent in "ops". */
async function invited(options: { uses?: number; expiresAt?: number } = {}) {
  const cast = await keys();
  const replica = openReplica();
  const key = await inviteSigner({ seed: INVITE_SEED });
  await replica.append(cast.alice, "space.created", { owners: [cast.alice.did], sequencer: cast.edge.did }, { now: T0 });
  const created = await replica.append(cast.alice, "invite.created", {
    key: key.did, role: "agent", domains: ["ops"], name: "ops-bot", expiresAt: new Date(options.expiresAt ?? T0 + 86_400_000).toISOString(), uses: options.uses ?? 1,
  }, { now: T0 + 1 });
  const sequencer = new Sequencer(replica, cast.edge, { now: () => T0 + 2 });
  await sequencer.sequence();
  const invite: Invite = { edge: EDGE, space: SPACE, invite: created.id, seed: INVITE_SEED };
  return { cast, replica, sequencer, invite };
}

function refusal(run: () => unknown): CommonsError {
  try {
    run();
  } catch (error) {
    return error as CommonsError;
  }
  throw new Error("expected a refusal");
}

/** An invite URL around a hand-made payload (what an attacker or a damaged copy gives). */
const urlWith = (payload: unknown, space = "incident-42") =>
  `${EDGE}/s/${space}#invite=${encodeBase64url(new TextEncoder().encode(typeof payload === "string" ? payload : canonicalJson(payload)))}`;

describe("invite URLs (golden vectors)", () => {
  it("fixed seeds give a fixed URL, proof and join envelope id", async () => {
    const { cast, invite } = await invited();
    expect(invite.invite).toBe(GOLDEN.invite);
    expect(encodeInviteUrl(invite)).toBe(GOLDEN.url);
    expect(decodeInviteUrl(GOLDEN.url)).toEqual(invite);
    expect((await inviteSigner(invite)).did).toBe(GOLDEN.inviteKey);
    expect(await inviteProof(invite, cast.bob.did)).toBe(GOLDEN.proof);
    const join = await createJoinEnvelope({ invite, joiner: cast.bob, now: T0 + 1000 });
    expect(join.id).toBe(GOLDEN.join);
    expect(join.envelope).toMatchObject({
      author: cast.bob.did, seq: 1, prev: null, deps: [GOLDEN.invite], type: "member.joined",
      body: { invite: GOLDEN.invite, key: GOLDEN.inviteKey, proof: GOLDEN.proof },
    });
  });

  it("the payload is the canonical JSON {v, space, invite, key}; a path prefix before /s/ is kept", () => {
    const payload = GOLDEN.url.split("#invite=")[1]!;
    const text = new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
    expect(JSON.parse(text)).toEqual({ v: 1, space: "incident-42", invite: GOLDEN.invite, key: encodeBase64url(INVITE_SEED) });
    const prefixed = decodeInviteUrl(GOLDEN.url.replace(EDGE, "https://edge.example/commons"));
    expect(prefixed.edge).toBe("https://edge.example/commons");
  });

  it("a join by invite makes the joiner a member with the invite's role, domains and name", async () => {
    const { cast, replica, sequencer, invite } = await invited();
    const join = await createJoinEnvelope({ invite, joiner: cast.bob, now: T0 + 1000 });
    expect(await replica.ingest([join.envelope])).toMatchObject([{ status: "accepted" }]);
    await sequencer.sequence();
    expect(replica.status(join.id)).toMatchObject({ state: "committed", verdict: "accepted" });
    expect(buildView(replica.since(0)).committed.members.get(cast.bob.did)).toMatchObject({ role: "agent", domains: ["ops"], name: "ops-bot" });
  });

  it("a joiner with a chain continues it (seq and prev), citing the invite", async () => {
    const { cast, invite } = await invited();
    const last = { seq: 3, id: GOLDEN.join as never, hlc: `${T0 + 5000}-0000-${cast.bob.did.slice(-8)}` };
    const join = await createJoinEnvelope({ invite, joiner: cast.bob, now: T0 + 1000, writer: { last, heads: [] } });
    expect(join.envelope).toMatchObject({ seq: 4, prev: GOLDEN.join, deps: [GOLDEN.invite] });
    expect(join.envelope.hlc > last.hlc).toBe(true);
  });
});

describe("invite attacks", () => {
  it("a tampered payload is refused: damaged bytes by the codec, another key by every replica", async () => {
    const { cast, replica, invite } = await invited();
    const flipped = GOLDEN.url.slice(0, -6) + (GOLDEN.url.at(-6) === "A" ? "B" : "A") + GOLDEN.url.slice(-5);
    expect(refusal(() => decodeInviteUrl(flipped)).code).toBe("invite-malformed");
    expect(refusal(() => decodeInviteUrl(urlWith(`{"v":1,"space":"incident-42","invite":"${GOLDEN.invite}","key":"${encodeBase64url(INVITE_SEED)}"}`))).message)
      .toMatch(/not in canonical form: ask the owner to send the invite URL again/);
    expect(refusal(() => decodeInviteUrl(urlWith({ v: 1, space: "incident-42", invite: GOLDEN.invite, key: encodeBase64url(INVITE_SEED), extra: 1 }))).code).toBe("invite-malformed");
    expect(refusal(() => decodeInviteUrl(urlWith({ v: 2, space: "incident-42", invite: GOLDEN.invite, key: "x" }))).code).toBe("invite-version");
    // A well-formed URL carrying another key: the join it makes names a key the invite does not.
    const forged = decodeInviteUrl(urlWith({ v: 1, space: "incident-42", invite: GOLDEN.invite, key: encodeBase64url(seed(10)) }));
    const join = await createJoinEnvelope({ invite: forged, joiner: cast.bob, now: T0 + 1000 });
    expect(await replica.ingest([join.envelope])).toMatchObject([{ status: "rejected", code: "envelope-bad-invite-proof" }]);
    expect(replica.get(join.id)).toBeUndefined();
    expect(invite.invite).toBe(forged.invite);
  });

  it("an invite for another space: refused by the codec, and a join proved for another space by every replica", async () => {
    const { cast, replica, invite } = await invited();
    expect(refusal(() => decodeInviteUrl(GOLDEN.url.replace("/s/incident-42#", "/s/incident-43#")))).toMatchObject({ code: "invite-wrong-space" });
    // bob signs a join for incident-42 with a proof the invite key made for incident-43.
    const proof = await inviteProof({ ...invite, space: "incident-43" as never }, cast.bob.did);
    const bad = await signRaw(cast.bob, { type: "member.joined", body: { invite: invite.invite, key: GOLDEN.inviteKey as never, proof }, deps: [invite.invite], hlc: `${T0 + 1000}-0000-${cast.bob.did.slice(-8)}` });
    expect(await replica.ingest([bad.envelope])).toMatchObject([{ status: "rejected", code: "envelope-bad-invite-proof" }]);
    const elsewhere = await createJoinEnvelope({ invite: { ...invite, space: "incident-43" as never }, joiner: cast.bob, now: T0 + 1000 });
    expect(await replica.ingest([elsewhere.envelope])).toMatchObject([{ status: "rejected", code: "envelope-wrong-space" }]);
  });

  it("a truncated key or URL is refused with what to do", () => {
    const short = refusal(() => decodeInviteUrl(urlWith({ v: 1, space: "incident-42", invite: GOLDEN.invite, key: encodeBase64url(INVITE_SEED.slice(0, 31)) })));
    expect(short.code).toBe("invite-key-invalid");
    expect(short.message).toMatch(/31 bytes\): the URL was cut short; ask the owner to send the invite URL again/);
    expect(refusal(() => decodeInviteUrl(GOLDEN.url.slice(0, -10))).code).toBe("invite-malformed");
    expect(refusal(() => decodeInviteUrl(`${EDGE}/s/incident-42`))).toMatchObject({ code: "invite-malformed", message: expect.stringMatching(/is not an invite URL/) });
    expect(refusal(() => decodeInviteUrl(GOLDEN.url.replace("http://", "ftp://"))).code).toBe("invite-malformed");
  });

  it("a proof made for another joiner does not let this one in", async () => {
    const { cast, replica, invite } = await invited();
    // carol lifts bob's join proof (seen on the wire) into a join of her own.
    const proof = await inviteProof(invite, cast.bob.did);
    const lifted = await signRaw(cast.carol, { type: "member.joined", body: { invite: invite.invite, key: GOLDEN.inviteKey as never, proof }, deps: [invite.invite], hlc: `${T0 + 1000}-0000-${cast.carol.did.slice(-8)}` });
    expect(await replica.ingest([lifted.envelope])).toMatchObject([{ status: "rejected", code: "envelope-bad-invite-proof" }]);
    expect(replica.get(lifted.id)).toBeUndefined();
  });

  it("a join citing an invite this replica does not hold is refused, not stored", async () => {
    const { cast } = await invited();
    const empty = openReplica();
    await empty.append(cast.alice, "space.created", { owners: [cast.alice.did], sequencer: cast.edge.did }, { now: T0 });
    const join = await createJoinEnvelope({ invite: { space: SPACE, invite: GOLDEN.invite as never, seed: INVITE_SEED }, joiner: cast.bob, now: T0 + 1000 });
    expect(await empty.ingest([join.envelope])).toMatchObject([{ status: "rejected", code: "envelope-deps-missing" }]);
    expect(empty.get(join.id)).toBeUndefined();
  });

  it("an expired or used-up invite: the join is stored but committed rejected, with what to do", async () => {
    const expired = await invited({ expiresAt: T0 + 500 });
    const late = await createJoinEnvelope({ invite: expired.invite, joiner: expired.cast.bob, now: T0 + 1000 });
    await expired.replica.ingest([late.envelope]);
    await expired.sequencer.sequence();
    expect(expired.replica.status(late.id)).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(/expired .*ask an owner for a new one/) });

    const once = await invited({ uses: 1 });
    const first = await createJoinEnvelope({ invite: once.invite, joiner: once.cast.bob, now: T0 + 1000 });
    const second = await createJoinEnvelope({ invite: once.invite, joiner: once.cast.carol, now: T0 + 1001 });
    await once.replica.ingest([first.envelope, second.envelope]);
    await once.sequencer.sequence();
    expect(once.replica.status(first.id)).toMatchObject({ verdict: "accepted" });
    expect(once.replica.status(second.id)).toMatchObject({ verdict: "rejected", reason: expect.stringMatching(/used 1 of 1 times: ask an owner/) });
  });
});
