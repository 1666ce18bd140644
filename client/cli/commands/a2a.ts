/**
 * `commons a2a card|send|tasks|token <agent-url>`: a person talking to any A2A v1.0 agent
 * (a Commons agent at http://<edge>/agents/<name>, or another), through the SDK's own
 * ClientFactory client. Every call first reads the agent's card and checks it is signed by
 * the did it names (core/a2a/remote.ts); the node's identity then signs a short-lived token
 * for that did. Results go to stdout (`--json` for the ProtoJSON), progress to stderr.
 */
import { SendMessageRequest, Task, taskStateFromJSON, TaskState, type Message, type Part, type StreamResponse } from "@a2a-js/sdk";
import { issueAgentCapability } from "../../../core/auth/capability.js";
import { CommonsError } from "../../../core/errors.js";
import { agentBase, connectAgent, fetchAgentCard, type RemoteAgent } from "../../../core/a2a/remote.js";
import { requireIdentity } from "../../node/identity.js";
import { shortDid } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, didYouMean, positiveInt, str, strs, usage, type CommandSpec, type Values } from "../spec.js";

type Action = "card" | "send" | "tasks" | "token";
type Input = {
  action: Action; url: string; json: boolean; rest: boolean;
  text?: string; task?: string; context?: string; messageId?: string; stream: boolean;
  cancel: boolean; status?: string; limit?: number; methods: string[]; ttl?: number;
};

const ACTIONS: readonly Action[] = ["card", "send", "tasks", "token"];

const a2a: CommandSpec<Input> = {
  name: "a2a",
  summary: "Talk to an A2A agent: read its signed card, send it a message, list or cancel your tasks",
  usage: [
    "a2a card <agent-url> [--json]",
    "a2a send <agent-url> <text> [--task <id>] [--context <id>] [--message-id <id>] [--stream] [--rest] [--json]",
    "a2a tasks <agent-url> [<task-id>] [--cancel] [--context <id>] [--status <state>] [--limit N] [--rest] [--json]",
    "a2a token <agent-url> [--methods SendMessage,GetTask] [--ttl 300]",
  ],
  details: "The agent URL is http://<edge>/agents/<name> (its card is at …/.well-known/agent-card.json). A card not signed by the did it names is refused. Calls are authenticated with a token this node signs for the agent's did (aud commons:agent:<did>), valid 5 minutes; `token` prints one for curl or the A2A TCK (A2A_AUTH_TYPE=bearer A2A_AUTH_TOKEN=…). Tasks are per caller: `tasks` lists the ones this node asked for. --rest uses the HTTP+JSON binding instead of JSON-RPC.",
  examples: [
    "commons a2a card http://127.0.0.1:8787/agents/ops-bot",
    'commons a2a send http://127.0.0.1:8787/agents/ops-bot "rotate the cert" --stream',
    "commons a2a tasks http://127.0.0.1:8787/agents/ops-bot",
    "commons a2a tasks http://127.0.0.1:8787/agents/ops-bot 6f1c… --cancel",
  ],
  options: {
    json: { type: "boolean" }, rest: { type: "boolean" }, stream: { type: "boolean" }, cancel: { type: "boolean" },
    task: { type: "string" }, context: { type: "string" }, "message-id": { type: "string" }, status: { type: "string" },
    limit: { type: "string" }, methods: { type: "string", multiple: true }, ttl: { type: "string" },
  },
  parse(positionals, values) {
    const action = positionals[0] as Action;
    if (!ACTIONS.includes(action)) throw usage("a2a", `Say what to do first: ${ACTIONS.join(", ")} (e.g. \`commons a2a card <agent-url>\`).${action === undefined ? "" : didYouMean(action, ACTIONS)}`);
    if (positionals[1] === undefined) throw usage("a2a", "Missing the agent's URL, e.g. http://127.0.0.1:8787/agents/ops-bot.");
    const [min, max] = ({ card: [2, 2], token: [2, 2], send: [3, 3], tasks: [2, 3] } as const)[action];
    arity("a2a", positionals, min, max);
    try {
      agentBase(positionals[1]);
    } catch (error) {
      throw usage("a2a", (error as Error).message);
    }
    const status = str(values, "status");
    if (status !== undefined && taskStateFromJSON(stateName(status)) === TaskState.UNRECOGNIZED) {
      throw usage("a2a", `--status takes a task state such as completed, working, input-required or canceled, not "${status}".`);
    }
    return {
      action, url: positionals[1], json: bool(values, "json"), rest: bool(values, "rest"), stream: bool(values, "stream"), cancel: bool(values, "cancel"),
      ...(action === "send" ? { text: positionals[2] } : positionals[2] === undefined ? {} : { task: positionals[2] }),
      ...optional(values, "task", "task"), ...optional(values, "context", "context"), ...optional(values, "message-id", "messageId"),
      ...(status === undefined ? {} : { status }),
      ...(str(values, "limit") === undefined ? {} : { limit: positiveInt("a2a", "--limit", str(values, "limit"), 100) }),
      ...(str(values, "ttl") === undefined ? {} : { ttl: positiveInt("a2a", "--ttl", str(values, "ttl"), 86_400) }),
      methods: strs(values, "methods").flatMap((m) => m.split(",")).map((m) => m.trim()).filter(Boolean),
    };
  },
  async run(input, io) {
    try {
      if (input.action === "card") return await card(input, io);
      if (input.action === "token") return await token(input, io);
      const signer = await requireIdentity(io.home);
      io.err(`reading the card at ${agentBase(input.url)} …`);
      const agent = await connectAgent(input.url, signer, { binding: input.rest ? "HTTP+JSON" : "JSONRPC" });
      io.err(`agent ${String(agent.card.name)} (${shortDid(agent.did)}), card signature verified; calling as ${shortDid(signer.did)}`);
      return input.action === "send" ? await send(agent, input, io) : await tasks(agent, input, io);
    } catch (error) {
      throw explain(error, input);
    }
  },
};

