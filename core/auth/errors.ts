/**
 * Capability-token refusals: one stable `code` each, with its HTTP status. 401 means the
 * token does not authenticate anyone (get a new, well-formed token); 403 means it does, but
 * does not allow this (ask the issuer, or a member with the authority, for another).
 * Messages say what to do next; they never echo key material.
 */
import { CommonsError } from "../errors.js";

export const TOKEN_ERROR_STATUS = {
  "token-malformed": 401,
  "token-alg-not-allowed": 401,
  "token-embedded-key": 401,
  "token-bad-signature": 401,
  "token-wrong-audience": 401,
  "token-expired": 401,
  "token-not-yet-valid": 401,
  "token-chain-broken": 403,
  "token-widened": 403,
  "token-chain-too-deep": 403,
  "token-revoked": 403,
  "token-old-epoch": 403,
  "token-epoch-ahead": 403,
  "token-not-member": 403,
  "token-cannot-grant": 403,
  "token-grant-unrecorded": 403,
} as const;

export type TokenErrorCode = keyof typeof TOKEN_ERROR_STATUS;

/** JSON-RPC: -32001 for "unauthenticated", -32003 for "forbidden" (server-defined range). */
export function tokenError(code: TokenErrorCode, message: string, cause?: unknown): CommonsError {
  const status = TOKEN_ERROR_STATUS[code];
  return new CommonsError(code, message, { status, rpcCode: status === 401 ? -32001 : -32003, ...(cause === undefined ? {} : { cause }) });
}
