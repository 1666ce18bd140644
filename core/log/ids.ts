/**
 * Envelope ids and the small shared vocabulary of the log: an `EnvelopeId` is
 * `sha256:` + the lowercase hex SHA-256 of the signed envelope's canonical JSON, so it is
 * recognisable in logs and URLs and its string order is its byte order. Things that are
 * created by an envelope (work items, approval requests, artifacts, branches) are named by
 * that envelope's id: content-addressed, so two replicas can never mint the same name.
 */
import { CommonsError } from "../errors.js";

export type EnvelopeId = string & { readonly __brand: "EnvelopeId" };
/** A work item is named by the id of its `work.created` envelope. */
export type WorkItemId = EnvelopeId;
/** An approval request is named by the id of its `approval.requested` envelope. */
export type ApprovalId = EnvelopeId;

export const ENVELOPE_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;

export function isEnvelopeId(text: string): text is EnvelopeId {
  return ENVELOPE_ID_PATTERN.test(text);
}

export function parseEnvelopeId(text: string): EnvelopeId {
  if (isEnvelopeId(text)) return text;
  throw new CommonsError("invalid-envelope-id", `"${text.slice(0, 80)}" is not an envelope id: expected "sha256:" and 64 lowercase hex digits.`);
}

/** Member roles. Owners change members and policy; observers only read. */
export const ROLES = ["owner", "human", "agent", "observer"] as const;
export type Role = (typeof ROLES)[number];

/** A version vector: for each author, the highest seq held. Also the shape of a cut. */
export type VersionVector = Record<string, number>;
