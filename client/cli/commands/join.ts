/**
 * `commons join <invite-url>`: become a member with an owner's invite, no owner online.
 *
 *   1. decode the URL (core/space/invite.ts); `GET /s/<space>/log/state`: the space exists;
 *   2. sign `member.joined` (proof by the invite key), save it (client/node/join.ts), and
 *      `POST /s/<space>/log` it — posting is open; a newcomer cannot read yet;
 *   3. the edge's sequencer commits (or rejects) the join in that same request;
 *   4. make the local copy and sync it — as a member now, with a self-issued token at the
 *      epoch `/log/state` gives after the join — and read the join's verdict from the copy.
 *
 * Errors say what to do: an expired, used-up or revoked invite → ask the owner for a new one.
 */
import { rmSync } from "node:fs";
import { CommonsError } from "../../../core/errors.js";
import type { Did } from "../../../core/identity/did.js";
import type { Invite } from "../../../core/space/invite.js";
import { createJoinEnvelope } from "../../../core/space/invite.js";
import type { EnvelopeStatus } from "../../../core/log/replica.js";
import type { WriterState } from "../../../core/log/writer.js";
import type { Member } from "../../../core/views/state.js";
import { hasSpace, spaceFile } from "../../node/home.js";
import { requireIdentity } from "../../node/identity.js";
import { forgetJoins, pendingJoins, postEnvelope, rememberJoin, savedTip, type PostResult, type Sent } from "../../node/join.js";
import { fetchState, parseSpaceUrl } from "../../node/remote.js";
import { open, say, shortId } from "../common.js";
import type { Io } from "../io.js";
import { committedOf } from "../publish.js";
import { syncWithReceipts } from "./node.js";

export interface InviteJoin {
  invite: Invite;
  name?: string;
}

/** What an edge's refusal at ingest means for the newcomer (nothing was stored). */
function ingestRefusal(result: PostResult, space: string): CommonsError {
  const why: Record<string, string> = {
    "envelope-deps-missing": `the edge does not hold this invite: the owner has not synced it there yet (ask them to run \`commons sync ${space}\`), or the URL points at another edge`,
    "envelope-bad-invite-proof": "the invite's key does not match the invite: the URL is damaged or forged; use it exactly as the owner sent it, or ask for a new one",
    "envelope-hlc-regressed": "your clock is behind the owner's (the invite is stamped later than your clock's now): set your clock right, then join again",
    "envelope-hlc-in-future": "your clock is more than 5 minutes ahead of the edge's: set your clock right, then join again",
    "envelope-fork": "the edge already holds another envelope of yours at this position (this key wrote from another home, whose joins/ this one lacks): ask an owner to add you with `commons members <space> add <did>`",
  };
  const code = result.code ?? "rejected";
  return new CommonsError(code === "rate-limited" ? "rate-limited" : "join-refused", `The edge refused your join (${code}): ${why[code] ?? result.message ?? "no reason given"}.`);
}

const refusedAtCommit = (reason: string | undefined) =>
  new CommonsError("invite-refused", `The space refused your join: ${reason ?? "no reason given"}. Ask an owner for a new invite (\`commons invite <space> --role …\`).`);

/** The newer of two chain tips (a copy's and the saved joins'). */
const newer = (a: WriterState["last"], b: WriterState["last"]) => (a === null ? b : b === null ? a : a.seq >= b.seq ? a : b);

