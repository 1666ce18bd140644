/**
 * `npm run demo`: the seed's loop, runnable (issue 12 item 8). Starts the edge as `npm start`
 * does (a fresh state directory, a free port unless PORT says), makes an incident space
 * owned by Andy (a `commons` node of its own: every human step is a real `commons` command,
 * printed as it runs), puts two agents of different domains in it (rules brain:
 * deterministic), and walks the loop, printing each step as the space commits it:
 *
 *   a human posts → the right agent self-selects and claims → runs tier-1 tools (a progress
 *   note, a report) → hands a subtask to the other agent over A2A → that agent's result
 *   needs a tier-3 approval → Andy approves from the CLI → it runs once → the delegation's
 *   result is linked to the work item → "why did each agent act?" from the log's traces.
 *
 * Exits 0 when the loop completed and the space holds exactly one approved result; 1 with
 * what was missing otherwise. `--keep` leaves the edge running at the end (Ctrl-C stops it).
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { edgeEnv, repoRoot, wranglerDevArgs } from "./edge-dev.mjs";

const commonsBin = fileURLToPath(new URL("../bin/commons", import.meta.url));
const keep = process.argv.includes("--keep");
const SPACE = "incident-demo";
const step = (n, text) => console.log(`\n${n}. ${text}`);
const say = (text) => console.log(`   ${text}`);

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer();
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

async function startEdge(state) {
  // The edge serves the web app's bundle as static assets; wrangler refuses to start without it (`npm start` builds it first too).
  if (!existsSync(join(repoRoot, "dist", "web"))) execFileSync(process.execPath, [join(repoRoot, "scripts", "build-web.mjs")], { cwd: repoRoot, stdio: "inherit" });
  const port = Number(process.env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, wranglerDevArgs({ port, persistTo: state, logLevel: "info", inspectorPort: await freePort() }), {
    cwd: repoRoot, env: edgeEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  let log = "";
  await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk.toString();
      if (log.includes(`Ready on http://127.0.0.1:${port}`)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the edge exited (${code}) before it was ready:\n${log}`)));
  });
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  // Interrupted (Ctrl-C, a test's kill): the edge goes too.
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => (stop(), process.exit(130)));
  return { http: `http://127.0.0.1:${port}`, stop, output: () => log };
}

/** One `commons` command as Andy (his own COMMONS_HOME), printed; resolves with stdout. */
function commons(home, args, { quiet = false } = {}) {
  if (!quiet) say(`$ commons ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [commonsBin, ...args], { env: { ...process.env, COMMONS_HOME: home }, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`commons ${args.join(" ")} failed (${error.code}):\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/** Reads the edge with Andy's self-issued door token. */
function reader(edge, token) {
  const get = async (path) => {
    const res = await fetch(`${edge}/s/${SPACE}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    log: async () => (await get("/log?since=0&limit=1000")).envelopes.filter((e) => e.status.state === "committed" && e.status.verdict === "accepted"),
    view: () => get("/view"),
  };
}

/** Waits for `look()` to answer something, reading the space again every 250 ms (a demo, not a test: at most 90 s). */
async function until(what, look) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const found = await look();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main() {
  const state = mkdtempSync(join(tmpdir(), "commons-demo-edge-"));
  const home = mkdtempSync(join(tmpdir(), "commons-demo-andy-"));
  step(1, "Start the edge (wrangler dev → workerd, as `npm start` does)");
  const edge = await startEdge(state);
  say(`edge at ${edge.http}`);
  try {
    await run(edge.http, home);
    console.log("\nThe loop is complete: one approved result, the delegation linked to the work item, every decision traced.");
    if (keep) {
      console.log(`The edge keeps running at ${edge.http} (Ctrl-C stops it); open ${edge.http}/s/${SPACE}`);
      await new Promise(() => {}); // until Ctrl-C (the handler stops the edge)
    }
  } finally {
    edge.stop();
    rmSync(home, { recursive: true, force: true });
    if (!keep) rmSync(state, { recursive: true, force: true });
  }
}

async function run(edge, home) {
  step(2, "Andy makes the incident space; publishing a result needs him (write_artifact is tier 3, approver Andy)");
  const andy = (await commons(home, ["id"])).match(/did:key:\S+/)[0];
  say(`Andy is ${andy}`);
  await commons(home, ["create", `${edge}/s/${SPACE}`, "--title", "Incident: the API cert expired"]);
  const policy = join(home, "policy.json");
  writeFileSync(policy, JSON.stringify([{ tool: "write_artifact", tier: 3, approver: andy, reason: "a result that leaves the team (the status page) needs Andy" }]));
  await commons(home, ["policy", SPACE, "set", policy]);

  step(3, "Two agents join with their own keys, in different domains (what `commons agent add` does: an owner's invite, handed to the agent)");
  const agents = {};
  for (const [name, domains] of [["ops-bot", "ops"], ["comms-bot", "comms"]]) {
    const invite = JSON.parse(await commons(home, ["invite", SPACE, "--role", "agent", "--domains", domains, "--name", name, "--json"]));
    const url = `${edge}/agents/${name}`;
    const token = (await commons(home, ["a2a", "token", url, "--ttl", "600"], { quiet: true })).trim();
    const res = await fetch(`${url}/spaces`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify({ invite: invite.url }) });
    if (res.status !== 201) throw new Error(`${name} did not join: ${res.status} ${await res.text()}`);
    const { did } = await (await fetch(`${url}/spaces`, { headers: { Authorization: `Bearer ${token}` } })).json();
    agents[name] = { url, did };
    say(`${name} (${domains}) joined as ${agents[name].did}`);
  }
  const nameOf = (did) => Object.entries(agents).find(([, a]) => a.did === did)?.[0] ?? (did === andy ? "Andy" : did.slice(0, 20));
  await commons(home, ["sync", SPACE], { quiet: true });
  const space = reader(edge, (await commons(home, ["token", SPACE, "--ttl", "1h"], { quiet: true })).trim());

  step(4, "A human posts the incident and a work item in ops, with a subtask for comms written into it");
  await commons(home, ["post", SPACE, "09:14 the API cert expired: customers see TLS errors"]);
  const created = JSON.parse(await commons(home, ["work", SPACE, "create", "Restore the API cert", "--domains", "ops", "--json",
    "--description", `Renew and deploy the cert.\ndelegate ${agents["comms-bot"].url}: draft the public status-page note`]));
  const item = created.id;
  await commons(home, ["sync", SPACE]);
  say(`work item ${item}`);

  step(5, "The right agent self-selects and claims (first claim by commit order wins)");
  const claim = await until("ops-bot's claim", async () => (await space.log()).find((e) => e.envelope.type === "work.claimed" && e.envelope.body.item === item));
  say(`${nameOf(claim.envelope.body.actor)} claimed it at commit ${claim.status.index}`);

  step(6, "It runs tier-1 tools and reports (a progress note; a message with its toolCalls)");
  const report = await until("ops-bot's report", async () => (await space.log()).find((e) => e.envelope.type === "channel.message" && e.envelope.body.actor === agents["ops-bot"].did && e.envelope.body.toolCalls?.some((c) => c.tool === "update_work_item")));
  say(`ops-bot: "${report.envelope.body.content}"  toolCalls: ${report.envelope.body.toolCalls.map((c) => `${c.tool}=${c.result}`).join(", ")}`);

  step(7, "It hands the subtask to comms-bot over A2A SendMessage; comms-bot's result asks Andy (tier 3) and waits");
  const delegated = await until("the delegation", async () => (await space.log()).find((e) => e.envelope.type === "trace.recorded" && e.envelope.body.kind === "agent.delegated" && e.envelope.body.ref === item));
  say(`ops-bot → ${nameOf(delegated.envelope.body.data.did)}: "${delegated.envelope.body.data.chose.delegate}"`);
  const request = await until("comms-bot's approval request", async () => (await space.log()).find((e) => e.envelope.type === "approval.requested" && e.envelope.body.actor === agents["comms-bot"].did));
  say(`approval requested: ${request.envelope.body.action.summary}`);
  await commons(home, ["sync", SPACE], { quiet: true });
  say("Andy's attention:");
  for (const line of (await commons(home, ["log", SPACE, "--attention"])).trim().split("\n")) say(`  ${line}`);

  step(8, "Andy approves from the CLI; the space runs the action once");
  await commons(home, ["approve", SPACE, request.id]);
  await commons(home, ["sync", SPACE], { quiet: true });
  const ran = await until("the approved action", async () => (await space.log()).find((e) => e.envelope.type === "channel.message" && e.envelope.body.threadRef === request.id && e.envelope.body.toolCalls?.[0]?.approvedBy));
  say(ran.envelope.body.content);

  step(9, "The agents hand off and report: the delegation's task and result, linked to the work item");
  const result = await until("the delegation's result", async () => (await space.log()).find((e) => e.envelope.type === "channel.message" && e.envelope.body.actor === agents["ops-bot"].did && e.envelope.body.toolCalls?.[0]?.tool === "a2a.SendMessage"));
  say(`ops-bot: "${result.envelope.body.content}"`);
  const log = await space.log();
  const artifacts = log.filter((e) => e.envelope.type === "artifact.created" && e.envelope.body.actor === agents["comms-bot"].did);
  if (artifacts.length !== 1) throw new Error(`expected the approved result exactly once, found ${artifacts.length}`);
  say(`the result exists once: "${artifacts[0].envelope.body.title}" (${artifacts[0].id})`);

  step(10, "Why did each agent act? (`commons log incident-demo --type trace.recorded`)");
  for (const e of log.filter((x) => x.envelope.type === "trace.recorded")) {
    const saw = e.envelope.body.data?.saw ?? {};
    say(`${nameOf(e.envelope.body.data?.agent).padEnd(9)} ${e.envelope.body.kind.padEnd(24)} saw ${saw.type ?? "?"} @ commit ${saw.commit ?? "?"}: ${e.envelope.body.summary}`);
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(`\ndemo failed: ${error.message}`);
  process.exit(1);
});
