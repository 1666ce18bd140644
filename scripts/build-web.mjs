/**
 * Builds the web app (client/web/) into dist/web/app/, served by the edge as Workers static
 * assets (wrangler.toml `[assets]`). Runs in `npm install` (prepare), `npm start` and
 * `npm test`, so a fresh clone needs nothing more, and wrangler dev always finds its assets
 * directory.
 *
 * The bundle budget (docs/WEB.md) is checked here: the build fails when the code a space's
 * first paint loads (the entry and everything it imports statically) or the chunks loaded on
 * demand (the editor, the timeline's fold) grow past their gzip budget. `dist/web/budget.json`
 * records the figures.
 *
 * The shell loads `main.js`, a few lines written here that ask for every chunk of the first
 * paint at once (`<link rel=modulepreload>`) and then import the entry (`app.js`): loaded
 * directly, the entry's static imports are only requested once it has arrived and been
 * parsed, one round trip later (about 100 ms of a first paint on this machine, measured with
 * the page's resource timing).
 */
import { build } from "esbuild";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist/web");

/** Gzip budgets in KiB (docs/WEB.md, "Bundle budget"). */
export const BUDGET_KIB = { initial: 120, lazy: 150 };

/**
 * zod re-exports every locale (`z.locales`, ~40 of them, about a fifth of zod in the bundle);
 * Commons uses zod's default English messages only, so the browser bundle gets just `en`.
 */
const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${"/"}zod${"/"}`) ? { path: join(dirname(args.importer), "../locales/en.js"), namespace: "zod-locales" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: root }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "app"), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: "client/web/main.ts" },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: "chrome120",
  platform: "browser",
  outdir: join(out, "app"),
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  plugins: [englishOnly],
  logLevel: "warning",
});

const gz = (file) => gzipSync(readFileSync(join(root, file))).length;
const outputs = result.metafile.outputs;
/** Every output reachable from `file` through static imports (what loads before it runs). */
function staticClosure(file, seen = new Set()) {
  if (seen.has(file) || !outputs[file]) return seen;
  seen.add(file);
  for (const imported of outputs[file].imports) if (imported.kind === "import-statement") staticClosure(imported.path, seen);
  return seen;
}
const entry = Object.keys(outputs).find((file) => file.endsWith("/main.js"));
const initial = staticClosure(entry);
const lazy = new Set();
for (const file of initial) for (const imported of outputs[file].imports) if (imported.kind === "dynamic-import") staticClosure(imported.path, lazy);
for (const file of initial) lazy.delete(file);
const kib = (files) => Math.round(([...files].filter((f) => f.endsWith(".js") || f.endsWith(".css")).reduce((sum, f) => sum + gz(f), 0) / 1024) * 10) / 10;

// The entry becomes app.js; main.js preloads its static closure, then imports it.
renameSync(join(root, entry), join(out, "app/app.js"));
const chunks = [...initial].filter((f) => f !== entry && f.endsWith(".js")).map((f) => relative(join(out, "app"), join(root, f)));
const loader = `// Written by scripts/build-web.mjs: the first paint's chunks requested at once, then the app.
for (const f of ${JSON.stringify(chunks)}) { const l = document.createElement("link"); l.rel = "modulepreload"; l.href = new URL(f, import.meta.url).href; document.head.append(l); }
import("./app.js");
`;
writeFileSync(join(out, "app/main.js"), loader);
initial.delete(entry);
initial.add(relative(root, join(out, "app/app.js")));
initial.add(relative(root, join(out, "app/main.js")));
const figures = { initialKiB: kib(initial), lazyKiB: kib(lazy), budgetKiB: BUDGET_KIB, files: Object.fromEntries([...Object.keys(outputs).filter((f) => f !== entry && !f.endsWith(".map")), ...initial].map((f) => [relative("dist/web", f), gz(f)])) };
writeFileSync(join(out, "budget.json"), JSON.stringify(figures, null, 2));

const over = [];
if (figures.initialKiB > BUDGET_KIB.initial) over.push(`the first paint loads ${figures.initialKiB} KiB gzip (budget ${BUDGET_KIB.initial} KiB)`);
if (figures.lazyKiB > BUDGET_KIB.lazy) over.push(`the chunks loaded on demand (editor, timeline) are ${figures.lazyKiB} KiB gzip (budget ${BUDGET_KIB.lazy} KiB)`);
if (over.length > 0) {
  console.error(`build-web: over budget: ${over.join("; ")}. Trim the bundle or raise the budget in scripts/build-web.mjs with the measured reason in docs/WEB.md.`);
  process.exit(1);
}
console.log(`build-web: dist/web/app (first paint ${figures.initialKiB} KiB gzip of ${BUDGET_KIB.initial}; on demand ${figures.lazyKiB} KiB of ${BUDGET_KIB.lazy})`);
