/**
 * The seed's cast in a real space at the edge: Andy (owner, human) with reserved
 * authority, Michelle (governance agent) and George (creative agent, domain After-Image),
 * the seed's demo policy, and the edge as sequencer. Andy's replica stays connected live,
 * so tests can wait on what the edge commits without timers. The space is private: its
 * genesis goes up over `POST /log` first (Andy is a member only once it commits), then
 * Andy's socket shows the door a token.
 */
import { NodeSql } from "../../client/node/sqlite.js";
import { pushOverHttp } from "../../client/node/push.js";
import { openLogSocket, type LogSocket } from "../../client/sdk/log-socket.js";
import { issueCapability, type CapabilityInput } from "../../core/auth/capability.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId } from "../../core/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { demoMembers, demoPolicy } from "../../core/policy/demo.js";
import { buildView } from "../../core/views/build.js";
import type { Edge } from "./edge.js";

export interface SeededSpace {
  space: string;
  andy: Ed25519Signer;
  michelle: Ed25519Signer;
  george: Ed25519Signer;
  /** Andy's replica, live-synced with the edge. */
  replica: LogReplica;
  socket: LogSocket;
  /** The committed view of Andy's replica. */
  committed(): ReturnType<typeof buildView>["committed"];
  /** A capability token issued by `issuer` for `sub` on this space (self-issued by default). */
  token(issuer: Ed25519Signer, claims?: Partial<CapabilityInput>): Promise<string>;
  close(): void;
}

export async function seedSpace(edge: Edge, space: string): Promise<SeededSpace> {
  const [andy, michelle, george] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  const replica = LogReplica.open(new NodeSql(), parseSpaceId(space));
  const { sequencer } = (await (await fetch(`${edge.http}/s/${space}/log/state`)).json()) as { sequencer: string };
  await replica.append(andy, "space.created", { owners: [andy.did], sequencer: sequencer as never, title: "NullProof Studio" });
  for (const body of demoMembers({ andy: andy.did, michelle: michelle.did, george: george.did })) await replica.append(andy, "member.added", body);
  for (const body of demoPolicy({ andy: andy.did, michelle: michelle.did })) await replica.append(andy, "policy.set", body);
  const { refused } = await pushOverHttp(replica, edge.http);
  if (refused.length > 0) throw new Error(`the seed was refused: ${JSON.stringify(refused)}`);
  const committed = () => buildView(replica.since(0)).committed;
  const { epoch } = (await (await fetch(`${edge.http}/s/${space}/log/state`)).json()) as { epoch: number };
  const andyToken = await issueCapability(andy, { sub: andy.did, space, tools: ["*"], tier: 4, epoch });
  const socket = await openLogSocket(`${edge.ws}/s/${space}`, replica, { token: andyToken });
  await socket.synced();
  await socket.until(() => committed().policies.size > 0);
  return {
    space, andy, michelle, george, replica, socket, committed,
    token: (issuer, claims = {}) =>
      issueCapability(issuer, { sub: issuer.did, space, tools: ["*"], tier: 4, epoch: committed().epoch, ...claims }),
    close: () => socket.close(),
  };
}
