/**
 * `package-lock.json` is what `npm install` leaves (issue 14 item 4): npm rewrites the lock
 * when its root entry disagrees with package.json, when a direct dependency is missing from
 * it, or when a package's dev flag is wrong (reachable only from devDependencies ⇔ `dev`).
 * Running `npm install` here would need the registry, so the test checks those three things
 * statically, and that what is installed is what the lock names.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
type Deps = Record<string, string>;
interface Manifest { name: string; version: string; dependencies?: Deps; devDependencies?: Deps; optionalDependencies?: Deps; peerDependencies?: Deps; engines?: Deps; bin?: Deps }
interface Locked { version?: string; dev?: boolean; dependencies?: Deps; optionalDependencies?: Deps }
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { name: string; version: string; lockfileVersion: number; packages: Record<string, Locked & Manifest> };

/** The lock entry a package named `name` resolves to from `from` (node's lookup: nested first, then up). */
function resolve(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const key = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (dir === "") return undefined;
  }
}

/**
 * Every lock entry reachable from `names`, following each entry's own dependencies. Peer
 * edges are not followed: a peer the root also lists (partyserver's workers-types, a root
 * devDependency) takes the root's flag, which is how npm writes it.
 */
function closure(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = names.map((n) => resolve(n, "")).filter((k): k is string => k !== undefined);
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = lock.packages[key]!;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const next = resolve(dep, key);
      if (next !== undefined) queue.push(next);
    }
  }
  return seen;
}

describe("package-lock.json", () => {
  it("its root entry is package.json's: name, version, dependencies, devDependencies, engines, bin", () => {
    expect(lock.lockfileVersion).toBe(3);
    expect([lock.name, lock.version]).toEqual([pkg.name, pkg.version]);
    const rootEntry = lock.packages[""]!;
    for (const field of ["name", "version", "dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "engines", "bin"] as const) {
      expect(rootEntry[field], field).toEqual(pkg[field]);
    }
  });

  it("locks every direct dependency, and node_modules holds the version it locks", () => {
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, name).toBeDefined();
      const installed = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string };
      expect(installed.version, name).toBe(entry!.version);
    }
  });

  it("marks dev exactly the packages only devDependencies reach", () => {
    const runtime = closure(Object.keys(pkg.dependencies ?? {}));
    const all = closure(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }));
    const wrong = [...all].filter((key) => (lock.packages[key]!.dev === true) === runtime.has(key));
    expect(wrong).toEqual([]);
  });
});
