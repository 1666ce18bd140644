/**
 * The space's door (core/space/door.ts) in Node: credentials, the rights table, identities
 * from tokens (and the refusals that must never fall back to anonymous), and rights that
 * follow membership changes.
 */
import { describe, expect, it } from "vitest";
import { issueCapability } from "../../../core/auth/capability.js";
import type { CommonsError } from "../../../core/errors.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId, Role } from "../../../core/log/ids.js";
import { admit, credentialsOf, identify, requireRead, rightsOf, RightsWatch, withoutCredentials, type Access } from "../../../core/space/door.js";
import { emptyState, type SpaceState } from "../../../core/views/state.js";

const SPACE = "door-test";
const [owner, human, agent, observer, stranger] = await Promise.all([
  Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate(),
]);

function stateWith(visibility: SpaceState["visibility"], members: Array<[Ed25519Signer, Role]>): SpaceState {
  const state = emptyState();
  state.genesis = "sha256:genesis" as EnvelopeId;
  state.visibility = visibility;
  state.epoch = members.length;
  members.forEach(([signer, role], i) => state.members.set(signer.did, { did: signer.did, role, domains: [], since: "sha256:x" as EnvelopeId, epoch: i + 1 }));
  return state;
}
const cast: Array<[Ed25519Signer, Role]> = [[owner, "owner"], [human, "human"], [agent, "agent"], [observer, "observer"]];
const token = (signer: Ed25519Signer, state: SpaceState, extra: Partial<Parameters<typeof issueCapability>[1]> = {}) =>
  issueCapability(signer, { sub: signer.did, space: SPACE, tools: ["*"], tier: 4, epoch: state.epoch, ...extra });
const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: CommonsError) => ({ code: error.code, status: error.status }));
const now = Date.now();

describe("credentialsOf", () => {
  const url = (query: string) => new URL(`http://edge.test/s/${SPACE}${query}`);

  it("reads ?token=, Authorization: Bearer, and ?role=observer", () => {
    expect(credentialsOf(url("?token=a.b.c"), null)).toEqual({ token: "a.b.c", observing: false });
    expect(credentialsOf(url("?role=observer"), "Bearer a.b.c")).toEqual({ token: "a.b.c", observing: true });
    expect(credentialsOf(url("?token=a.b.c"), "bearer a.b.c")).toEqual({ token: "a.b.c", observing: false });
    expect(credentialsOf(url(""), null)).toEqual({ token: null, observing: false });
  });

  it("refuses two different tokens and an Authorization header that is not Bearer", () => {
    expect(() => credentialsOf(url("?token=a.b.c"), "Bearer x.y.z")).toThrow(expect.objectContaining({ code: "token-malformed", status: 401 }));
    expect(() => credentialsOf(url(""), "Basic dXNlcjpwYXNz")).toThrow(expect.objectContaining({ code: "token-malformed", status: 401 }));
  });

  it("withoutCredentials leaves a route's own query", () => {
    expect(withoutCredentials(new URLSearchParams("token=a.b.c&since=3&type=x&type=y")).toString()).toBe("since=3&type=x&type=y");
  });
});

describe("rightsOf: the rights table", () => {
  for (const visibility of ["private", "public-read"] as const) {
    const state = stateWith(visibility, cast);
    it(`${visibility}: owner, human and agent read and write; observer reads`, () => {
      for (const [signer] of cast.slice(0, 3)) expect(rightsOf(state, signer.did, false)).toEqual({ read: true, write: true });
      expect(rightsOf(state, observer.did, false)).toEqual({ read: true, write: false });
    });
    it(`${visibility}: ?role=observer lowers a writer to read-only, and never raises anyone`, () => {
      expect(rightsOf(state, owner.did, true)).toEqual({ read: true, write: false });
      expect(rightsOf(state, stranger.did, true)).toEqual({ read: visibility === "public-read", write: false });
      expect(rightsOf(state, null, true)).toEqual({ read: visibility === "public-read", write: false });
    });
  }

  it("a non-member or anonymous connection reads only a public-read space, and writes nothing", () => {
    expect(rightsOf(stateWith("private", cast), stranger.did, false)).toEqual({ read: false, write: false });
    expect(rightsOf(stateWith("private", cast), null, false)).toEqual({ read: false, write: false });
    expect(rightsOf(stateWith("public-read", cast), stranger.did, false)).toEqual({ read: true, write: false });
    expect(rightsOf(stateWith("public-read", cast), null, false)).toEqual({ read: true, write: false });
  });

  it("a space with no genesis yet is private: nobody reads it", () => {
    expect(rightsOf(emptyState(), owner.did, false)).toEqual({ read: false, write: false });
  });
});

