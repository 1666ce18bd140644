/**
 * A local node's home with a copy of a space, built directly with core code — no edge:
 * `identity.json` as `commons id` writes it, and `spaces/<space>.db` holding a genesis by
 * the node (owner), a second member, `n` channel messages alternating between them, and
 * the sequencer's receipts for all of it. What `commons join` + `sync` would leave, in a
 * fraction of the time; the CLI then runs on it as a process (test/support/cli.ts).
 *
 * `more()` appends messages by the other member through the replica, as a daemon's sync
 * would: rows past the point the node last verified.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NodeSql } from "../../client/node/sqlite.js";
import { Ed25519Signer } from "../../core/identity/signer.js";
import { parseSpaceId, type SpaceId } from "../../core/ids.js";
import { LogReplica } from "../../core/log/replica.js";
import { Sequencer } from "../../core/state/sequencer.js";

export interface LocalCopy {
  home: string;
  space: SpaceId;
  file: string;
  me: Ed25519Signer;
  other: Ed25519Signer;
  /** Appends `n` messages by the other member (and commits them unless `commit: false`), with the file opened as a daemon would. */
  more(n: number, options?: { commit?: boolean }): Promise<void>;
}

export async function buildLocalCopy(home: string, name: string, n: number): Promise<LocalCopy> {
  const space = parseSpaceId(name);
  mkdirSync(join(home, "spaces"), { recursive: true, mode: 0o700 });
  const [me, other, edge] = await Promise.all([Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()]);
  writeFileSync(join(home, "identity.json"), `${JSON.stringify({ did: me.did, jwk: me.exportPrivateJwk() }, null, 2)}\n`, { mode: 0o600 });
  const file = join(home, "spaces", `${space}.db`);
  const write = async (count: number, first: boolean, commit: boolean) => {
    const sql = new NodeSql(file);
    try {
      const replica = LogReplica.open(sql, space);
      if (first) {
        await replica.append(me, "space.created", { owners: [me.did], sequencer: edge.did });
        await replica.append(me, "member.added", { member: other.did, role: "human", domains: ["ops"], name: "other" });
      }
      const start = replica.count();
      for (let i = 0; i < count; i++) {
        const author = first && i % 2 === 0 ? me : other;
        await replica.append(author, "channel.message", { content: `message ${start + i}` });
      }
      if (commit) await new Sequencer(replica, edge).sequence();
    } finally {
      sql.close();
    }
  };
  await write(n, true, true);
  return { home, space, file, me, other, more: (count, options = {}) => write(count, false, options.commit ?? true) };
}
