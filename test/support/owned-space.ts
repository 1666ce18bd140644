/**
 * A space of one's own at a real edge (or a `commons serve` node) for end-to-end tests: the
 * owner's genesis, and any members, pushed over `POST /log` (open to anyone) so the door
 * knows them, then tokens for whoever connects. The space is private unless asked otherwise.
 */
import { pushOverHttp } from "../../client/node/push.js";
import { NodeSql } from "../../client/node/sqlite.js";
import { issueCapability, type CapabilityInput } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import type { Role } from "../../core/log/ids.js";
import { LogReplica } from "../../core/log/replica.js";

export interface OwnedSpace {
  space: string;
  owner: Ed25519Signer;
  /** Members added after the genesis, by the names they were given. */
  members: Record<string, Ed25519Signer>;
  /** The owner's replica, holding the genesis and the member envelopes. */
  replica: LogReplica;
  /** A self-issued token for `signer` at the remote's committed epoch. */
  token(signer: Ed25519Signer, claims?: Partial<CapabilityInput>): Promise<string>;
  /** `{ headers: { Authorization } }` for an HTTP read as `signer`. */
  as(signer: Ed25519Signer): Promise<RequestInit>;
}

export async function ownedSpace(
  http: string,
  space: string,
  options: { visibility?: "private" | "public-read"; members?: Record<string, Role>; title?: string } = {},
): Promise<OwnedSpace> {
  const owner = await Ed25519Signer.generate();
  const replica = LogReplica.open(new NodeSql(), parseSpaceId(space));
  const { sequencer } = (await (await fetch(`${http}/s/${space}/log/state`)).json()) as { sequencer: string };
  await replica.append(owner, "space.created", {
    owners: [owner.did], sequencer: sequencer as never,
    ...(options.visibility ? { visibility: options.visibility } : {}), ...(options.title ? { title: options.title } : {}),
  });
  const members: Record<string, Ed25519Signer> = {};
  for (const [name, role] of Object.entries(options.members ?? {})) {
    members[name] = await Ed25519Signer.generate();
    await replica.append(owner, "member.added", { member: members[name]!.did, role, domains: [], name });
  }
  const { refused } = await pushOverHttp(replica, http);
  if (refused.length > 0) throw new Error(`the space was not set up: ${JSON.stringify(refused)}`);
  const token: OwnedSpace["token"] = async (signer, claims = {}) => {
    const { epoch } = (await (await fetch(`${http}/s/${space}/log/state`)).json()) as { epoch: number };
    return issueCapability(signer, { sub: signer.did, space, tools: ["*"], tier: 4, epoch, ...claims });
  };
  return { space, owner, members, replica, token, as: async (signer) => ({ headers: { Authorization: `Bearer ${await token(signer)}` } }) };
}
