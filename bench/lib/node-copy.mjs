/**
 * Builds a local node's copy of a space directly with the project's own core code (no edge):
 * a COMMONS_HOME with an identity and one `spaces/<space>.db` holding `n` signed envelopes,
 * committed by a sequencer key, as `commons join` + `sync` would leave it.
 *
 * The envelopes: genesis by the node (owner; sequencer S), two more members, then `n`
 * channel messages round-robin over the three authors, each citing the others' tips. A
 * fixed number of them ask for the node's attention (mentions, approval requests naming it),
 * whatever `n`, so `log --attention` has the same answer at every size. Then S commits
 * everything (core/state/sequencer.ts), 128 entries per receipt, as an edge would.
 *
 * Core is bundled for Node with esbuild, as bench/lib/core-bundle.mjs does.
 */
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../scripts/edge-dev.mjs";

/** Mentions of the node and approval requests naming it, at any size. */
export const ATTENTION = { mentions: 20, approvals: 5 };
const BATCH = 256;

let loaded;
/** core/log (replica, writer, sequencer), the signer and node:sqlite's SqlStorage, bundled once. */
export function loadNodeCore() {
  loaded ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "commons-bench-node-"));
    const entry = join(dir, "entry.ts");
    const from = (path) => JSON.stringify(join(repoRoot, path));
    writeFileSync(
      entry,
      `export { LogReplica } from ${from("core/log/replica.ts")};\n` +
        `export { Sequencer } from ${from("core/state/sequencer.ts")};\n` +
        `export { createEnvelope } from ${from("core/log/writer.ts")};\n` +
        `export { Ed25519Signer } from ${from("core/identity/signer.ts")};\n` +
        `export { NodeSql } from ${from("client/node/sqlite.ts")};\n`,
    );
    const outfile = join(dir, "node-core.mjs");
    await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile, external: ["node:*"], logLevel: "silent" });
    return import(pathToFileURL(outfile).href);
  })();
  return loaded;
}

/**
 * A fresh home (under `parent`) with a copy of `space` holding `n` messages; returns its
 * path and figures. The node's identity is written as `commons id` writes it.
 */
export async function buildCopy(parent, space, n) {
  const core = await loadNodeCore();
  const home = mkdtempSync(join(parent, `home-${n}-`));
  mkdirSync(join(home, "spaces"), { recursive: true, mode: 0o700 });
  const me = await core.Ed25519Signer.generate();
  writeFileSync(join(home, "identity.json"), `${JSON.stringify({ did: me.did, jwk: me.exportPrivateJwk() }, null, 2)}\n`, { mode: 0o600 });
  const [bob, carol, sequencer] = await Promise.all([0, 1, 2].map(() => core.Ed25519Signer.generate()));
  const authors = [me, bob, carol];

  const t0 = performance.now();
  const sql = new core.NodeSql(join(home, "spaces", `${space}.db`));
  const replica = core.LogReplica.open(sql, space);
  const tips = new Map();
  // Stamps one ms apart, ending now: never "from the future" for the replica.
  let now = Date.now() - n - 10;
  const write = async (signer, type, body) => {
    const heads = authors.filter((a) => a !== signer && tips.has(a.did)).map((a) => tips.get(a.did));
    const last = tips.get(signer.did) ?? null;
    const made = await core.createEnvelope(signer, { space, last, heads: heads.map(({ id, hlc }) => ({ id, hlc })) }, type, body, now++);
    tips.set(signer.did, { seq: made.envelope.seq, id: made.id, hlc: made.envelope.hlc });
    return made.envelope;
  };
  const pending = [];
  const flush = async () => {
    for (let i = 0; i < pending.length; i += BATCH) {
      const results = await replica.ingest(pending.slice(i, i + BATCH));
      const refused = results.find((r) => r.status !== "accepted");
      if (refused) throw new Error(`copy builder: ${refused.code} ${refused.message}`);
    }
    pending.length = 0;
  };
  pending.push(await write(me, "space.created", { owners: [me.did], sequencer: sequencer.did, title: `bench ${n}` }));
  pending.push(await write(me, "member.added", { member: bob.did, role: "human", domains: ["ops"], name: "bob" }));
  pending.push(await write(me, "member.added", { member: carol.did, role: "agent", domains: ["ops"], name: "carol" }));
  // Exactly ATTENTION.mentions mentions (by bob) and ATTENTION.approvals requests (by carol), spread evenly.
  const spread = (k, offset) => new Set(Array.from({ length: k }, (_, j) => Math.floor(((j + offset) * n) / (k + 1))));
  const mentionAt = spread(ATTENTION.mentions, 1);
  const approvalAt = spread(ATTENTION.approvals, 0.5);
  let mentions = 0;
  let approvals = 0;
  for (let i = 0; i < n; i++) {
    if (approvalAt.has(i) && !mentionAt.has(i)) {
      approvals++;
      pending.push(await write(carol, "approval.requested", {
        action: { tool: "deploy", params: { n: i }, summary: `deploy ${i}` }, approver: me.did, expiresAt: new Date(Date.now() + 365 * 864e5).toISOString(),
      }));
    } else if (mentionAt.has(i)) {
      mentions++;
      pending.push(await write(bob, "channel.message", { content: `message ${i}: ${"lorem ipsum ".repeat(8)}`, mentions: [me.did] }));
    } else {
      pending.push(await write(authors[i % 3], "channel.message", { content: `message ${i}: ${"lorem ipsum ".repeat(8)}` }));
    }
    if (pending.length >= 4 * BATCH) await flush();
  }
  await flush();
  const committed = await new core.Sequencer(replica, sequencer).sequence();
  const envelopes = replica.count();
  sql.close();
  return { home, did: me.did, envelopes, receipts: committed.receipts.length, attention: mentions + approvals, buildSeconds: (performance.now() - t0) / 1000 };
}
