/**
 * The delegation directive a person writes into a work item (core/a2a/delegate.ts
 * `delegationsIn`): `delegate <agent-url>: <subtask>` lines, http(s) URLs only, at most four,
 * and the executor's turn carries a message's metadata to the brain (how a delegatee learns
 * the space and item a subtask concerns).
 */
import { describe, expect, it } from "vitest";
import { delegationsIn } from "../../../core/a2a/delegate.js";

describe("delegation directives in a work item", () => {
  it("reads delegate lines anywhere in the description, with the URL and the subtask", () => {
    expect(delegationsIn("The cert expired.\ndelegate https://edge.example/agents/comms-bot: draft the status note\n  Delegate http://127.0.0.1:8787/agents/scribe:   write it up  ")).toEqual([
      { agent: "https://edge.example/agents/comms-bot", text: "draft the status note" },
      { agent: "http://127.0.0.1:8787/agents/scribe", text: "write it up" },
    ]);
  });

  it("ignores what is not a directive: no URL, another scheme, no subtask, nothing at all", () => {
    expect(delegationsIn(undefined)).toEqual([]);
    expect(delegationsIn("please delegate this to comms")).toEqual([]);
    expect(delegationsIn("delegate javascript:alert(1): x")).toEqual([]);
    expect(delegationsIn("delegate https://edge/agents/a:")).toEqual([]);
    expect(delegationsIn("we should delegate https://edge/agents/a: later, says Andy")).toEqual([]);
  });

  it("takes at most four, and cuts a subtask at 4,000 characters", () => {
    const many = Array.from({ length: 9 }, (_, i) => `delegate https://e/agents/a${i}: task ${i}`).join("\n");
    expect(delegationsIn(many).map((d) => d.agent)).toEqual(["https://e/agents/a0", "https://e/agents/a1", "https://e/agents/a2", "https://e/agents/a3"]);
    expect(delegationsIn(`delegate https://e/agents/a: ${"x".repeat(5000)}`)[0]!.text).toHaveLength(4000);
  });
});
