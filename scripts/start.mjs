/**
 * `npm start`: the Commons edge on http://127.0.0.1:8787 (PORT overrides), with its state
 * persisted under .commons-edge/ (COMMONS_EDGE_STATE overrides). Ctrl-C stops it.
 */
import { spawn } from "node:child_process";
import { edgeEnv, repoRoot, wranglerDevArgs } from "./edge-dev.mjs";

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT=${process.env.PORT} is not a TCP port: use a number from 1 to 65535, e.g. PORT=8788 npm start`);
  process.exit(2);
}
const persistTo = process.env.COMMONS_EDGE_STATE ?? ".commons-edge";
console.log(`Commons edge: http://127.0.0.1:${port}  (state in ${persistTo}/; open http://127.0.0.1:${port}/s/<space>)`);
const child = spawn(process.execPath, wranglerDevArgs({ port, persistTo }), {
  cwd: repoRoot,
  env: edgeEnv(),
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
