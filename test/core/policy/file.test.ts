/**
 * Policy files (core/policy/file.ts): one body or an array, checked by the policy.set
 * schema, each error naming its field so an owner can fix the file.
 */
import { describe, expect, it } from "vitest";
import type { CommonsError } from "../../../core/errors.js";
import { MAX_POLICIES_PER_FILE, parsePolicyFile } from "../../../core/policy/file.js";

function refusal(text: string): CommonsError {
  try {
    parsePolicyFile(text);
  } catch (error) {
    return error as CommonsError;
  }
  throw new Error(`parsePolicyFile accepted ${text}`);
}

const file = (value: unknown) => JSON.stringify(value);

describe("policy files", () => {
  it("reads one policy or an array of them", () => {
    expect(parsePolicyFile(file({ tool: "write_artifact", tier: 2, patterns: ["kind=draft"] }))).toEqual([{ tool: "write_artifact", tier: 2, patterns: ["kind=draft"] }]);
    const both = parsePolicyFile(file([
      { tool: "*", tier: 3, reason: "ask first" },
      { tool: "create_work_item", tier: 1, rules: [{ when: { roles: ["agent"], match: ["clock=HF"] }, tier: 3, approver: "human" }] },
    ]));
    expect(both.map((p) => p.tool)).toEqual(["*", "create_work_item"]);
  });

  it("names the field of every mistake, and says what to do", () => {
    const pattern = refusal(file([{ tool: "post_message", tier: 1 }, { tool: "create_work_item", tier: 2, rules: [{ when: { match: ["HF"] }, tier: 3 }] }]));
    expect(pattern.code).toBe("policy-invalid");
    expect(pattern.message).toMatch(/^policy 2: rules\.0\.when\.match\.0: expected "field=glob" terms joined by "&"/);
    expect(pattern.message).toMatch(/Fix the policy \(docs\/AUTHORITY\.md, "Policy files"\), then set it again\.$/);
    expect(refusal(file({ tool: "post_message", tier: 5 })).message).toMatch(/^tier: expected the number 1, 2, 3 or 4/);
    expect(refusal(file({ tool: "post_message", tier: 3, approver: "bob" })).message).toMatch(/^approver: expected a member's did:key or a role/);
    expect(refusal(file({ tier: 1 })).message).toMatch(/^tool: Invalid input: expected string/);
    expect(refusal(file({ tool: "post_message", tier: 1, rules: [{ when: { role: ["agent"] }, tier: 2 }] })).message).toMatch(/^rules\.0\.when: Unrecognized key: "role"/);
    expect(refusal(file({ tool: "post_message", tier: 1, actor: "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw" })).message)
      .toMatch(/^\(policy\): unknown field "actor": a policy has tool, tier, patterns, approver, reason, rules/);
  });

  it("refuses tools the space does not have, a tool given twice, and what is not a policy file", () => {
    expect(refusal(file({ tool: "pst_message", tier: 1 })).message).toMatch(/^tool: "pst_message" is not a tool of this space: use one of post_message, .*set_policy, .*\*\.$/);
    expect(refusal(file([{ tool: "post_message", tier: 1 }, { tool: "post_message", tier: 2 }])).message).toMatch(/^policy 2: tool: "post_message" is already set by policy 1/);
    expect(refusal("{ tool: post_message }").message).toMatch(/^The policy file is not JSON \(.*\): write one policy object, or an array of them\.$/);
    expect(refusal("[]").message).toMatch(/empty array/);
    expect(refusal(file(Array.from({ length: 40 }, (_, i) => ({ tool: `t${i}`, tier: 1 })))).message).toMatch(new RegExp(`holds 40 policies; at most ${MAX_POLICIES_PER_FILE} \\(one per tool, and "\\*"\\)`));
  });
});
