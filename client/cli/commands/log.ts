/**
 * `commons log`: the space's log from the local copy, each envelope with its commit status
 * and its author by member name (and the tool host that signed it for them). `--limit n`
 * shows the newest n. `--follow` then stays connected to the edge (client/node/follow.ts)
 * and prints each new envelope as it arrives; a receipt is shown as the new status of the
 * lines it commits (`↳ 3fa9c1… committed #12`), not as a line of its own, unless asked for
 * with `--type commit`. Ctrl-C stops it (exit 0).
 */
import type { SpaceId } from "../../../core/ids.js";
import type { EnvelopeId } from "../../../core/log/ids.js";
import type { LogQuery } from "../../../core/log/query.js";
import type { EnvelopeStatus } from "../../../core/log/replica.js";
import { followSpace } from "../../node/follow.js";
import { requireIdentity } from "../../node/identity.js";
import type { LocalSpace } from "../../node/local-space.js";
import { envelopeLine, open, resolveId, shortId, statusText, whoIn } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, positiveInt, space, str, strs, usage, type CommandSpec } from "../spec.js";
import { idsLike } from "./channel.js";

interface LogInput { space: SpaceId; attention: boolean; thread?: string; since?: number; types: string[]; limit?: number; json: boolean; follow: boolean }

/** What `--follow` shows first when neither --limit nor --since says (as `tail -f` does). */
const FOLLOW_DEFAULT_LIMIT = 20;

type Row = ReturnType<LocalSpace["replica"]["query"]>["envelopes"][number];

/** The reader's filters, resolved against the copy once. */
function filters(local: LocalSpace, input: LogInput, me: string | undefined): Omit<LogQuery, "since" | "limit"> {
  const thread = input.thread === undefined ? undefined : resolveId(`commons log ${input.space} --type channel.message`, input.thread, idsLike(local, input.thread, "channel.message"), "message");
  return { ...(input.types.length ? { type: input.types } : {}), ...(thread ? { thread } : {}), ...(me ? { attention: me as never } : {}) };
}

/**
 * Where to start so that the newest `limit` matches follow. Type filters are plain SQL, so
 * the start is one indexed descending read; thread and attention filters are judged in the
 * query itself, so those keep the last `limit` of a forward walk (their matches are few).
 */
function newest(local: LocalSpace, query: Omit<LogQuery, "since" | "limit">, since: number, limit: number): { rows: Row[]; cursor: number } | number {
  if (query.thread === undefined && query.attention === undefined) {
    const types = query.type === undefined ? [] : [...query.type];
    const where = types.length ? `AND type IN (${types.map(() => "?").join(",")})` : "";
    const row = local.sql.exec<{ arrival: number }>(`SELECT arrival FROM log_envelopes WHERE arrival > ? ${where} ORDER BY arrival DESC LIMIT 1 OFFSET ?`, since, ...types, limit - 1)[0];
    return row === undefined ? since : Number(row.arrival) - 1;
  }
  const kept: Row[] = [];
  for (let cursor = since; ;) {
    const page = local.replica.query({ ...query, since: cursor, limit: 1000 });
    kept.push(...page.envelopes);
    kept.splice(0, Math.max(0, kept.length - limit));
    cursor = page.nextCursor;
    if (!page.hasMore) return { rows: kept, cursor };
  }
}

/** Prints what matches from `since` (the newest `limit` of it) and returns the cursor to go on from. */
function printExisting(local: LocalSpace, input: LogInput, query: Omit<LogQuery, "since" | "limit">, show: (row: Row) => void): number {
  let since = input.since ?? 0;
  const limit = input.limit ?? (input.follow && input.since === undefined ? FOLLOW_DEFAULT_LIMIT : undefined);
  if (limit !== undefined) {
    const start = newest(local, query, since, limit);
    if (typeof start !== "number") {
      for (const row of start.rows) show(row);
      return start.cursor;
    }
    since = start;
  }
  for (;;) {
    const page = local.replica.query({ ...query, since, limit: 1000 });
    for (const row of page.envelopes) show(row);
    since = page.nextCursor;
    if (!page.hasMore) return since;
  }
}

