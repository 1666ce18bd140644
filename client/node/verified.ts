/**
 * How far a local copy is verified: its `VerifiedPoint` (core/log/audit.ts — the arrival
 * position verified up to, the rows' count, the row there, a SHA-256 chain over every
 * verified row, the implied heads) and the highest Yjs row checked, kept in the copy's
 * `node_meta` under `verified` and signed by this node's key:
 *
 *   {"format":"commons-verified/1","space","by":did,"log":{…point},"yjs":seq,"sig":base64url}
 *
 * `sig` is Ed25519 by `by` over the RFC 8785 canonical JSON of the rest. So a record that
 * was altered in the file (a chain, a position) fails its signature, and opening the copy
 * refuses it; a record signed by another key (a file copied from another home) is ignored
 * and the copy verified in full.
 */
import { canonicalJsonBytes } from "../../core/canonical-json.js";
import { isDid, verifySignature, type Did } from "../../core/identity/did.js";
import { decodeBase64url, encodeBase64url } from "../../core/identity/encoding.js";
import type { Signer } from "../../core/identity/signer.js";
import type { SpaceId } from "../../core/ids.js";
import type { VerifiedPoint } from "../../core/log/audit.js";
import type { NodeSql } from "./sqlite.js";

export const VERIFIED_FORMAT = "commons-verified/1";

export interface VerifiedRecord {
  format: typeof VERIFIED_FORMAT;
  space: SpaceId;
  by: Did;
  log: VerifiedPoint;
  /** The highest `y_updates` seq whose row was checked (every row up to it decodes). */
  yjs: number;
  sig: string;
}

export type StoredRecord = { kind: "absent" } | { kind: "record"; record: VerifiedRecord } | { kind: "unreadable"; why: string };

const KEY = "verified";

export function readVerified(sql: NodeSql): StoredRecord {
  const text = sql.exec<{ value: string }>(`SELECT value FROM node_meta WHERE key = ?`, KEY)[0]?.value;
  if (text === undefined) return { kind: "absent" };
  let raw: Partial<VerifiedRecord>;
  try {
    raw = JSON.parse(text) as Partial<VerifiedRecord>;
  } catch {
    return { kind: "unreadable", why: "it is not JSON" };
  }
  if (raw?.format !== VERIFIED_FORMAT || typeof raw.by !== "string" || !isDid(raw.by) || typeof raw.sig !== "string" || typeof raw.log !== "object" || raw.log === null) {
    return { kind: "unreadable", why: `it is not a ${VERIFIED_FORMAT} record` };
  }
  return { kind: "record", record: raw as VerifiedRecord };
}

const signedPart = ({ sig: _sig, ...rest }: VerifiedRecord) => canonicalJsonBytes(rest);

export async function signVerified(signer: Signer, space: SpaceId, log: VerifiedPoint, yjs: number): Promise<VerifiedRecord> {
  const unsigned = { format: VERIFIED_FORMAT, space, by: signer.did, log, yjs, sig: "" } satisfies VerifiedRecord;
  return { ...unsigned, sig: encodeBase64url(await signer.sign(signedPart(unsigned))) };
}

/** True when `record` is for `space` and carries its signer's valid signature. */
export async function validVerified(record: VerifiedRecord, space: SpaceId): Promise<boolean> {
  const sig = decodeBase64url(record.sig);
  if (record.space !== space || sig === null) return false;
  try {
    return await verifySignature(record.by, signedPart(record), sig);
  } catch {
    // Canonical JSON refuses values JSON cannot hold: then it is simply not a valid record.
    return false;
  }
}

/**
 * Stores `record` unless another process already stored a later point by the same key
 * (two readers verifying at once never move the point back).
 */
export function writeVerified(sql: NodeSql, record: VerifiedRecord): void {
  sql.transaction(() => {
    const held = readVerified(sql);
    if (held.kind === "record" && held.record.by === record.by && held.record.log.arrival > record.log.arrival) return;
    sql.exec(`INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, KEY, JSON.stringify(record));
  });
}
