/** Space names: the documented charset and length, and a helpful refusal otherwise. */
import { describe, expect, it } from "vitest";
import { CommonsError } from "../../core/errors.js";
import { isSpaceId, parseSpaceId } from "../../core/ids.js";

describe("space names", () => {
  it("accepts 1–64 lowercase letters, digits, - _ . starting and ending alphanumeric", () => {
    for (const name of ["a", "incident-42", "q1.launch_brief", "0", "a".repeat(64)]) expect(isSpaceId(name)).toBe(true);
  });

  it("refuses everything else", () => {
    for (const name of ["", "-a", "a-", "a b", "a/b", "ä", "a".repeat(65), "..", "Incident-42", "a%2Fb"]) {
      expect(isSpaceId(name), name).toBe(false);
    }
  });

  it("throws a 400 invalid-space-name that says what to do", () => {
    try {
      parseSpaceId("Incident-42");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CommonsError);
      expect((error as CommonsError).status).toBe(400);
      expect((error as CommonsError).code).toBe("invalid-space-name");
      expect((error as CommonsError).message).toContain('Did you mean "incident-42"?');
    }
  });
});