const log: CommandSpec<LogInput> = {
  name: "log",
  summary: "Show a space's log from the local copy, with each envelope's commit status; --follow for live",
  usage: ["log <space> [--attention] [--thread <id>] [--since <arrival>] [--type <type>]... [--limit <n>] [--follow] [--json]"],
  details:
    "Authors are shown by member name; an envelope a tool host signed for a member shows both (`ops-bot via sequencer`). " +
    "--limit n: the newest n. --attention: what needs you (approval requests you can decide, mentions, escalations). --since takes this copy's arrival cursor. " +
    `--follow: print what exists (the newest ${FOLLOW_DEFAULT_LIMIT} unless --limit or --since), then stay connected to the space's edge and print each new envelope as it arrives, ` +
    "and a status line when one it showed as tentative is committed or rejected; Ctrl-C stops. " +
    "--json prints one {id, arrival, envelope, status} object per line (with --follow, a status change is {id, status}).",
  examples: ["commons log incident-42 --limit 20", "commons log incident-42 --follow", "commons log incident-42 --attention", "commons log incident-42 --type work.created --json"],
  options: {
    attention: { type: "boolean" }, thread: { type: "string" }, since: { type: "string" }, type: { type: "string", multiple: true },
    limit: { type: "string" }, json: { type: "boolean" }, follow: { type: "boolean", short: "f" },
  },
  parse(positionals, values) {
    arity("log", positionals, 1, 1);
    const since = str(values, "since");
    if (since !== undefined && !/^\d+$/.test(since)) throw usage("log", `--since takes an arrival position (a whole number ≥ 0), not "${since}".`);
    const limit = positiveInt("log", "--limit", str(values, "limit"));
    const thread = str(values, "thread");
    return {
      space: space("log", positionals[0]), attention: bool(values, "attention"), types: strs(values, "type"), json: bool(values, "json"), follow: bool(values, "follow"),
      ...(thread ? { thread } : {}), ...(since ? { since: Number(since) } : {}), ...(limit ? { limit } : {}),
    };
  },
  async run(input, io) {
    const me = input.attention ? (await requireIdentity(io.home)).did : undefined;
    if (!input.follow) {
      return open(io, input.space, { lock: false }, (local) => {
        const who = whoIn(local);
        printExisting(local, input, filters(local, input, me), (row) => io.out(render(input, row, who)));
        return 0;
      });
    }
    return follow(input, me, io);
  },
};

function render(input: LogInput, row: Row, who: ReturnType<typeof whoIn>): string {
  return input.json ? JSON.stringify(row) : `${String(row.arrival).padStart(5)} ${envelopeLine(row.id, row.envelope, row.status, who)}`;
}

async function follow(input: LogInput, me: string | undefined, io: Io): Promise<number> {
  let tail: (() => void) | null = null;
  const follower = await followSpace(io.home, input.space, { onChange: () => tail?.(), report: (line) => io.err(line) });
  try {
    const local = follower.local;
    const query = filters(local, input, me);
    const receipts = input.types.includes("commit");
    // Lines shown before their commit: each gets one status line when its verdict arrives.
    const pending = new Map<EnvelopeId, string>();
    let who = whoIn(local);
    const show = (row: Row) => {
      io.out(render(input, row, who));
      if (row.status.state !== "committed" && row.envelope.type !== "commit") pending.set(row.id, row.status.state);
    };
    let cursor = printExisting(local, input, query, show);
    tail = () => {
      who = whoIn(local);
      for (;;) {
        const page = local.replica.query({ ...query, since: cursor, limit: 1000 });
        for (const row of page.envelopes) if (receipts || row.envelope.type !== "commit") show(row);
        cursor = page.nextCursor;
        if (!page.hasMore) break;
      }
      for (const [id, shown] of pending) {
        const status: EnvelopeStatus = local.replica.status(id);
        if (status.state === shown) continue;
        pending.delete(id);
        if (status.state !== "committed") pending.set(id, status.state);
        io.out(input.json ? JSON.stringify({ id, status }) : `${"".padStart(5)} ↳ ${shortId(id)} ${statusText(status)}`);
      }
    };
    tail();
    io.err(`following ${input.space}${follower.live ? "" : " (no edge: local writes only)"}; Ctrl-C stops`);
    await io.stopped;
    return 0;
  } finally {
    tail = null;
    follower.close();
  }
}

export const logCommands = [log] as CommandSpec[];
