/**
 * Shared fixtures for log tests: fixed keys (so ids are reproducible), fresh replicas on
 * node:sqlite `:memory:`, and a helper to sign arbitrary (even invalid) envelopes.
 */
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId, type SpaceId } from "../../../core/ids.js";
import { signEnvelope, type EnvelopeOf } from "../../../core/log/envelope.js";
import { formatHlc } from "../../../core/log/hlc.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import { LogReplica } from "../../../core/log/replica.js";
import type { BodyOf, EnvelopeType } from "../../../core/log/types/index.js";
import { NodeSql as NodeSqlStorage } from "../../../client/node/sqlite.js";

export const SPACE: SpaceId = parseSpaceId("incident-42");
/** 2026-01-01T00:00:00Z: a fixed wall time for reproducible stamps. */
export const T0 = 1_767_225_600_000;

export function seed(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

export interface Cast {
  alice: Ed25519Signer;
  bob: Ed25519Signer;
  carol: Ed25519Signer;
  edge: Ed25519Signer;
}

let cast: Promise<Cast> | undefined;
/** alice owns the space, bob is a human, carol an agent, edge the sequencer. */
export function keys(): Promise<Cast> {
  cast ??= (async () => ({
    alice: await Ed25519Signer.fromSeed(seed(1)),
    bob: await Ed25519Signer.fromSeed(seed(2)),
    carol: await Ed25519Signer.fromSeed(seed(3)),
    edge: await Ed25519Signer.fromSeed(seed(4)),
  }))();
  return cast;
}

export function openReplica(space: SpaceId = SPACE): LogReplica {
  return LogReplica.open(new NodeSqlStorage(), space);
}

/** Signs exactly the given fields: for building envelopes a correct writer never would. */
export async function signRaw<T extends EnvelopeType>(
  signer: Ed25519Signer,
  fields: { type: T; body: BodyOf<T>; seq?: number; prev?: EnvelopeId | null; deps?: EnvelopeId[]; hlc?: string; space?: SpaceId },
): Promise<{ id: EnvelopeId; envelope: EnvelopeOf<T> }> {
  const seq = fields.seq ?? 1;
  return signEnvelope(signer, {
    space: fields.space ?? SPACE,
    author: signer.did,
    seq,
    prev: fields.prev ?? null,
    deps: fields.deps ?? [],
    hlc: fields.hlc ?? formatHlc(T0 + seq, 0, signer.did),
    type: fields.type,
    body: fields.body,
  });
}

/** A space with a genesis by alice naming edge the sequencer, and bob and carol added. */
export async function seededReplica(): Promise<{ replica: LogReplica; cast: Cast }> {
  const people = await keys();
  const replica = openReplica();
  await replica.append(people.alice, "space.created", { owners: [people.alice.did], sequencer: people.edge.did }, { now: T0 });
  await replica.append(people.alice, "member.added", { member: people.bob.did, role: "human", domains: ["ops"] }, { now: T0 + 1 });
  await replica.append(people.alice, "member.added", { member: people.carol.did, role: "agent", domains: ["infra"] }, { now: T0 + 2 });
  return { replica, cast: people };
}
