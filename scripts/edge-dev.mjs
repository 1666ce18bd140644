/**
 * How to run the edge locally: `wrangler dev` (workerd) on loopback with local persistence,
 * no Cloudflare account and no network. Shared by `npm start` and the end-to-end tests so
 * both run the edge the same way.
 */
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));
export const wranglerBin = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/**
 * Environment for wrangler: no telemetry, no fetch of Cloudflare's `request.cf` data, and no
 * local observability. wrangler dev otherwise records a trace of every event (each WebSocket
 * message, each request) into a SQLite trace store beside the edge's data: it grew past 1 GB
 * in one benchmark run and cost the edge about four fifths of its CPU per incoming frame.
 */
export function edgeEnv(base = process.env) {
  return {
    ...base,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_SANITIZE: "false",
    X_LOCAL_OBSERVABILITY: "false",
  };
}

/**
 * Arguments for `wrangler dev` on 127.0.0.1:`port`, persisting state under `persistTo`.
 * Give `inspectorPort` when several edges run at once: each opens a DevTools port too.
 * `config` runs another wrangler.toml than the edge's (the benchmarks' Durable Object floor).
 */
export function wranglerDevArgs({ port, persistTo, logLevel = "info", inspectorPort, config }) {
  return [
    wranglerBin,
    "dev",
    ...(config ? ["--config", config] : []),
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--persist-to", persistTo,
    "--log-level", logLevel,
    "--show-interactive-dev-session=false",
    ...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : []),
  ];
}