export const a2aCommands: readonly CommandSpec[] = [a2a as CommandSpec];

const optional = (values: Values, flag: string, key: string) => (str(values, flag) === undefined ? {} : { [key]: str(values, flag) });
/** `input-required` → TASK_STATE_INPUT_REQUIRED. */
const stateName = (text: string) => (text.startsWith("TASK_STATE_") ? text : `TASK_STATE_${text.toUpperCase().replace(/-/g, "_")}`);
const stateText = (state: TaskState) => TaskState[state]?.replace("TASK_STATE_", "").toLowerCase().replace(/_/g, "-") ?? String(state);
const partsText = (parts: readonly Part[]) => parts.map((p) => (p.content?.$case === "text" ? p.content.value : `[${p.content?.$case ?? "empty"} part]`)).join(" ");

async function card(input: Input, io: Io): Promise<number> {
  const { card, did } = await fetchAgentCard(agentBase(input.url));
  if (input.json) return io.out(JSON.stringify(card)), 0;
  const c = card as Record<string, any>;
  io.out(`${c.name} — ${c.description}`);
  io.out(`did        ${did}  (card signature verified)`);
  for (const i of c.supportedInterfaces ?? []) io.out(`interface  ${i.protocolBinding} ${i.protocolVersion}  ${i.url}`);
  io.out(`streaming  ${c.capabilities?.streaming === true ? "yes" : "no"}   push notifications  ${c.capabilities?.pushNotifications === true ? "yes" : "no"}`);
  for (const s of c.skills ?? []) io.out(`skill      ${s.id}: ${s.description}`);
  return 0;
}

async function token(input: Input, io: Io): Promise<number> {
  const { did } = await fetchAgentCard(agentBase(input.url));
  const signer = await requireIdentity(io.home);
  io.err(`a token for ${did}, from ${signer.did}`);
  io.out(await issueAgentCapability(signer, { agent: did, ttlSeconds: input.ttl ?? 3600, ...(input.methods.length ? { methods: input.methods } : {}) }));
  return 0;
}

async function send(agent: RemoteAgent, input: Input, io: Io): Promise<number> {
  const request = SendMessageRequest.fromJSON({
    message: {
      messageId: input.messageId ?? crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: input.text }],
      ...(input.task === undefined ? {} : { taskId: input.task }), ...(input.context === undefined ? {} : { contextId: input.context }),
    },
  });
  if (!input.stream) {
    const result = await agent.client.sendMessage(request);
    if (input.json) return io.out(JSON.stringify("messageId" in result ? { message: result } : { task: Task.toJSON(result) })), 0;
    return "messageId" in result ? (printMessage(io, result), 0) : (printTask(io, result), 0);
  }
  for await (const event of agent.client.sendMessageStream(request)) printEvent(io, event, input.json);
  return 0;
}

