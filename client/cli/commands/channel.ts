/**
 * The channel and the document, on the local copy (offline or not): `post`, `replay`,
 * `doc` (`log` is in log.ts). Writes are tentative until the sequencer commits them; every line
 * shows which.
 */
import { CommonsError } from "../../../core/errors.js";
import type { Did } from "../../../core/identity/did.js";
import { isDid } from "../../../core/identity/did.js";
import type { SpaceId } from "../../../core/ids.js";
import type { EnvelopeId, VersionVector } from "../../../core/log/ids.js";
import { cutAtCommitIndex, replay as replayAt, viewSnapshot } from "../../../core/views/build.js";
import { requireIdentity } from "../../node/identity.js";
import type { LocalSpace } from "../../node/local-space.js";
import { localView } from "../../node/local-view.js";
import { open, resolveId, say, shortDid, statusText } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, positiveInt, space, str, strs, unknownAction, usage, type CommandSpec } from "../spec.js";

/** Ids in the copy starting with `prefix`, optionally of one type. */
export function idsLike(local: LocalSpace, prefix: string, type?: string): string[] {
  const like = `${prefix.startsWith("sha256:") ? prefix : `sha256:${prefix}`}%`;
  const rows = type === undefined
    ? local.sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE id LIKE ? LIMIT 2`, like)
    : local.sql.exec<{ id: string }>(`SELECT id FROM log_envelopes WHERE id LIKE ? AND type = ? LIMIT 2`, like, type);
  return rows.map((r) => r.id);
}

/** `did:key:…` as is, `@name` by the member's name in the current view. */
function mention(local: LocalSpace, text: string): Did {
  if (isDid(text)) return text;
  const name = text.replace(/^@/, "");
  const found = [...localView(local).current.members.values()].filter((m) => m.name === name || m.did === name);
  if (found.length !== 1) throw new CommonsError("unknown-member", `No single member named "${name}" in ${local.space}: mention by did, or list members with \`commons members ${local.space}\`.`);
  return found[0]!.did;
}

interface PostInput { space: SpaceId; texts: string[]; stdin: boolean; mentions: string[]; thread?: string; repeat: number; json: boolean }

const post: CommandSpec<PostInput> = {
  name: "post",
  summary: "Post a message to a space's channel (works offline; tentative until committed)",
  usage: ["post <space> <text> [--mention <did|@name>]... [--thread <id>] [--repeat <n>] [--json]", "post <space> --stdin   (one message per input line)"],
  details: "--repeat n posts the text n times, numbered (bulk writes for tests and demos). --json: {id, count, status} (the last message's id and status).",
  examples: ["commons post incident-42 \"cert expired at 09:14\" --mention @andy", "seq 1 500 | commons post incident-42 --stdin"],
  options: { mention: { type: "string", multiple: true }, thread: { type: "string" }, repeat: { type: "string" }, stdin: { type: "boolean" }, json: { type: "boolean" } },
  parse(positionals, values) {
    const stdin = bool(values, "stdin");
    arity("post", positionals, stdin ? 1 : 2, stdin ? 1 : 2);
    const text = positionals[1];
    if (text !== undefined && text.length === 0) throw usage("post", "The message is empty.");
    const repeat = positiveInt("post", "--repeat", str(values, "repeat"), 100_000) ?? 1;
    const thread = str(values, "thread");
    return { space: space("post", positionals[0]), texts: text === undefined ? [] : [text], stdin, mentions: strs(values, "mention"), repeat, json: bool(values, "json"), ...(thread ? { thread } : {}) };
  },
  async run(input, io) {
    const texts = input.stdin ? (await io.readStdin()).split("\n").filter((line) => line.trim().length > 0) : input.texts;
    if (texts.length === 0) throw usage("post", "No message lines on stdin.");
    const signer = await requireIdentity(io.home);
    return open(io, input.space, {}, async (local) => {
      const mentions = input.mentions.map((m) => mention(local, m));
      const threadRef = input.thread === undefined ? undefined : resolveId(`commons log ${input.space} --type channel.message`, input.thread, idsLike(local, input.thread, "channel.message"), "message");
      let last: EnvelopeId | undefined;
      let n = 0;
      for (const text of texts) {
        for (let i = 1; i <= input.repeat; i++) {
          const content = input.repeat > 1 ? `${text} #${i}` : text;
          last = (await local.replica.append(signer, "channel.message", { content, ...(mentions.length ? { mentions } : {}), ...(threadRef ? { threadRef } : {}) })).id;
          n++;
        }
      }
      const status = local.replica.status(last!);
      say(io, input.json, n === 1 ? `posted ${last} [${statusText(status)}]` : `posted ${n} messages, last ${last} [${statusText(status)}]`, { id: last, count: n, status });
      io.err(`${local.tentative()} tentative in ${local.space}: \`commons sync ${local.space}\` sends them to the sequencer.`);
      return 0;
    });
  },
};

