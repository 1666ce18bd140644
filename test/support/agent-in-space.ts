/**
 * An AgentDO made a member of a seeded space at a real edge, the way `commons agent add`
 * does it: the owner signs an `invite.created` for role agent (synced over Andy's live
 * socket), and hands the invite URL to the agent's `POST /agents/:name/spaces` with a token
 * signed for the agent's did (read from its signed card). Resolves once the agent's
 * membership has committed in the owner's copy.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { issueAgentCapability } from "../../core/auth/capability.js";
import { fetchAgentCard } from "../../core/a2a/remote.js";
import type { Did } from "../../core/identity/did.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { encodeInviteUrl } from "../../core/space/invite.js";
import { cliNode, type CliNode } from "./cli.js";
import type { SeededSpace } from "./seed-space.js";

export interface JoinedAgent {
  name: string;
  did: Did;
  url: string;
}

export async function addAgent(
  edge: string, seeded: SeededSpace, name: string, domains: string[],
  extra: { keywords?: string[]; handoffs?: Array<{ from: string; to: string }>; options?: Record<string, unknown> } = {},
): Promise<JoinedAgent> {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const key = await Ed25519Signer.fromSeed(seed);
  const invite = await seeded.replica.append(seeded.andy, "invite.created", { key: key.did, role: "agent", domains, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), uses: 1, name });
  await seeded.socket.sync.push();
  const url = `${edge}/agents/${name}`;
  const { did } = await fetchAgentCard(`${url}/`);
  const token = await issueAgentCapability(seeded.andy, { agent: did });
  const res = await fetch(`${url}/spaces`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ invite: encodeInviteUrl({ edge, space: seeded.space as never, invite: invite.id, seed }), ...extra }),
  });
  if (res.status !== 201) throw new Error(`the agent ${name} did not join: ${res.status} ${await res.text()}`);
  await seeded.socket.until(() => seeded.committed().members.get(did)?.role === "agent");
  return { name, did, url };
}

/** A `commons` node (a real process per command) whose identity is `signer`, as if it had run `commons id` with that key. */
export function cliNodeAs(label: string, signer: Ed25519Signer): CliNode {
  const node = cliNode(label);
  mkdirSync(node.home, { recursive: true });
  const file = join(node.home, "identity.json");
  writeFileSync(file, JSON.stringify({ did: signer.did, jwk: signer.exportPrivateJwk() }));
  chmodSync(file, 0o600);
  return node;
}
