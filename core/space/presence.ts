/**
 * Presence: who is in a space, in which mode, looking at what. Presence rides on Yjs
 * awareness, so stock clients keep working: an awareness state is any JSON object, and
 * the presence fields below are validated when present. Presence is bound to identity
 * (core/space/yjs-room.ts enforces it): a state's `id` must be its connection's verified
 * did, and "who is here" lists verified members only, named by the membership; other
 * states (a stock editor's cursor, say) count as anonymous.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { z } from "zod";

/** Mode follows seed 001's presence modes: active, monitoring, away. */
export const PresenceMode = z.enum(["active", "monitoring", "away"]);
export const ParticipantKind = z.enum(["human", "agent"]);

export const Presence = z.object({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(128),
  kind: ParticipantKind,
  mode: PresenceMode,
  /** What the participant is looking at: a work item, an artifact, a thread; free text. */
  focus: z.string().max(512).nullable().optional(),
});
export type Presence = z.infer<typeof Presence>;

/** The presence fields are all optional on an awareness state, but typed when present. */
const AwarenessState = z
  .object({
    id: Presence.shape.id.optional(),
    name: Presence.shape.name.optional(),
    kind: ParticipantKind.optional(),
    mode: PresenceMode.optional(),
    focus: Presence.shape.focus,
  })
  .passthrough();

/** Largest awareness state accepted, as JSON text: presence is a note, not a document. */
export const MAX_AWARENESS_STATE_BYTES = 4096;

/**
 * Most awareness client ids one connection may own: a few tabs' worth of one provider. It
 * bounds what one socket adds to "who is here" and to every peer's awareness.
 */
export const MAX_OWNED_CLIENTS = 4;

export interface AwarenessEntry {
  clientId: number;
  clock: number;
  /** null removes the client's state. */
  state: Record<string, unknown> | null;
  /** The state's JSON text exactly as sent. */
  json: string;
}

export type AwarenessDecode =
  | { ok: true; entries: AwarenessEntry[] }
  | { ok: false; code: "awareness-malformed" | "awareness-invalid-state"; message: string };

/**
 * Decodes a y-protocols awareness update (varUint count, then per client varUint id,
 * varUint clock, varString JSON) and validates every state. Never throws.
 */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessDecode {
  const entries: AwarenessEntry[] = [];
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const json = decoding.readVarString(decoder);
      entries.push({ clientId, clock, json, state: null });
    }
    if (decoding.hasContent(decoder)) {
      return { ok: false, code: "awareness-malformed", message: "awareness update has trailing bytes" };
    }
  } catch {
    return { ok: false, code: "awareness-malformed", message: "awareness update is truncated or malformed" };
  }
  for (const entry of entries) {
    if (entry.json.length > MAX_AWARENESS_STATE_BYTES) {
      return {
        ok: false,
        code: "awareness-invalid-state",
        message: `awareness state of client ${entry.clientId} is over ${MAX_AWARENESS_STATE_BYTES} bytes: keep presence small`,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry.json);
    } catch {
      return { ok: false, code: "awareness-malformed", message: `awareness state of client ${entry.clientId} is not JSON` };
    }
    if (parsed === null) continue;
    const checked = AwarenessState.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      return {
        ok: false,
        code: "awareness-invalid-state",
        message: `awareness state of client ${entry.clientId}: ${issue?.path.join(".") || "state"} ${issue?.message ?? "is invalid"}; presence is {id, name, kind: human|agent, mode: active|monitoring|away, focus}`,
      };
    }
    entry.state = checked.data;
  }
  return { ok: true, entries };
}

/** One row of "who is here". */
export interface PresentParticipant extends Presence {
  clientId: number;
}

export interface PresenceSummary {
  /** Verified members who published a presence (`id` and `mode`), sorted by name. */
  participants: PresentParticipant[];
  /** Other awareness states: stock editors' cursors, states without `id`, non-members' states. */
  anonymous: number;
  modes: Record<z.infer<typeof PresenceMode>, number>;
}

/** The committed member behind a verified did: what "who is here" shows, not what the client said. */
export interface PresenceMember {
  role: string;
  name?: string | undefined;
}

/** One awareness state with the verified did of the connection that owns it (null: nobody verified). */
export interface OwnedState {
  clientId: number;
  state: Record<string, unknown>;
  did: string | null;
  /** The committed membership of `did`, if it is a member. */
  member: PresenceMember | undefined;
}

/**
 * Folds awareness states into "who is here, in which mode"; sorted for stable output. A state
 * is a participant only when its connection's verified did is a committed member and the
 * state names that did as `id` and a `mode`. `name` and `kind` come from the membership (the
 * member's name in the log, else its did; kind "agent" for the agent role, else "human"):
 * a client can say where it looks and how present it is, never who it is.
 */
export function summarizePresence(states: Iterable<OwnedState>): PresenceSummary {
  const participants: PresentParticipant[] = [];
  let anonymous = 0;
  const modes = { active: 0, monitoring: 0, away: 0 };
  for (const { clientId, state, did, member } of states) {
    const mode = PresenceMode.safeParse(state.mode);
    if (did === null || member === undefined || state.id !== did || !mode.success) {
      anonymous++;
      continue;
    }
    const focus = Presence.shape.focus.safeParse(state.focus);
    participants.push({
      clientId, id: did, name: (member.name ?? did).slice(0, 128), kind: member.role === "agent" ? "agent" : "human", mode: mode.data,
      ...(focus.success && focus.data !== undefined ? { focus: focus.data } : {}),
    });
    modes[mode.data]++;
  }
  participants.sort((a, b) => a.name.localeCompare(b.name) || a.clientId - b.clientId);
  return { participants, anonymous, modes };
}

/** Encodes awareness entries in the y-protocols wire form (the inverse of the decoder). */
export function encodeAwarenessEntries(entries: Array<{ clientId: number; clock: number; state: unknown }>): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, JSON.stringify(entry.state));
  }
  return encoding.toUint8Array(encoder);
}
