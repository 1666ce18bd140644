/**
 * Loads the project's own TypeScript (core/yjs/update-store.ts and the node:sqlite
 * SqlStorage) into Node for in-process measurements, by bundling it with esbuild (already in
 * node_modules, via wrangler) into the OS temp dir. Nothing under core/ is modified.
 */
import { build } from "esbuild";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../scripts/edge-dev.mjs";

// yjs and lib0 stay external and point at the files this process already uses, so the
// bundle and the benchmark share one Yjs instance.
const sharedDeps = {
  name: "shared-deps",
  setup(b) {
    b.onResolve({ filter: /^(yjs|lib0)(\/.*)?$/ }, (args) => ({ path: import.meta.resolve(args.path), external: true }));
  },
};

export async function loadCore(root = repoRoot) {
  const dir = mkdtempSync(join(tmpdir(), "commons-bench-core-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(
    entry,
    `export { YUpdateStore } from ${JSON.stringify(join(root, "core/yjs/update-store.ts"))};\n` +
      `export { NodeSql } from ${JSON.stringify(join(root, "client/node/sqlite.ts"))};\n`,
  );
  const outfile = join(dir, "core.mjs");
  await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", outfile, external: ["node:*"], logLevel: "silent", plugins: [sharedDeps] });
  return import(pathToFileURL(outfile).href);
}
