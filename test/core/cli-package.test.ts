/**
 * What the package says about itself holds: one Node version (package.json `engines`, the
 * launcher, the README and docs/CLI.md, and the pinned `node` package all say 24), and every
 * package that code imports where it runs — core/, client/ (not the web app, which esbuild
 * bundles at install), durable-objects/, workers/, bin/ — is a runtime dependency, while
 * packages only tests import are devDependencies.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");
const pkg = JSON.parse(read("package.json")) as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string> };

function files(dir: string, skip: readonly string[] = []): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (skip.includes(path)) return [];
    return statSync(join(root, path)).isDirectory() ? files(path, skip) : /\.(ts|mjs|js)$/.test(path) || path === "bin/commons" ? [path] : [];
  });
}

/** The packages a file imports at run time (type-only imports are erased, so they do not count). */
function packagesOf(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"'.][^"']*)["']|import\(\s*["']([^"'.][^"']*)["']\s*\)/gm)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith("node:") || spec.startsWith("cloudflare:") || builtinModules.includes(spec)) continue;
    found.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
  }
  return [...found];
}

describe("the package", () => {
  it("states one Node version: engines, the launcher, README, docs/CLI.md and the pinned node package agree", () => {
    const major = Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1]);
    expect(major).toBe(24);
    expect(read("bin/commons")).toMatch(/engines\?\.node/); // the launcher reads it, it does not restate it
    expect(read("README.md")).toContain(`Runs on Node ${major} (package.json \`engines\`: \`>=${major}\`)`);
    expect(read("docs/CLI.md")).toContain(`It needs Node ${major}`);
    expect(pkg.devDependencies.node).toMatch(new RegExp(`^\\^${major}\\.`));
    const pinned = JSON.parse(read("node_modules/node/package.json")) as { version: string };
    expect(Number(pinned.version.split(".")[0])).toBe(major);
  });

  it("code imports only runtime dependencies where it runs; test-only packages are devDependencies", () => {
    const runtime = ["core", "client", "durable-objects", "workers", "bin"].flatMap((dir) => files(dir, ["client/web"]));
    const missing: string[] = [];
    const used = new Set<string>();
    for (const file of runtime) {
      for (const name of packagesOf(read(file))) {
        used.add(name);
        if (!(name in pkg.dependencies)) missing.push(`${file}: ${name}${name in pkg.devDependencies ? " (a devDependency)" : " (not declared)"}`);
      }
    }
    expect(missing).toEqual([]);
    expect(used).toContain("ws"); // `commons serve`
    // Nothing in dependencies that only tests (or nothing) use, but what the web bundle needs.
    const web = new Set(files("client/web").flatMap((file) => packagesOf(read(file))));
    expect(Object.keys(pkg.dependencies).filter((name) => !used.has(name) && !web.has(name))).toEqual([]);
  });
});
