/**
 * A space for coalition and market tests: alice owns it, bob is a human, carol, dave and
 * erin are agents, edge is the sequencer (and the MCP tool host). `write` appends an
 * envelope at the next fixed stamp (5 ms apart; `clock.advance` jumps); `commit` sequences
 * and returns each envelope's verdict.
 */
import { Ed25519Signer } from "../../../core/identity/signer.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogReplica } from "../../../core/log/replica.js";
import type { BodyOf, EnvelopeType } from "../../../core/log/types/index.js";
import { Sequencer, type CommitEntry } from "../../../core/state/sequencer.js";
import { seed, seededReplica, T0 } from "../log/fixtures.js";

export const EXPIRES = new Date(T0 + 30 * 24 * 3_600_000).toISOString();

export async function coalitionSpace() {
  const { replica, cast } = await seededReplica();
  const dave = await Ed25519Signer.fromSeed(seed(5));
  const erin = await Ed25519Signer.fromSeed(seed(6));
  const team = (await Ed25519Signer.fromSeed(seed(7))).did;
  let now = T0 + 10;
  // Receipts are stamped by the same fixed clock, so every stamp (and deadline) is reproducible.
  const sequencer = new Sequencer(replica, cast.edge, { now: () => (now += 1) });
  const clock = { advance: (ms: number) => (now += ms), get now() { return now; } };
  const write = async <T extends EnvelopeType>(signer: Ed25519Signer, type: T, body: BodyOf<T>, into: LogReplica = replica): Promise<EnvelopeId> =>
    (await into.append(signer, type, body, { now: (now += 5) })).id;
  const commit = async (): Promise<Map<EnvelopeId, CommitEntry>> => new Map((await sequencer.sequence()).entries.map((entry) => [entry.id, entry]));
  await write(cast.alice, "member.added", { member: dave.did, role: "agent", domains: ["infra"] });
  await write(cast.alice, "member.added", { member: erin.did, role: "agent", domains: ["db"] });
  await commit();
  return { replica, sequencer, ...cast, dave, erin, team, write, commit, clock };
}

export type CoalitionSpace = Awaited<ReturnType<typeof coalitionSpace>>;

/** Forms a coalition of carol, dave and erin (quorum 2) by bob, with a work item, and commits it. */
export async function incidentTeam(space: CoalitionSpace, quorum = 2) {
  const { bob, carol, dave, erin, team, write, commit } = space;
  const item = await write(bob, "work.created", { title: "checkout latency incident", domains: ["infra"] });
  const coalition = await write(bob, "coalition.formed", {
    name: "incident-7", goal: "restore checkout latency", item, key: team, members: [carol.did, dave.did, erin.did], quorum,
  });
  const verdicts = await commit();
  return { item, coalition, verdicts };
}