/** `--at`: a commit index, an ISO time, or a cut (`{"did":seq}` JSON or `did=seq,did=seq`). */
export function parseAt(text: string): { index: number } | { time: number } | { cut: VersionVector } {
  if (/^\d+$/.test(text)) return { index: Number(text) };
  if (text.startsWith("{")) {
    try {
      const cut = JSON.parse(text) as unknown;
      if (cut && typeof cut === "object" && Object.values(cut).every((v) => Number.isInteger(v) && (v as number) >= 0)) return { cut: cut as VersionVector };
    } catch { /* reported below */ }
    throw usage("replay", `--at ${text} is not a cut: give {"did:key:…": seq, …}.`);
  }
  if (text.startsWith("did:")) {
    const cut: VersionVector = {};
    for (const part of text.split(",")) {
      const [author, seq] = part.split("=");
      if (!author || !isDid(author) || !seq || !/^\d+$/.test(seq)) throw usage("replay", `--at: "${part}" is not did=seq.`);
      cut[author] = Number(seq);
    }
    return { cut };
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw usage("replay", `--at takes a commit index (42), a time (2026-01-01T09:00:00Z) or a cut (did=seq,…), not "${text}".`);
  return { time };
}

const replay: CommandSpec<{ space: SpaceId; at: ReturnType<typeof parseAt>; json: boolean }> = {
  name: "replay",
  summary: "Show the space's view (members, work, approvals, channel) as it was at a point in the past",
  usage: ["replay <space> --at <commit-index|time|cut> [--json]"],
  details: "A commit index replays the causal past of the receipt that stamped it; a time, every envelope stamped at or before it (stamps follow causality, so that set is a consistent cut); a cut, exactly those envelopes (refused unless closed under deps).",
  examples: ["commons replay incident-42 --at 120", "commons replay incident-42 --at 2026-07-01T09:00:00Z --json"],
  options: { at: { type: "string" }, json: { type: "boolean" } },
  parse(positionals, values) {
    arity("replay", positionals, 1, 1);
    const at = str(values, "at");
    if (at === undefined) throw usage("replay", "--at is required: a commit index, a time or a cut.");
    return { space: space("replay", positionals[0]), at: parseAt(at), json: bool(values, "json") };
  },
  async run({ space: name, at, json }, io) {
    return open(io, name, { lock: false }, (local) => {
      const entries = local.replica.since(0);
      let cut: VersionVector;
      if ("index" in at) cut = cutAtCommitIndex(entries, at.index);
      else if ("cut" in at) cut = at.cut;
      else {
        cut = {};
        for (const { envelope } of entries) if (Number(envelope.hlc.slice(0, 13)) <= at.time) cut[envelope.author] = Math.max(cut[envelope.author] ?? 0, envelope.seq);
      }
      const view = replayAt(entries, cut);
      if (json) io.out(JSON.stringify({ cut, view: viewSnapshot(view) }));
      else {
        const c = view.current;
        io.out(`${name} at ${JSON.stringify(at)}: ${Object.values(cut).reduce((a, b) => a + b, 0)} envelopes, committed up to #${view.frontier}`);
        io.out(`members: ${[...c.members.values()].map((m) => `${m.name ?? shortDid(m.did)} (${m.role})`).join(", ") || "none"}`);
        io.out(`work: ${[...c.work.values()].map((w) => `${w.title} [${w.status}]`).join("; ") || "none"}`);
        io.out(`approvals: ${[...c.approvals.values()].map((a) => `${a.action.summary} [${a.status}]`).join("; ") || "none"}`);
        io.out(`messages: ${view.channel.messages.length}`);
      }
      return 0;
    });
  },
};

const doc: CommandSpec<{ space: SpaceId; action: "cat" | "append"; text?: string; name: string; repeat: number; json: boolean }> = {
  name: "doc",
  summary: "Read or edit the space's shared Yjs document (a Y.Text, \"notes\" by default), offline or not",
  usage: ["doc <space> cat [--name <text>]", "doc <space> append <text> [--name <text>] [--repeat <n>]"],
  details: "Edits are stored locally at once and merge with everyone's on `commons sync` (Yjs: no conflicts).",
  examples: ["commons doc incident-42 append \"root cause: expired cert\"", "commons doc incident-42 cat"],
  options: { name: { type: "string" }, repeat: { type: "string" }, json: { type: "boolean" } },
  actions: ["cat", "append"],
  parse(positionals, values) {
    const action = positionals[1];
    if (action === undefined) throw usage("doc", "Say what to do: cat or append.");
    if (action !== "cat" && action !== "append") throw unknownAction("doc", action, ["cat", "append"]);
    arity("doc", positionals, action === "cat" ? 2 : 3, action === "cat" ? 2 : 3);
    const name = str(values, "name") ?? "notes";
    if (name.length === 0 || name.length > 200) throw usage("doc", "--name takes 1–200 characters.");
    return { space: space("doc", positionals[0]), action, name, json: bool(values, "json"), repeat: positiveInt("doc", "--repeat", str(values, "repeat"), 100_000) ?? 1, ...(positionals[2] === undefined ? {} : { text: positionals[2] }) };
  },
  async run(input, io) {
    return open(io, input.space, { lock: input.action === "append" }, (local) => {
      const text = local.ydoc().getText(input.name);
      if (input.action === "cat") say(io, input.json, text.toString(), { name: input.name, text: text.toString() });
      else {
        for (let i = 1; i <= input.repeat; i++) text.insert(text.length, input.repeat > 1 ? `${input.text}${i}\n` : input.text!);
        say(io, input.json, `appended to ${input.name}: now ${text.length} characters (stored locally; \`commons sync\` shares it)`, { name: input.name, length: text.length });
      }
      return 0;
    });
  },
};

export const channelCommands = [post, replay, doc] as CommandSpec[];