describe("identify: who presents a token", () => {
  const state = stateWith("private", cast);

  it("no token is anonymous; a member's self-issued token is that member", async () => {
    expect(await identify(null, { space: SPACE, state, now })).toBeNull();
    expect(await identify(await token(agent, state), { space: SPACE, state, now })).toBe(agent.did);
  });

  it("a self-issued token from a non-member proves a verified non-member", async () => {
    expect(await identify(await token(stranger, state), { space: SPACE, state, now })).toBe(stranger.did);
  });

  it("refuses, never reading as anonymous: a forged signature, another space, an expired token, a stranger's delegation", async () => {
    const good = await token(owner, state);
    const [header, payload] = good.split(".");
    const forged = `${header}.${payload}.${(await token(stranger, state)).split(".")[2]}`;
    expect(await refusal(identify(forged, { space: SPACE, state, now }))).toEqual({ code: "token-bad-signature", status: 401 });
    const elsewhere = await issueCapability(owner, { sub: owner.did, space: "another-space", tools: ["*"], tier: 4, epoch: state.epoch });
    expect(await refusal(identify(elsewhere, { space: SPACE, state, now }))).toEqual({ code: "token-wrong-audience", status: 401 });
    const expired = await token(owner, state, { now: now - 7_200_000, ttlSeconds: 60 });
    expect(await refusal(identify(expired, { space: SPACE, state, now }))).toEqual({ code: "token-expired", status: 401 });
    const delegated = await issueCapability(stranger, { sub: owner.did, space: SPACE, tools: ["*"], tier: 4, epoch: state.epoch });
    expect(await refusal(identify(delegated, { space: SPACE, state, now }))).toEqual({ code: "token-not-member", status: 403 });
    expect(await refusal(identify("not-a-token", { space: SPACE, state, now }))).toEqual({ code: "token-malformed", status: 401 });
  });

  it("a token still works after someone else's membership changes", async () => {
    const issued = await token(human, state);
    const later = stateWith("private", [...cast, [stranger, "agent"]]);
    expect(await identify(issued, { space: SPACE, state: later, now })).toBe(human.did);
  });
});

describe("admit and requireRead", () => {
  const state = stateWith("private", cast);
  const door = (credentials: { token: string | null; observing: boolean }, s = state) => admit(credentials, { space: SPACE, state: s, now });

  it("a private space refuses anonymous with 401 token-missing and a verified non-member with 403 not-a-member", async () => {
    const anonymous = await door({ token: null, observing: false });
    expect(() => requireRead(anonymous, SPACE)).toThrow(expect.objectContaining({ code: "token-missing", status: 401, message: expect.stringContaining(`commons token ${SPACE}`) }));
    const outsider = await door({ token: await token(stranger, state), observing: false });
    expect(outsider).toEqual({ did: stranger.did, observing: false, read: false, write: false });
    expect(() => requireRead(outsider, SPACE)).toThrow(expect.objectContaining({ code: "not-a-member", status: 403 }));
  });

  it("a member is admitted with its rights; observing lowers them", async () => {
    expect(await door({ token: await token(owner, state), observing: true })).toEqual({ did: owner.did, observing: true, read: true, write: false });
    const member = await door({ token: await token(human, state), observing: false });
    expect(() => requireRead(member, SPACE)).not.toThrow();
    expect(member).toEqual({ did: human.did, observing: false, read: true, write: true });
  });
});

describe("RightsWatch", () => {
  it("re-derives rights only when something committed and membership or visibility moved, naming the connections that changed", () => {
    const watch = new RightsWatch();
    const before = stateWith("private", cast);
    const conns: Access[] = [
      { did: human.did, observing: false, read: true, write: true },
      { did: agent.did, observing: false, read: true, write: true },
      { did: observer.did, observing: false, read: true, write: false },
    ];
    const never = () => {
      throw new Error("not asked when nothing committed");
    };
    expect(watch.changes(5, () => before, conns, (c) => c)).toEqual([]);
    expect(watch.changes(5, never, conns, never)).toEqual([]);
    // A commit that changed no membership: the state is read, nobody re-derived.
    expect(watch.changes(6, () => before, conns, never)).toEqual([]);
    // The agent is removed and the observer promoted: both change, each exactly once.
    const after = stateWith("private", [[owner, "owner"], [human, "human"], [observer, "human"]]);
    after.epoch = before.epoch + 2;
    expect(watch.changes(8, () => after, conns, (c) => c)).toEqual([
      [conns[1], { read: false, write: false }],
      [conns[2], { read: true, write: true }],
    ]);
    const opened = stateWith("public-read", [[owner, "owner"], [human, "human"], [observer, "human"]]);
    opened.epoch = after.epoch;
    expect(watch.changes(9, () => opened, [{ did: agent.did, observing: false, read: false, write: false }], (c) => c)).toEqual([
      [{ did: agent.did, observing: false, read: false, write: false }, { read: true, write: false }],
    ]);
  });
});
