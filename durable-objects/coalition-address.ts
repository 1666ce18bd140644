/**
 * Where a coalition's actor lives: `/coalitions/<space>~<hash>`, one CoalitionDO per name.
 * The name holds both the space and the coalition (the 64 hex digits of its
 * `coalition.formed` id, without "sha256:"), so every coalition of every space has its own
 * object, and anyone who can read the coalition (a CLI copy, the web app) can say its URL
 * without asking the edge. `~` never occurs in a space name (core/ids.ts), so the split is
 * unambiguous. Pure: the CLI imports it too.
 */
import { CommonsError } from "../core/errors.js";
import { isSpaceId, type SpaceId } from "../core/ids.js";
import type { EnvelopeId } from "../core/log/ids.js";

export interface CoalitionAddress {
  space: SpaceId;
  coalition: EnvelopeId;
}

const NAME = /^([a-z0-9][a-z0-9._-]{0,63})~([0-9a-f]{64})$/;

/** The object's name (and the `:id` of its route) for a coalition of a space. */
export function coalitionName(space: string, coalition: EnvelopeId): string {
  return `${space}~${coalition.slice("sha256:".length)}`;
}

/** The coalition's A2A URL at `edge` (its card is at `<url>/.well-known/agent-card.json`). */
export function coalitionUrl(edge: string, space: string, coalition: EnvelopeId): string {
  return `${edge.replace(/\/+$/, "")}/coalitions/${coalitionName(space, coalition)}`;
}

/** Parses the `:id` of `/coalitions/:id` from untrusted input; throws `invalid-coalition-name` (400). */
export function parseCoalitionName(name: string): CoalitionAddress {
  const match = NAME.exec(name);
  if (match === null || !isSpaceId(match[1]!)) {
    throw new CommonsError("invalid-coalition-name", `"${name.slice(0, 100)}" is not a coalition address: expected <space>~<64 hex digits of the coalition's id>, as \`commons coalition <space> show <id>\` prints it.`, { status: 400 });
  }
  return { space: match[1] as SpaceId, coalition: `sha256:${match[2]}` as EnvelopeId };
}
