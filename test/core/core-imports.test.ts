/**
 * core/ is portable: it runs in workerd, Node and browsers, so it may use web standards
 * only. This test fails when any file in core/ imports a `node:*` or `cloudflare:*` module.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const coreDir = new URL("../../core/", import.meta.url).pathname;
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
const FORBIDDEN = /^(node:|cloudflare:)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.(ts|js|mjs)$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

export function forbiddenImports(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? "").filter((spec) => FORBIDDEN.test(spec));
}

describe("core/ uses web standards only", () => {
  it("the checker catches node: and cloudflare: imports in every form", () => {
    expect(forbiddenImports('import { readFile } from "node:fs";')).toEqual(["node:fs"]);
    expect(forbiddenImports("import type { X } from 'cloudflare:workers';")).toEqual(["cloudflare:workers"]);
    expect(forbiddenImports('const m = await import("node:crypto");')).toEqual(["node:crypto"]);
    expect(forbiddenImports('export * from "node:path";')).toEqual(["node:path"]);
    expect(forbiddenImports('import "node:process";')).toEqual(["node:process"]);
    expect(forbiddenImports('import * as Y from "yjs";')).toEqual([]);
  });

  it("no file in core/ imports node:* or cloudflare:*", () => {
    const files = sourceFiles(coreDir);
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.flatMap((file) =>
      forbiddenImports(readFileSync(file, "utf8")).map((spec) => `${relative(coreDir, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("layers inside core/", () => {
  it("core/log (envelopes, verification, storage, sync) imports nothing from core/views", () => {
    const logDir = join(coreDir, "log");
    const IMPORTS = /from\s*["']([^"']+)["']/g;
    const offenders = sourceFiles(logDir).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(IMPORTS)]
        .map((m) => m[1]!)
        .filter((spec) => /(^|\/)views\//.test(join(relative(coreDir, file), "..", spec)))
        .map((spec) => `${relative(coreDir, file)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
