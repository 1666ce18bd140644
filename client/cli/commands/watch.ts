/**
 * `commons watch [<space>]`: what needs me, live, one line per item — approvals I may
 * decide, mentions, escalations, my blocked claims and requests (client/node/watch.ts). It
 * starts with what is open now, then stays connected to each space's edge
 * (client/node/follow.ts) and prints an item's line again, with its new state, each time
 * that state changes. Lines are appended, never redrawn, so a pipe reads the same history
 * a terminal shows. Ctrl-C stops it (exit 0).
 */
import type { SpaceId } from "../../../core/ids.js";
import { followSpace, type Follower } from "../../node/follow.js";
import { listSpaces } from "../../node/home.js";
import { requireIdentity } from "../../node/identity.js";
import { AttentionWatch, type AttentionItem } from "../../node/watch.js";
import { CommonsError } from "../../../core/errors.js";
import { shortId, whoIn } from "../common.js";
import type { Io } from "../io.js";
import { arity, bool, space, type CommandSpec } from "../spec.js";

interface WatchInput { space?: SpaceId; json: boolean }

function line(space: SpaceId, item: AttentionItem, json: boolean): string {
  if (json) return JSON.stringify({ space, ...item });
  return `${space}  ${item.kind.padEnd(10)} ${shortId(item.id)}  ${item.what}  [${item.state}]`;
}

const watch: CommandSpec<WatchInput> = {
  name: "watch",
  summary: "Watch what needs you, live: approvals to decide, mentions, escalations, your blocked claims",
  usage: ["watch [<space>] [--json]"],
  details:
    "One line per item, printed again with its new state whenever it changes (pending → approved by …, tentative → committed, blocked → resolved). " +
    "Starts with what is open now, in every local copy unless a space is given, and stays connected to their edges (as `commons daemon` does) until Ctrl-C. " +
    "Decide approvals with `commons approve <space> <id>` in another terminal. --json: one {space, id, kind, what, state, final} object per line.",
  examples: ["commons watch", "commons watch incident-42 --json"],
  options: { json: { type: "boolean" } },
  parse: (positionals, values) => {
    arity("watch", positionals, 0, 1);
    return { json: bool(values, "json"), ...(positionals[0] === undefined ? {} : { space: space("watch", positionals[0]) }) };
  },
  async run(input, io) {
    const me = (await requireIdentity(io.home)).did;
    const names = input.space ? [input.space] : listSpaces(io.home);
    if (names.length === 0) throw new CommonsError("unknown-space", "No local copies to watch: join one with `commons join <invite-url>`.");
    const followers: Follower[] = [];
    try {
      for (const name of names) followers.push(await watchOne(name, me, input.json, io));
      io.err(`watching ${names.join(", ")} for ${me}; Ctrl-C stops`);
      await io.stopped;
      return 0;
    } finally {
      for (const follower of followers) follower.close();
    }
  },
};

async function watchOne(name: SpaceId, me: string, json: boolean, io: Io): Promise<Follower> {
  let attention: AttentionWatch | null = null;
  let started = false;
  const print = () => {
    if (attention === null) return;
    const local = follower.local;
    for (const item of attention.update(whoIn(local))) {
      // At start, what is settled already (a committed mention) is history, not news.
      if (!started && item.final) continue;
      io.out(line(name, item, json));
    }
    started = true;
  };
  const follower: Follower = await followSpace(io.home, name, { onChange: () => print(), report: (text) => io.err(text) });
  attention = new AttentionWatch(follower.local, me as never);
  print();
  return follower;
}

export const watchCommands = [watch] as CommandSpec[];
