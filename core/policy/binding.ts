/**
 * Binds an approval to the exact call it showed. The tool host puts
 * `approvalBinding(tool, args)` in the `approval.requested` body; before running an
 * approved action it recomputes the binding from what it is about to run and compares. So a
 * human's "approved" covers those arguments and no others (a request whose params were
 * altered, or a decision replayed for a different call, does not match).
 */
import { canonicalJson } from "../canonical-json.js";
import { encodeHex } from "../identity/encoding.js";
import type { ApprovalRequest } from "../views/state.js";

/** "sha256:" + hex SHA-256 of the RFC 8785 canonical JSON of {tool, args}. */
export async function approvalBinding(tool: string, args: Record<string, unknown>): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson({ tool, args }));
  return `sha256:${encodeHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))}`;
}

/** True when `request` was approved for exactly this call (its binding and its recorded action). */
export async function approvalCovers(request: ApprovalRequest, tool: string, args: Record<string, unknown>): Promise<boolean> {
  if (request.status !== "approved" || request.action.tool !== tool || request.binding === undefined) return false;
  const binding = await approvalBinding(tool, args);
  return binding === request.binding && binding === (await approvalBinding(request.action.tool, request.action.params));
}