export async function joinByInvite(input: InviteJoin & { json?: boolean }, io: Io): Promise<number> {
  const { invite } = input;
  const space = invite.space;
  const target = parseSpaceUrl(`${invite.edge}/s/${space}`);
  const signer = await requireIdentity(io.home);
  const hadCopy = hasSpace(io.home, space);
  // A copy here already: a reader of a public space, or a removed member coming back.
  const writer = hadCopy
    ? await open(io, space, { lock: false }, (local) => {
        if (committedOf(local).members.has(signer.did)) throw new CommonsError("already-joined", `You are already a member of ${space}: run \`commons sync ${space}\`.`);
        const state = local.replica.writerState(signer.did);
        return { last: state.last, heads: state.heads };
      })
    : { last: null, heads: [] };

  const remote = await fetchState(target.http, space);
  if (!spaceExists(remote)) throw new CommonsError("space-not-found", `${target.http} holds no space "${space}": check the invite URL with the owner.`);

  const saved = pendingJoins(io.home, space);
  // The same invite again (an interrupted join): send the very same bytes, never a second join.
  let sent: Sent | undefined = saved.find((e) => e.envelope.type === "member.joined" && e.envelope.body.invite === invite.invite);
  if (sent === undefined) {
    sent = await createJoinEnvelope({
      invite, joiner: signer, now: Date.now(), writer: { last: newer(writer.last, savedTip(saved)), heads: writer.heads },
      ...(input.name === undefined ? {} : { name: input.name }),
    });
    rememberJoin(io.home, space, sent);
  }
  const result = await postEnvelope(target.http, space, sent);
  if (result.status === "rejected") {
    forgetJoins(io.home, space, sent.id);
    throw ingestRefusal(result, space);
  }
  if (result.commit?.verdict === "rejected") throw refusedAtCommit(result.commit.reason);

  // The edge sequenced the join within the POST, so the sync's token (minted at the edge's
  // committed epoch, read from /log/state: client/node/remote.ts doorToken) is a member's.
  const joinId = sent.id;
  let outcome: { held: boolean; status: EnvelopeStatus; member?: Member };
  try {
    outcome = await open(io, space, { create: true }, async (local) => {
      local.setMeta("edge", target.http);
      if (!hadCopy) local.setMeta("created_at", new Date().toISOString());
      const synced = await syncWithReceipts(io, local, target.ws);
      io.err(`synced ${space}: received ${synced.received}; committed up to #${local.replica.commits.frontier}`);
      const member = committedOf(local).members.get(signer.did as Did);
      return { held: local.replica.has(joinId), status: local.replica.status(joinId), ...(member ? { member } : {}) };
    });
  } catch (error) {
    if (error instanceof CommonsError && error.code === "offline") {
      throw new CommonsError("offline", `Your join was sent, but the edge went away before the copy was made: run \`commons join\` with the same URL again when it is back. (${error.message})`, { status: 503 });
    }
    // The door refuses to let us read: after a join it sequenced, that means the join was
    // not accepted (an edge that does not report the verdict in POST /log leaves only this).
    const refusedByDoor = error instanceof CommonsError && (error.code === "not-a-member" || error.code.startsWith("token-"));
    if (!refusedByDoor) throw error;
    if (!hadCopy) removeCopy(io, space);
    throw new CommonsError("invite-refused", `Your join reached the edge, but the space does not let you read it, so the join was not accepted: the invite may have expired, been used up or been revoked. Ask an owner for a new invite. (${(error as Error).message})`);
  }
  if (outcome.status.state === "committed" && outcome.status.verdict === "rejected") {
    if (!hadCopy) removeCopy(io, space);
    throw refusedAtCommit(outcome.status.reason);
  }
  if (!outcome.held || outcome.member === undefined) {
    io.err(`The edge holds your join ${shortId(joinId)} but its sequencer has not committed it yet: run \`commons sync ${space}\` later.`);
    return 0;
  }
  forgetJoins(io.home, space);
  const { role, domains, name } = outcome.member;
  say(io, input.json === true, `joined ${space} as ${role}${domains.length ? ` in ${domains.join(",")}` : ""}${name ? ` (${name})` : ""}: ${signer.did}`,
    { joined: space, did: signer.did, role, domains, ...(name ? { name } : {}), join: joinId });
  return 0;
}

/** Whether `/log/state` says the space exists (`exists` for everyone since the door; `count` before it). */
export function spaceExists(remote: Awaited<ReturnType<typeof fetchState>>): boolean {
  return (remote as { exists?: boolean }).exists ?? (remote.count ?? 0) > 0;
}

/** A copy made for a join that did not go through holds nothing of use: leave no file behind. */
export function removeCopy(io: Io, space: Invite["space"]): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${spaceFile(io.home, space)}${suffix}`, { force: true });
}
