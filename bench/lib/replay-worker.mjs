/**
 * The cold-load floor, in a fresh process (cold JIT, like a freshly started isolate):
 * apply a document's stored rows to a new Y.Doc in one transaction, as the edge and the
 * Hocuspocus anchor do on load; then the same again warm; then the original updates one
 * by one (the uncompacted history). Prints one JSON line.
 *
 *   node replay-worker.mjs <sqlite file> <doc> [<dataset file> <count>]
 */
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import * as Y from "yjs";
import { decode } from "./dataset.mjs";

const [dbPath, doc, datasetPath, count] = process.argv.slice(2);
const rows = new DatabaseSync(dbPath, { readOnly: true }).prepare("SELECT data FROM y_updates WHERE doc = ? ORDER BY seq").all(doc).map((r) => r.data);
const replay = (updates) => {
  const t0 = performance.now();
  const d = new Y.Doc();
  Y.transact(d, () => {
    for (const u of updates) Y.applyUpdate(d, u);
  });
  const applyMs = performance.now() - t0;
  const t1 = performance.now();
  const state = Y.encodeStateAsUpdate(d);
  return { applyMs, encodeMs: performance.now() - t1, stateBytes: state.byteLength };
};
const cold = replay(rows);
const warm = [replay(rows), replay(rows)].sort((a, b) => a.applyMs - b.applyMs)[0];
let original = null;
if (datasetPath) {
  const updates = decode(readFileSync(datasetPath)).slice(0, Number(count));
  original = replay(updates);
}
console.log(JSON.stringify({ rows: rows.length, cold, warm, original }));
