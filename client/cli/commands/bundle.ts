/** `export` and `import`: a space as one self-verifying file (format in client/node/bundle.ts). */
import { resolve } from "node:path";
import type { SpaceId } from "../../../core/ids.js";
import { exportBundle, importBundle } from "../../node/bundle.js";
import { loadIdentity } from "../../node/identity.js";
import { withSpace } from "../../node/local-space.js";
import { arity, space, usage, type CommandSpec } from "../spec.js";

const exportCommand: CommandSpec<{ space: SpaceId; file: string }> = {
  name: "export",
  summary: "Write a space's full copy (log + document) to one self-verifying bundle file",
  usage: ["export <space> <file>"],
  details: "JSON lines: a header with counts and a SHA-256 of the rest, the envelopes in causal order, the Yjs history as base64 chunks. See docs/CLI.md.",
  examples: ["commons export incident-42 incident-42.commons"],
  options: {},
  parse(positionals) {
    arity("export", positionals, 2, 2);
    if (positionals[1]!.length === 0) throw usage("export", "The file name is empty.");
    return { space: space("export", positionals[0]), file: resolve(positionals[1]!) };
  },
  async run({ space: name, file }, io) {
    const me = await loadIdentity(io.home);
    const header = await withSpace(io.home, name, { lock: false }, (local) => exportBundle(local, file, me?.did ?? null));
    io.out(`exported ${name}: ${header.envelopes} envelopes, ${header.yjsChunks} Yjs chunks → ${file} (sha256 ${header.sha256.slice(0, 16)}…)`);
    return 0;
  },
};

const importCommand: CommandSpec<{ file: string }> = {
  name: "import",
  summary: "Make a local copy of a space from a bundle, verifying every envelope and the checksum",
  usage: ["import <file>"],
  details: "Refused if the space already has a local copy. A bundle that fails any check imports nothing.",
  examples: ["commons import incident-42.commons"],
  options: {},
  parse: (positionals) => (arity("import", positionals, 1, 1), { file: resolve(positionals[0]!) }),
  async run({ file }, io) {
    const header = await importBundle(io.home, file);
    io.out(`imported ${header.space}: ${header.envelopes} envelopes verified, ${header.yjsChunks} Yjs chunks${header.edge ? `; edge ${header.edge}` : ""}`);
    return 0;
  },
};

export const bundleCommands = [exportCommand, importCommand] as CommandSpec[];
