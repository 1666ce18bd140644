/**
 * Global setup of the browser project: builds the web app first (scripts/build-web.mjs), so
 * the pages under test are always the sources under test, and an over-budget bundle fails
 * the run before any browser starts.
 */
import { execFileSync } from "node:child_process";
import { repoRoot } from "../../scripts/edge-dev.mjs";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { cwd: repoRoot, stdio: "inherit" });
}
