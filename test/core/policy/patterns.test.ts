/**
 * The policy pattern language: grammar, glob matching, arrays, paths, and what never
 * matches (missing fields, objects, prototype names), plus the boundary refusing bad
 * patterns in `policy.set`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globMatch, isValidPattern, matches, parsePattern } from "../../../core/policy/patterns.js";
import { policySetBody } from "../../../core/log/types/space.js";

describe("patterns", () => {
  it("matches field=glob terms joined by &", () => {
    const args = { clock: "LF", title: "Campaign Brief: Q1", domains: ["After-Image", "R&D"], meta: { kind: "draft", n: 3, ok: true } };
    expect(matches("clock=LF", args)).toBe(true);
    expect(matches("clock=HF", args)).toBe(false);
    expect(matches("title=Campaign*", args)).toBe(true);
    expect(matches("title=*Q1", args)).toBe(true);
    expect(matches("title=C*B*:*", args)).toBe(true);
    expect(matches("title=campaign*", args)).toBe(false);
    expect(matches("domains=After-Image", args)).toBe(true);
    expect(matches("domains=R\\&D", args)).toBe(true);
    expect(matches("meta.kind=draft & clock=LF", args)).toBe(true);
    expect(matches("meta.kind=draft&clock=HF", args)).toBe(false);
    expect(matches("meta.n=3", args)).toBe(true);
    expect(matches("meta.ok=true", args)).toBe(true);
    expect(matches("title=*", args)).toBe(true);
  });

  it("never matches what it does not name", () => {
    expect(matches("clock=*", {})).toBe(false);
    expect(matches("meta=*", { meta: { kind: "x" } })).toBe(false);
    expect(matches("meta=*", { meta: null })).toBe(false);
    expect(matches("a.b=*", { a: "string" })).toBe(false);
    expect(matches("toString=*", {})).toBe(false);
    const inherited = Object.create({ clock: "LF" }) as Record<string, unknown>;
    expect(matches("clock=LF", inherited)).toBe(false);
    expect(matches("star=\\*", { star: "*" })).toBe(true);
    expect(matches("star=\\*", { star: "x" })).toBe(false);
  });

  it("refuses what is not in the grammar", () => {
    for (const bad of ["", "clock", "=LF", "__proto__.x=1", "a..b=1", "constructor=1", "a=b\\c", "a=1&", "x".repeat(501)]) {
      expect(parsePattern(bad), bad).toBeNull();
    }
    expect(isValidPattern("a-b.c_d=*x*")).toBe(true);
    expect(policySetBody.safeParse({ tool: "t", tier: 2, patterns: ["clock=LF"] }).success).toBe(true);
    expect(policySetBody.safeParse({ tool: "t", tier: 2, patterns: ["clock"] }).success).toBe(false);
    expect(policySetBody.safeParse({ tool: "t", tier: 3, rules: [{ when: { match: ["x=*"] }, tier: 1 }] }).success).toBe(true);
    expect(policySetBody.safeParse({ tool: "t", tier: 3, rules: [{ when: { match: ["__proto__=1"] }, tier: 1 }] }).success).toBe(false);
  });

  it("glob matching agrees with a regex oracle", () => {
    const alphabet = fc.constantFrom("a", "b", "*");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom("a", "b"), { maxLength: 10 }), (glob, text) => {
        const source = glob.join("");
        const oracle = new RegExp(`^${source.replaceAll("*", ".*")}$`, "s");
        expect(globMatch(source.split("*"), text.join(""))).toBe(oracle.test(text.join("")));
      }),
      { numRuns: 2000 },
    );
  });

  it("answers hostile input (many stars, a long value) without backtracking blow-up", () => {
    // The matcher walks the glob's literal pieces left to right, each found once (no
    // backtracking), so this returns at once; how fast is the bench's business, not a test's.
    expect(matches(`x=${"*a".repeat(200)}b`, { x: "a".repeat(30_000) })).toBe(false);
    expect(matches(`x=${"*a".repeat(200)}`, { x: "a".repeat(30_000) })).toBe(true);
  });
});
