/**
 * Self-verifying bundles of a space: a full copy in one file, to carry on a stick, attach
 * to an incident, or seed a node with no network.
 *
 *   line 1   header  {"format":"commons-bundle/1","space","exportedAt","exportedBy","edge",
 *                     "envelopes":N,"yjsChunks":M,"vv":{…},"sha256":"<hex of every byte after line 1>"}
 *   N lines  {"envelope": <wire envelope with id>}      in the exporter's arrival order (causal)
 *   M lines  {"yjs": "<base64 Yjs update>"}             the stored history rows, in order
 *
 * Import checks the checksum, then ingests every envelope through LogReplica.ingest (ids,
 * signatures, chains — the same verification as sync) and every Yjs chunk through
 * Y.decodeUpdate; any failure deletes the half-made copy. The checksum catches damage; the
 * signatures catch forgery (a forger could recompute a checksum, not a signature).
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as Y from "yjs";
import { z } from "zod";
import { CommonsError } from "../../core/errors.js";
import { isSpaceId, type SpaceId } from "../../core/ids.js";
import { chainStart, chainStep } from "../../core/log/audit.js";
import { LOG_BATCH_ENVELOPES } from "../../core/log/sync-protocol.js";
import { hasSpace, spaceFile, type Home } from "./home.js";
import { loadOrCreateIdentity } from "./identity.js";
import { LocalSpace } from "./local-space.js";

export const BUNDLE_FORMAT = "commons-bundle/1";

const Header = z.object({
  format: z.literal(BUNDLE_FORMAT),
  space: z.string().refine(isSpaceId, "not a space name"),
  exportedAt: z.string(),
  exportedBy: z.string().nullable(),
  edge: z.string().nullable(),
  envelopes: z.number().int().min(0),
  yjsChunks: z.number().int().min(0),
  vv: z.record(z.string(), z.number().int()),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BundleHeader = z.infer<typeof Header>;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * Writes the bundle. The rows up to the copy's verified point are re-hashed on the way
 * (core/log/audit.ts `chainStep`, cheap beside writing them): a copy whose old rows changed
 * since this node verified them is refused rather than carried elsewhere.
 */
export function exportBundle(local: LocalSpace, file: string, exportedBy: string | null): BundleHeader {
  const lines: string[] = [];
  const { envelopes, rows } = local.sql.transaction(() => ({
    envelopes: local.sql.exec<{ arrival: number; id: string; text: string }>(`SELECT arrival, id, text FROM log_envelopes ORDER BY arrival`),
    rows: local.ystore.rows(),
  }));
  const point = local.verifiedPoint;
  let chain = chainStart(local.space);
  for (const row of envelopes) {
    if (point !== null && Number(row.arrival) <= point.arrival) {
      chain = chainStep(chain, row);
      if (Number(row.arrival) === point.arrival && chain !== point.chain) throw changedSinceVerified(local, point.arrival);
    }
    lines.push(JSON.stringify({ envelope: { ...(JSON.parse(row.text) as object), id: row.id } }));
  }
  if (point !== null && point.arrival > 0 && Number(envelopes.at(-1)?.arrival ?? 0) < point.arrival) throw changedSinceVerified(local, point.arrival);
  for (const row of rows) lines.push(JSON.stringify({ yjs: Buffer.from(row.data).toString("base64") }));
  const body = lines.map((line) => `${line}\n`).join("");
  const header: BundleHeader = {
    format: BUNDLE_FORMAT, space: local.space, exportedAt: new Date().toISOString(), exportedBy, edge: local.meta("edge") ?? null,
    envelopes: envelopes.length, yjsChunks: rows.length, vv: local.replica.versionVector(), sha256: sha256(body),
  };
  writeFileSync(file, `${JSON.stringify(header)}\n${body}`);
  return header;
}

const changedSinceVerified = (local: LocalSpace, upTo: number) => new CommonsError("local-copy-corrupt",
  `The local copy of "${local.space}" (${local.file}) was not exported: its rows up to #${upTo} are not the ones this node verified. ` +
  `\`commons verify ${local.space}\` shows what changed; then move the file aside and re-join (commons join <space-url>) or import a bundle.`);

const bad = (file: string, why: string) => new CommonsError("bundle-invalid", `${file} is not a valid Commons bundle: ${why}. Nothing was imported; ask for a fresh export.`);

/** Imports a bundle into a new local copy; returns its header. Refuses if the space is already here. */
export async function importBundle(home: Home, file: string): Promise<BundleHeader> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CommonsError("bundle-unreadable", `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  const newline = text.indexOf("\n");
  if (newline < 0) throw bad(file, "no header line");
  let header: BundleHeader;
  try {
    const checked = Header.safeParse(JSON.parse(text.slice(0, newline)));
    if (!checked.success) throw bad(file, `header ${checked.error.issues[0]?.path.join(".")}: ${checked.error.issues[0]?.message}`);
    header = checked.data;
  } catch (error) {
    throw error instanceof CommonsError ? error : bad(file, "the header is not JSON");
  }
  const body = text.slice(newline + 1);
  if (sha256(body) !== header.sha256) throw bad(file, "its checksum does not match its contents (damaged or altered)");
  const lines = body.split("\n").filter((line) => line.length > 0);
  if (lines.length !== header.envelopes + header.yjsChunks) throw bad(file, `it has ${lines.length} records, its header says ${header.envelopes + header.yjsChunks}`);
  const space = header.space as SpaceId;
  if (hasSpace(home, space)) throw new CommonsError("already-joined", `"${space}" is already here: move ${spaceFile(home, space)} aside to import this bundle instead.`);

  // The node vouches for the copy it makes with its key (client/node/verified.ts): make one if this home has none.
  await loadOrCreateIdentity(home);
  const local = await LocalSpace.open(home, space, { create: true });
  try {
    const envelopes = lines.slice(0, header.envelopes).map((line) => (JSON.parse(line) as { envelope?: unknown }).envelope);
    for (let start = 0; start < envelopes.length; start += LOG_BATCH_ENVELOPES) {
      const results = await local.replica.ingest(envelopes.slice(start, start + LOG_BATCH_ENVELOPES));
      const refused = results.findIndex((r) => r.status !== "accepted");
      if (refused >= 0) throw bad(file, `envelope ${start + refused + 1} was refused: ${results[refused]!.code ?? results[refused]!.status} ${results[refused]!.message ?? ""}`);
    }
    for (const line of lines.slice(header.envelopes)) {
      const chunk = (JSON.parse(line) as { yjs?: unknown }).yjs;
      if (typeof chunk !== "string") throw bad(file, "a Yjs record has no base64 chunk");
      const update = new Uint8Array(Buffer.from(chunk, "base64"));
      try {
        Y.decodeUpdate(update);
      } catch {
        throw bad(file, "a Yjs chunk is not a Yjs update");
      }
      local.ystore.append(update);
    }
    if (JSON.stringify(sorted(local.replica.versionVector())) !== JSON.stringify(sorted(header.vv))) throw bad(file, "its envelopes do not reach the version vector its header names");
    if (header.edge !== null) local.setMeta("edge", header.edge);
    local.setMeta("created_at", new Date().toISOString());
    // Every envelope was just verified by ingest: the copy's verified point starts at its end.
    await local.checkpoint();
    local.close();
    return header;
  } catch (error) {
    local.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${spaceFile(home, space)}${suffix}`, { force: true });
    throw error instanceof SyntaxError ? bad(file, "a record is not JSON") : error;
  }
}

const sorted = (vv: Record<string, number>) => Object.fromEntries(Object.entries(vv).sort(([a], [b]) => (a < b ? -1 : 1)));
