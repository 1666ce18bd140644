/**
 * The SDK's TaskStore on the one SQL interface (core/storage/sql.ts): an agent's tasks live
 * in its Durable Object's SQLite, so an evicted or restarted agent keeps them. A task is
 * stored as its ProtoJSON (the wire form, `Task.toJSON`) beside the columns it is found by.
 *
 * Every read and write is scoped to the verified caller (`owner`): another caller's task is
 * "not found", as the spec asks of tasks that are not accessible, and ListTasks shows a
 * caller only its own (spec §3.1.4). Lists are newest status first, ties by id, paged by a
 * cursor on exactly that order (stable while tasks change state between pages).
 */
import { Task, type ListTasksRequest, type ListTasksResponse } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import type { ServerCallContext, TaskStore } from "@a2a-js/sdk/server";
import type { Did } from "../identity/did.js";
import { decodeBase64url, encodeBase64url } from "../identity/encoding.js";
import type { SqlStorage } from "../storage/sql.js";
import { callerOf } from "./caller.js";

/** The tasks table; the agent's migration (durable-objects/agent-schema.ts) runs these. */
export const TASK_TABLES = [
  `CREATE TABLE IF NOT EXISTS a2a_tasks (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     context_id TEXT NOT NULL,
     state INTEGER NOT NULL,
     status_ms INTEGER NOT NULL,
     created_ms INTEGER NOT NULL,
     body TEXT NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS a2a_tasks_by_owner ON a2a_tasks (owner, status_ms DESC, id DESC)`,
  `CREATE INDEX IF NOT EXISTS a2a_tasks_by_context ON a2a_tasks (owner, context_id, status_ms DESC, id DESC)`,
];

const DEFAULT_PAGE_SIZE = 50;

export interface SqlTaskStoreOptions {
  /**
   * Called after every save with the task and its verified caller. The seam where a later
   * item records a task in the space it concerns (issue 12: "recorded in the space it
   * concerns, from that caller"); nothing is recorded yet.
   */
  onSaved?: (task: Task, caller: Did) => void;
  now?: () => number;
}

export class SqlTaskStore implements TaskStore {
  constructor(private readonly sql: SqlStorage, private readonly options: SqlTaskStoreOptions = {}) {}

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const owner = callerOf(context).did;
    const now = this.options.now?.() ?? Date.now();
    const statusMs = Date.parse(task.status?.timestamp ?? "") || now;
    const saved = this.sql.exec(
      `INSERT INTO a2a_tasks (id, owner, context_id, state, status_ms, created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET context_id = excluded.context_id, state = excluded.state, status_ms = excluded.status_ms, body = excluded.body
       WHERE a2a_tasks.owner = excluded.owner
       RETURNING id`,
      task.id, owner, task.contextId, task.status?.state ?? 0, statusMs, now, JSON.stringify(Task.toJSON(task)),
    );
    // Ids are the handler's random UUIDs and loads are owner-scoped, so this means a bug.
    if (saved.length === 0) throw new Error(`task ${task.id} belongs to another caller; it was not overwritten`);
    this.options.onSaved?.(task, owner);
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const [row] = this.sql.exec<{ body: string }>(`SELECT body FROM a2a_tasks WHERE id = ? AND owner = ?`, taskId, callerOf(context).did);
    return row === undefined ? undefined : Task.fromJSON(JSON.parse(row.body));
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
    const where = ["owner = ?"];
    const args: (string | number)[] = [callerOf(context).did];
    if (params.contextId) (where.push("context_id = ?"), args.push(params.contextId));
    if (params.status) (where.push("state = ?"), args.push(params.status));
    // "Greater than or equal to" the given time (a2a.proto, ListTasksRequest.status_timestamp_after).
    if (params.statusTimestampAfter) (where.push("status_ms >= ?"), args.push(Date.parse(params.statusTimestampAfter)));
    const filter = where.join(" AND ");
    const [count] = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM a2a_tasks WHERE ${filter}`, ...args);
    const page = [...where];
    const pageArgs = [...args];
    if (params.pageToken) {
      const [ms, id] = decodeCursor(params.pageToken);
      page.push("(status_ms < ? OR (status_ms = ? AND id < ?))");
      pageArgs.push(ms, ms, id);
    }
    const rows = this.sql.exec<{ id: string; status_ms: number; body: string }>(
      `SELECT id, status_ms, body FROM a2a_tasks WHERE ${page.join(" AND ")} ORDER BY status_ms DESC, id DESC LIMIT ?`,
      ...pageArgs, pageSize + 1,
    );
    const shown = rows.slice(0, pageSize);
    const last = shown.at(-1);
    const tasks = shown.map((row) => {
      const task = Task.fromJSON(JSON.parse(row.body));
      if (!params.includeArtifacts) task.artifacts = [];
      return task;
    });
    return {
      tasks,
      nextPageToken: rows.length > pageSize && last !== undefined ? encodeCursor(last.status_ms, last.id) : "",
      // "The page size used for this response": the tasks on this page (0 on an empty one), as
      // the A2A TCK reads it, not the limit asked for (which the caller knows already).
      pageSize: tasks.length,
      totalSize: count?.n ?? 0,
    };
  }
}

/** The cursor: base64url of the JSON `[status_ms, id]` of the page's last task. */
function encodeCursor(ms: number, id: string): string {
  return encodeBase64url(new TextEncoder().encode(JSON.stringify([ms, id])));
}

function decodeCursor(token: string): [number, string] {
  const bytes = decodeBase64url(token);
  try {
    const value: unknown = bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === "string") return [value[0], value[1]];
  } catch {
    // Not JSON: refused below like any other token this store did not make.
  }
  throw new RequestMalformedError("pageToken is not a nextPageToken this agent returned: start again without one.");
}
