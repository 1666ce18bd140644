/**
 * What the agent makes of the space's notify before reading anything (issue 12 item 2, the
 * cost of 100 subscribers): the hint (core/a2a/notify-hint.ts, sent by the space) carries
 * a summary of each newly committed envelope, and the triggers' first pass
 * (core/a2a/selection.ts `mayConcern`) rules out those no rule could act on. Per space, in
 * memory only (an evicted agent starts not knowing, and reads once):
 *
 *   known    the highest commit index accounted for: read by a run, or ruled out by hints
 *            that followed on from it without a gap;
 *   skipped  commits ruled out since the last run, so the cursor (moved only by reading)
 *            never lags more than CATCH_UP commits: past it, a run reads anyway.
 *
 * A hint only ever decides whether to read now. It is never authority: a run reads the
 * committed log from the cursor with the agent's own token and the rules decide on that,
 * so a forged or wrong hint can cause a read, never an action; and since ruled-out
 * envelopes stay behind the cursor, the next run decides on them again from what it reads.
 * A hint that does not follow on from `known` (a notify lost, late, repeated — or forged),
 * or carries no summaries (too big a batch), makes the agent read from its cursor as before.
 * So no hint can hide a commit: the space's own hint for it either follows on from `known`
 * and is judged by its own summaries, or does not and the agent reads; and a run sets
 * `known` to what it read, whatever hints said before.
 */
import { mayConcern, type HintEntry, type LocalTriggers } from "../core/a2a/selection.js";
import type { Did } from "../core/identity/did.js";
import type { LogEntry } from "../core/a2a/space-client.js";
import type { SqlStorage } from "../core/storage/sql.js";
import type { NotifyHint } from "../core/a2a/notify-hint.js";
import type { SpaceRow } from "./agent-spaces.js";

/** Ruled-out commits after which the agent reads anyway (one log page). */
export const CATCH_UP = 200;

export class Hints {
  private readonly known = new Map<string, { index: number; skipped: number }>();
  private readonly waiters = new Map<string, Array<{ index: number; resolve: () => void }>>();

  constructor(private readonly sql: SqlStorage, private readonly self: Did) {}

  /** True when the hint rules its commits out: nothing to read now. */
  ruledOut(row: SpaceRow, hint: NotifyHint): boolean {
    const known = this.known.get(row.space);
    if (known === undefined) return false;
    const count = hint.last - hint.first + 1;
    if (hint.first !== known.index + 1 || hint.entries === undefined || known.skipped + count >= CATCH_UP) return false;
    if (hint.entries.some((entry) => this.concerns(row, entry))) return false;
    this.account(row.space, hint.last, known.skipped + count);
    return true;
  }

  /** Whether an envelope the agent read could matter to it (the same first pass, on what the log says). */
  concerns(row: SpaceRow, entry: HintEntry): boolean {
    return mayConcern(row, this.self, entry, this.local(row.space));
  }

  /** A run read every commit up to `index` (or could not say: undefined). */
  read(space: string, index: number | undefined): void {
    if (index === undefined) this.known.delete(space);
    else this.account(space, index, 0);
  }

  /** Resolves once commit `index` is accounted for (tests and tools: a notify handled without a read). */
  heard(space: string, index: number): Promise<void> {
    if ((this.known.get(space)?.index ?? -1) >= index) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(space, [...(this.waiters.get(space) ?? []), { index, resolve }]));
  }

  forget(space: string): void {
    this.known.delete(space);
  }

  private account(space: string, index: number, skipped: number): void {
    this.known.set(space, { index, skipped });
    const waiting = this.waiters.get(space) ?? [];
    for (const w of waiting.filter((w) => w.index <= index)) w.resolve();
    this.waiters.set(space, waiting.filter((w) => w.index > index));
  }

  private local(space: string): LocalTriggers {
    return {
      armed: (item) => this.sql.exec(`SELECT 1 FROM agent_triggers WHERE space = ? AND item = ?`, space, item).length > 0,
      // The LLM brain's table exists only where an edge has a model.
      waits: (thread) => this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'llm_waits'`).length > 0
        && this.sql.exec(`SELECT 1 FROM llm_waits WHERE space = ? AND approval = ?`, space, thread).length > 0,
    };
  }
}

/**
 * A log entry summarized as a hint would be. Its item's domains are the body's own for
 * `work.created`; for a release or a completion they are unknown without the view, so the
 * entry counts as clipped (the rules read the view and decide).
 */
export function hintFromLog(entry: LogEntry): HintEntry {
  const { type, author, body } = entry.envelope;
  const actor = typeof body.actor === "string" ? body.actor : author;
  const mentions = Array.isArray(body.mentions) ? body.mentions.map(String) : [];
  const text = type === "channel.message" ? String(body.content ?? "") : type === "work.created" ? `${String(body.title ?? "")} ${String(body.description ?? "")}` : "";
  const domains = type === "work.created" ? (Array.isArray(body.domains) ? body.domains.map(String) : []) : undefined;
  const item = type === "work.created" ? entry.id : typeof body.item === "string" ? body.item : undefined;
  return {
    id: entry.id, type, actor, mentions, text,
    ...(typeof body.threadRef === "string" ? { thread: body.threadRef } : {}),
    ...(item === undefined ? {} : { item }),
    ...(domains === undefined ? {} : { domains }),
    ...(type === "work.released" || type === "work.completed" ? { clipped: true as const } : {}),
  };
}

/** A tool host's trace of a deferral: state the circle check keeps, whatever the triggers say. */
export function isDeferral(entry: LogEntry): boolean {
  return entry.envelope.type === "trace.recorded" && entry.envelope.body.kind === "agent.deferred";
}
