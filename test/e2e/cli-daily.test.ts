/**
 * The CLI for scripts, as processes: `--json` on write commands and on `sync` against a real
 * `wrangler dev` (each prints one JSON object with the id and the verdict), a refusal whose
 * hint names a command that exists, and the launcher as docs/CLI.md says to run it — started
 * by the system's older Node (it re-runs itself on the pinned Node 24) and through `npm exec`.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { commonsBin, useCliNodes } from "../support/cli.js";
import { removeDir, tempDir, useEdge } from "../support/edge.js";

const edgeOf = useEdge();
const node = useCliNodes();

const root = fileURLToPath(new URL("../../", import.meta.url));
const version = (JSON.parse(readFileSync(new URL("package.json", `file://${root}`), "utf8")) as { version: string }).version;

/** Runs `command args` with `env`, from the repository's root. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

type Status = { state: string; verdict?: string; index?: number };

describe("commons for scripts and from npm", () => {
  it("--json on write commands and sync: one object each, with the id and the verdict", { timeout: 240_000 }, async () => {
    const owner = node("json-owner");
    const space = "daily-json";
    const made = await owner.json<{ created: string; genesis: string; owner: string; sync: { space: string; frontier: number; tentative: number } }>(["create", `${edgeOf().http}/s/${space}`]);
    expect(made).toMatchObject({ created: space, owner: (await owner.json<{ did: string }>(["id"])).did, sync: { space, tentative: 0 } });
    expect(made.sync.frontier).toBeGreaterThanOrEqual(1);

    const posted = await owner.json<{ id: string; count: number; status: Status }>(["post", space, "hello"]);
    expect(posted).toMatchObject({ id: expect.stringMatching(/^sha256:/), count: 1, status: { state: "tentative" } });
    const item = await owner.json<{ type: string; id: string; status: Status }>(["work", space, "create", "rotate the cert"]);
    expect(item).toMatchObject({ type: "work.created", status: { state: "tentative", verdict: "accepted" } });
    const claim = await owner.json<{ type: string; status: Status }>(["work", space, "claim", item.id.slice(7, 17)]);
    expect(claim).toMatchObject({ type: "work.claimed", status: { state: "tentative", verdict: "accepted" } });
    const doc = await owner.json<{ name: string; length: number }>(["doc", space, "append", "notes!"]);
    expect(doc).toEqual({ name: "notes", length: 6 });

    const synced = await owner.json<{ space: string; pushed: number; tentative: number; frontier: number; rejected: unknown[] }>(["sync", space]);
    expect(synced).toMatchObject({ space, tentative: 0, rejected: [] });
    expect(synced.pushed).toBeGreaterThanOrEqual(3);
    const status = JSON.parse((await owner.ok(["log", space, "--type", "channel.message", "--json"])).trim()) as { id: string; status: Status };
    expect(status).toMatchObject({ id: posted.id, status: { state: "committed", verdict: "accepted" } });

    const invite = await owner.json<{ url: string; invite: string; status: Status }>(["invite", space, "--role", "agent", "--name", "bot"]);
    expect(invite.status).toMatchObject({ state: "committed", verdict: "accepted" });
    const revoked = await owner.json<{ revoked: string; status: Status }>(["invite", space, "revoke", invite.invite.slice(7, 17)]);
    expect(revoked).toMatchObject({ revoked: invite.invite, status: { state: "committed", verdict: "accepted" } });
    const visibility = await owner.json<{ visibility: string; status: Status }>(["space", space, "visibility", "public-read"]);
    expect(visibility).toMatchObject({ visibility: "public-read", status: { state: "committed" } });

    const bot = node("json-bot");
    const botDid = (await bot.json<{ did: string }>(["id"])).did;
    const added = await owner.json<{ type: string; status: Status }>(["members", space, "add", botDid, "--role", "agent", "--name", "bot"]);
    expect(added).toMatchObject({ type: "member.added", status: { state: "tentative", verdict: "pending-commit" } });
    const token = await owner.json<{ token: string; subject: string; tier: number }>(["token", space, "--tier", "2"]);
    expect(token).toMatchObject({ subject: made.owner, tier: 2, token: expect.stringMatching(/^ey/) });
    await owner.ok(["sync", space]);
    const grant = await owner.json<{ token: string; to: string; jti: string; id: string }>(["grant", space, "--to", botDid, "--tools", "post_message", "--tier", "1"]);
    expect(grant).toMatchObject({ to: botDid, token: expect.stringMatching(/^ey/), id: expect.stringMatching(/^sha256:/) });

    // A refusal's hint names a command that exists (it used to say `commons log <space> ls`).
    const missing = await owner.run(["approve", space, "abcdef123456"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`list them with \`commons log ${space} --attention\``);
  });

  it("the launcher: started by the system's older Node it runs on the pinned Node 24; npm exec commons works", { timeout: 120_000 }, async () => {
    const home = tempDir("cli-launcher");
    try {
      // PATH without node_modules/.bin: `#!/usr/bin/env node` finds the system's Node (20 on CI).
      const system = await run(commonsBin, ["--version"], { ...process.env, PATH: "/usr/local/bin:/usr/bin:/bin", COMMONS_HOME: home });
      expect(system).toMatchObject({ code: 0, stdout: `commons ${version} (Node ${process.versions.node})\n` });
      expect(process.versions.node.split(".")[0]).toBe("24");
      const viaNpm = await run("npm", ["exec", "--offline", "commons", "--", "-V"], { ...process.env, COMMONS_HOME: home });
      expect(viaNpm.stdout).toBe(`commons ${version} (Node ${process.versions.node})\n`);
      expect(viaNpm.code).toBe(0);
    } finally {
      removeDir(home);
    }
  });
});