async function tasks(agent: RemoteAgent, input: Input, io: Io): Promise<number> {
  if (input.task !== undefined) {
    const task = input.cancel
      ? await agent.client.cancelTask({ id: input.task, tenant: "", metadata: undefined })
      : await agent.client.getTask({ id: input.task, tenant: "" });
    return input.json ? (io.out(JSON.stringify(Task.toJSON(task))), 0) : (printTask(io, task), 0);
  }
  if (input.cancel) throw usage("a2a", "--cancel needs the task's id: `commons a2a tasks <agent-url> <task-id> --cancel`.");
  const page = await agent.client.listTasks({
    tenant: "", contextId: input.context ?? "", status: input.status === undefined ? 0 : taskStateFromJSON(stateName(input.status)),
    pageSize: input.limit ?? 20, pageToken: "", includeArtifacts: false, statusTimestampAfter: undefined,
  });
  if (input.json) return io.out(JSON.stringify(page.tasks.map((t) => Task.toJSON(t)))), 0;
  if (page.tasks.length === 0) io.out(`no tasks of yours at this agent: send one with \`commons a2a send ${input.url} "…"\``);
  for (const task of page.tasks) {
    const last = task.status?.message;
    io.out(`${task.id}  ${stateText(task.status?.state ?? 0).padEnd(14)} ${task.status?.timestamp ?? ""}  ${last ? partsText(last.parts) : ""}`);
  }
  if (page.totalSize > page.tasks.length) io.err(`${page.tasks.length} of ${page.totalSize} shown (newest first): --limit up to 100, --context or --status to narrow`);
  return 0;
}

function printTask(io: Io, task: Task): void {
  io.out(`task ${task.id}  ${stateText(task.status?.state ?? 0)}  (context ${task.contextId})`);
  if (task.status?.message) io.out(`agent: ${partsText(task.status.message.parts)}`);
  for (const artifact of task.artifacts) io.out(`artifact ${artifact.name || artifact.artifactId}: ${partsText(artifact.parts)}`);
  if (task.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED) io.err(`the agent waits for you: reply with --task ${task.id}`);
}

function printMessage(io: Io, message: Message): void {
  io.out(`agent: ${partsText(message.parts)}`);
}

function printEvent(io: Io, event: StreamResponse, json: boolean): void {
  const payload = event.payload;
  if (json || payload === undefined) return void io.out(JSON.stringify(payload === undefined ? {} : { [payload.$case]: payload.value }));
  if (payload.$case === "message") return printMessage(io, payload.value);
  if (payload.$case === "task") return void io.out(`task ${payload.value.id}  ${stateText(payload.value.status?.state ?? 0)}`);
  if (payload.$case === "artifactUpdate") return void io.out(`artifact ${payload.value.artifact?.name ?? ""}: ${partsText(payload.value.artifact?.parts ?? [])}`);
  const status = payload.value.status;
  io.out(`${stateText(status?.state ?? 0)}${status?.message ? `: ${partsText(status.message.parts)}` : ""}`);
}

/** SDK and network errors as CommonsErrors that say what to do next. */
function explain(error: unknown, input: Input): unknown {
  if (error instanceof CommonsError) return error;
  const name = (error as Error)?.name;
  const message = (error as Error)?.message ?? String(error);
  const hints: Record<string, string> = {
    TaskNotFoundError: `no task ${input.task ?? ""} of yours at this agent: list yours with \`commons a2a tasks ${input.url}\``,
    TaskNotCancelableError: `task ${input.task ?? ""} has already ended: only a task still working or waiting for input can be canceled`,
    UnsupportedOperationError: `the agent cannot do that: ${message}`,
    VersionNotSupportedError: `the agent does not speak A2A 1.0: ${message}`,
  };
  if (hints[name] !== undefined) return new CommonsError("a2a-refused", hints[name]!, { cause: error });
  if (error instanceof TypeError && /fetch failed/i.test(message)) {
    return new CommonsError("offline", `offline: could not reach ${input.url} (${message}). Is the edge running (\`npm start\`)?`, { status: 503, cause: error });
  }
  return new CommonsError("a2a-failed", `the agent answered: ${message}`, { cause: error });
}
