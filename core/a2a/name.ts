/**
 * Agent names: the `:name` of `/agents/:name`, one AgentDO per name. The same characters as
 * space names (core/ids.ts) so an agent's URL reads like a space's and can never hold two
 * look-alike agents (`Ops-Bot` and `ops-bot`).
 */
import { CommonsError } from "../errors.js";

export type AgentName = string & { readonly __brand: "AgentName" };

export const AGENT_NAME_MAX_LENGTH = 64;
const AGENT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export function isAgentName(name: string): name is AgentName {
  return AGENT_NAME_PATTERN.test(name);
}

/** Parses an agent name from untrusted input; throws `invalid-agent-name` (400) otherwise. */
export function parseAgentName(name: string): AgentName {
  if (isAgentName(name)) return name;
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  const hint = /[A-Z]/.test(name) && isAgentName(name.toLowerCase()) ? ` Did you mean "${name.toLowerCase()}"?` : "";
  throw new CommonsError(
    "invalid-agent-name",
    `"${shown}" is not a valid agent name: use 1–${AGENT_NAME_MAX_LENGTH} lowercase letters, digits, "-", "_" or ".", starting and ending with a letter or digit.${hint}`,
    { status: 400 },
  );
}
