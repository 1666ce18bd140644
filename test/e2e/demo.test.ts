/**
 * `npm run demo` end to end (issue 12 item 8): the script starts its own edge, runs the
 * seed's loop with the `commons` CLI and two rules-brain agents, and exits 0 only when the
 * space holds exactly one approved result. The test runs it as a process and checks that
 * every step of the loop was shown, in order, with what the space committed.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/demo.mjs", import.meta.url));

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

describe("npm run demo", () => {
  it("walks the seed's loop and exits 0", { timeout: 480_000 }, async () => {
    const { code, out } = await runDemo();
    expect(code, out).toBe(0);
    const steps = [
      /1\. Start the edge/, /ops-bot \(ops\) joined as did:key:/, /comms-bot \(comms\) joined as did:key:/,
      /\$ commons post incident-demo/, /ops-bot claimed it at commit \d+/,
      /toolCalls: claim_work_item=success, update_work_item=success/,
      /ops-bot → comms-bot: "draft the public status-page note"/, /approval requested: .* asks to write artifact/,
      /\$ commons log incident-demo --attention\n.*approval\.requested/, /\$ commons approve incident-demo sha256:/,
      /✅ write artifact "comms-bot: draft the public status-page note"/,
      /ops-bot: "Delegated to comms-bot .* → TASK_STATE_COMPLETED, task [0-9a-f-]{36}/, /the result exists once/,
      /ops-bot +agent\.claimed +saw work\.created @ commit \d+/, /ops-bot +agent\.delegated +saw work\.claimed/,
      /The loop is complete/,
    ];
    let at = 0;
    for (const pattern of steps) {
      const match = pattern.exec(out.slice(at));
      expect(match, `${pattern} after position ${at} in:\n${out}`).not.toBeNull();
      at += match!.index + match![0].length;
    }
  });
});
