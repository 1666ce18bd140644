/**
 * 12. coalition-quorum: the time from the k-th approval of a coalition's branch to its
 * committed promotion, for k = 2, 5 and 20 (a coalition of k agents with quorum k), on the
 * engine itself — core's replica and sequencer on node:sqlite, loaded by
 * bench/lib/big-space.mjs `loadEngineCore` (the code of the measured commit).
 *
 * Each trial: a fresh branch of the coalition with one staged artifact version, k−1
 * approvals committed, then the timed step — append the k-th approval and sequence it — and
 * a check that the branch is merged and the artifact's current version is the staged one
 * (the promotion commits in the k-th approval's own commit: there is no later step to wait
 * for). Anchor, in the same run and space: appending one channel message and sequencing it.
 * Reported as medians and as the ratio promotion ÷ anchor per k.
 *
 * Target: the ratio at k = 20 ≤ 2 × the ratio at k = 2 (counting votes is O(votes at the
 * epoch), never O(log)). The edge path (HTTP or MCP into a SpaceDO) adds the same transport
 * to both sides and is not measured here.
 */
import { loadEngineCore } from "../lib/big-space.mjs";
import { othersLoad } from "../lib/machine.mjs";
import { median, round } from "../lib/stats.mjs";

export const name = "coalition-quorum";
export const title = "Coalition quorum: k-th approval → committed promotion (k = 2, 5, 20)";

async function space(core, k) {
  const { Ed25519Signer, LogReplica, Sequencer, NodeSql } = core;
  const replica = LogReplica.open(new NodeSql(), `quorum-${k}`);
  const [owner, edge, key] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const agents = await Promise.all(Array.from({ length: k }, () => Ed25519Signer.generate()));
  const sequencer = new Sequencer(replica, edge);
  await replica.append(owner, "space.created", { owners: [owner.did], sequencer: edge.did });
  for (const agent of agents) await replica.append(owner, "member.added", { member: agent.did, role: "agent", domains: [] });
  const coalition = (await replica.append(owner, "coalition.formed", { name: `team-${k}`, goal: "bench", key: key.did, members: agents.map((a) => a.did), quorum: k })).id;
  const artifact = (await replica.append(owner, "artifact.created", { title: "runbook", content: { inline: "v1" } })).id;
  await sequencer.sequence();
  return { replica, sequencer, owner, agents, coalition, artifact };
}

async function trial(s, n) {
  const { replica, sequencer, owner, agents, coalition, artifact } = s;
  const branch = (await replica.append(agents[0], "branch.created", { name: `fix-${n}`, coalition })).id;
  await replica.append(agents[0], "branch.updated", { branch, artifact, content: { inline: `v${n + 2}` } });
  for (const agent of agents.slice(0, -1)) await replica.append(agent, "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
  await sequencer.sequence();
  const t0 = performance.now();
  await replica.append(agents.at(-1), "coalition.voted", { coalition, epoch: 1, motion: "promote", branch });
  await sequencer.sequence();
  const promotion = performance.now() - t0;
  const state = sequencer.committed();
  if (state.branches.get(branch)?.status !== "merged") throw new Error(`k=${agents.length}: the branch was not promoted by the k-th approval`);
  if (state.artifacts.get(artifact)?.content.inline !== `v${n + 2}`) throw new Error(`k=${agents.length}: the staged version did not become current`);
  const a0 = performance.now();
  await replica.append(owner, "channel.message", { content: `anchor ${n}` });
  await sequencer.sequence();
  return { promotion, anchor: performance.now() - a0 };
}

export async function run({ quick, log }) {
  const load = othersLoad();
  const core = await loadEngineCore();
  const trials = quick ? 5 : 30;
  const rows = [];
  for (const k of [2, 5, 20]) {
    const s = await space(core, k);
    // One warm-up trial: the first sequence of a fresh process compiles the fold.
    await trial(s, -1);
    const promotions = [];
    const anchors = [];
    for (let n = 0; n < trials; n++) {
      const { promotion, anchor } = await trial(s, n);
      promotions.push(promotion);
      anchors.push(anchor);
    }
    const row = { k, trials, promotionMs: round(median(promotions), 3), anchorMs: round(median(anchors), 3), ratio: round(median(promotions) / median(anchors), 2) };
    rows.push(row);
    log(`coalition-quorum k=${k}: promotion ${row.promotionMs} ms, anchor ${row.anchorMs} ms, ratio ${row.ratio}`);
  }
  const ratio2 = rows[0].ratio;
  const ratio20 = rows[2].ratio;
  return { rows, target: { rule: "ratio(k=20) ≤ 2 × ratio(k=2)", pass: ratio20 <= 2 * ratio2 }, machine: load.stop() };
}
