/**
 * The LLM brain's types for life in a space (core/a2a/llm-brain.ts, core/a2a/brain.ts
 * `SpaceBrain`): what it is handed for a committed envelope (`Considered`), a timer come
 * due (`DueWatch`), a call held back by presence (`HeldCall`), the conversation it keeps
 * while it waits (`Waiting`), and the tools it calls through.
 */
import type { EnvelopeId } from "../log/ids.js";
import type { Held, SpaceHolds } from "./brain.js";
import type { ChatMessage, FunctionSpec } from "./chat-wire.js";
import type { Decision, Seen, ViewItem } from "./rules-brain.js";
import type { Cut } from "./trace.js";

/** What a tool call answers, as the agent's space client returns it (core/a2a/space-client.ts). */
export interface ToolAnswerLike {
  ok: boolean;
  text: string;
  structured: Record<string, unknown>;
}

export interface SpaceTools {
  call(tool: string, args: Record<string, unknown>): Promise<ToolAnswerLike>;
}

/** An extra function the agent offers its model besides the space's tools (delegation). */
export interface ExtraFunction {
  spec: FunctionSpec;
  run(args: Record<string, unknown>, event: SpaceEvent): Promise<ToolAnswerLike>;
}

export interface SpaceEvent {
  space: string;
  /** The agent's domains in this space (its membership's). */
  domains: readonly string[];
  seen: Seen;
  cut: Cut;
  /** The work item the envelope is about, as the view showed it when the agent decided. */
  item?: ViewItem;
  /** Open or claimed items (for context; at most 20 are shown to the model). */
  work: ViewItem[];
  tools: SpaceTools;
  holds?: SpaceHolds;
}

/** What durable-objects/agent-spaces.ts hands the brain for one committed envelope. */
export interface Considered {
  space: string;
  domains: readonly string[];
  seen: Seen;
  /** The envelope's arrival position (the agent's cursor once it is read) and commit index. */
  arrival: number;
  commit: number | null;
  /** What the rules' triggers say of it: the model is asked only about what they pick. */
  triggered: Decision;
  work: ReadonlyMap<string, ViewItem>;
  tools: SpaceTools;
  /** Records the decision before anything is done; false if this envelope was decided on already. */
  once(decision: Record<string, unknown>): boolean;
  holds?: SpaceHolds;
}

/** A timer come due that still holds (the agent checked the view): what the model is asked about. */
export interface DueWatch {
  space: string;
  domains: readonly string[];
  kind: "unclaimed" | "gap";
  /** The watched envelope: the item, or the request message. */
  target: EnvelopeId;
  item?: ViewItem;
  /** The request's text (gap detection). */
  content?: string;
  afterSeconds: number;
  work: ViewItem[];
  cursor: number;
  tools: SpaceTools;
  holds?: SpaceHolds;
}

/** A call held back by the approver's presence, with the conversation it belongs to. */
export interface HeldCall {
  callId: string;
  tool: string;
  params: Record<string, unknown>;
  held: Held;
  state: Waiting;
}

export type ToolLog = { tool: string; params: Record<string, unknown>; result: "success" | "pending_approval" | "rejected" };

/** A conversation as it is kept while it waits (an approval, a held call). */
export interface Waiting {
  messages: ChatMessage[];
  log: ToolLog[];
  ref: EnvelopeId;
  thread: EnvelopeId;
}
