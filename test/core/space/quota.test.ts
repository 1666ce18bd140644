/**
 * The door's quotas as an attacker meets them: a burst is allowed, the next item is refused
 * with how long to wait, the wait is honest, and one key's flood leaves other keys alone.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_QUOTAS, Limiter, quotasFrom, SocketCounter } from "../../../core/space/quota.js";

describe("Limiter", () => {
  it("allows the burst, refuses the next with a retry hint, refills at its rate", () => {
    let now = 0;
    const limiter = new Limiter({ burst: 3, perSecond: 1 }, () => now);
    expect([1, 2, 3].map(() => limiter.take("mallory").ok)).toEqual([true, true, true]);
    expect(limiter.take("mallory")).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Another key is untouched by mallory's flood.
    expect(limiter.take("alice").ok).toBe(true);
    now += 999;
    expect(limiter.take("mallory").ok).toBe(false);
    now += 2;
    expect(limiter.take("mallory").ok).toBe(true);
  });

  it("a cost larger than what is left waits for that much; never more than the burst", () => {
    let now = 0;
    const limiter = new Limiter({ burst: 100, perSecond: 10 }, () => now);
    expect(limiter.take("k", 90).ok).toBe(true);
    expect(limiter.take("k", 50)).toEqual({ ok: false, retryAfterSeconds: 4 });
    expect(limiter.take("k", 10_000)).toEqual({ ok: false, retryAfterSeconds: 9 });
    now += 4_000;
    expect(limiter.take("k", 50).ok).toBe(true);
  });
});

describe("SocketCounter", () => {
  it("caps sockets per identity and for all anonymous sockets, and frees them on close", () => {
    const counter = new SocketCounter({ perIdentity: 2, anonymous: 1 });
    expect([counter.admit("did:key:a"), counter.admit("did:key:a"), counter.admit("did:key:a")]).toEqual([true, true, false]);
    expect(counter.admit("did:key:b")).toBe(true);
    expect([counter.admit(null), counter.admit(null)]).toEqual([true, false]);
    counter.release("did:key:a");
    expect(counter.admit("did:key:a")).toBe(true);
  });
});

describe("quotasFrom", () => {
  it("takes a subset from COMMONS_QUOTAS and refuses a malformed one naming the field", () => {
    expect(quotasFrom(undefined)).toEqual(DEFAULT_QUOTAS);
    expect(quotasFrom('{"socketsPerIdentity": 3}')).toEqual({ ...DEFAULT_QUOTAS, socketsPerIdentity: 3 });
    expect(() => quotasFrom('{"authorEnvelopes": {"burst": -1, "perSecond": 1}}')).toThrow(/authorEnvelopes\.burst/);
  });
});
