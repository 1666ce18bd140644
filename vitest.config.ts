/**
 * One Vitest project per place the code runs (STYLE.md, "Tests where the code runs"):
 * - core:    portable core/ code in plain Node;
 * - workers: actors and routes inside workerd through @cloudflare/vitest-plugin;
 * - e2e:     the CLI/clients and a real `wrangler dev` as separate processes on loopback;
 * - browser: the web app in Debian's Chromium (playwright-core) against a real `wrangler dev`.
 * No retries anywhere: a flaky test is a bug to fix, not to hide.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    retry: 0,
    projects: [
      {
        test: {
          name: "core",
          environment: "node",
          include: ["test/core/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // A socket quota small enough for a test to reach (test/workers/space-genesis.test.ts).
            miniflare: { bindings: { COMMONS_QUOTAS: JSON.stringify({ socketsPerIdentity: 8 }) } },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file starts its own wrangler dev; two at once is all 2 cores take.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/browser/build.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // An edge and a Chromium per file: one file at a time on 2 cores.
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
