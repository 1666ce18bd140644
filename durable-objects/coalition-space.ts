/**
 * The space's side of its coalitions' actors (durable-objects/coalition.ts), inside the SpaceDO:
 *
 *   notify   after each sequencing run, one RPC per CoalitionDO the run concerns, handed to
 *            `waitUntil` and never awaited (as durable-objects/space-agents.ts does for
 *            agents): a coalition envelope (formed, joined, left, voted, spent, dissolved)
 *            sends the coalition as the committed state now has it — members with their
 *            roles, names and domains, epoch, status — and a channel message replying to one
 *            of a coalition's asks sends that reply. The object folds nothing: what it keeps is
 *            the committed state's answer, and the log stays the record.
 *   call     what a CoalitionDO asks of its space: the coalition as it stands (`view`), or to
 *            post a caller's A2A message in the coalition's thread (`post`).
 *   keep     `form_coalition`'s hand-over of the coalition's new key to its object.
 *   reserve  a key made here for a coalition a node will form on its copy
 *            (`POST /s/:space/coalition-keys`, `commons coalition form` when online): the space
 *            keeps the private half, the node names the public one in its `coalition.formed`,
 *            and once that commits the coalition's object takes it (`op: "key"`), so its card
 *            is signed by the coalition's own key wherever the coalition was formed. The
 *            private half never leaves the edge.
 *
 *   space_coalition_asks (message PRIMARY KEY, coalition)   in the SpaceDO's SQLite, made on
 *   the first ask: which messages are asks, so a reply to one reaches its coalition.
 *   space_coalition_keys (did PRIMARY KEY, jwk, by, made_ms)   reserved keys, made on the first
 *   reservation; at most KEYS_PER_MEMBER unused ones per member (the oldest goes).
 *
 * A post is written by the space's own key with `actor` = the caller, exactly as the MCP
 * `post_message` tool writes it, and judged like it: only a member who may write posts.
 */
import { CommonsError, isCommonsError } from "../core/errors.js";
import type { Did } from "../core/identity/did.js";
import { Ed25519Signer, type Ed25519PrivateJwk } from "../core/identity/signer.js";
import type { Envelope } from "../core/log/envelope.js";
import type { EnvelopeId } from "../core/log/ids.js";
import type { EnvelopeStatus } from "../core/log/replica.js";
import { isCoalitionType } from "../core/state/coalition.js";
import type { CommitEntry } from "../core/state/sequencer.js";
import type { SqlStorage } from "../core/storage/sql.js";
import type { SpaceState } from "../core/views/state.js";
import { coalitionName } from "./coalition-address.js";

const TABLE = `CREATE TABLE IF NOT EXISTS space_coalition_asks (message TEXT PRIMARY KEY, coalition TEXT NOT NULL)`;
const KEYS_TABLE = `CREATE TABLE IF NOT EXISTS space_coalition_keys (did TEXT PRIMARY KEY, jwk TEXT NOT NULL, by TEXT NOT NULL, made_ms INTEGER NOT NULL)`;
/** Unused reservations kept per member: enough for a few forms made offline before a sync. */
const KEYS_PER_MEMBER = 8;

export interface CoalitionMemberView {
  did: Did;
  role: string;
  name?: string;
  domains: string[];
}

/** A coalition as the committed state shows it, with what its card says of its members. */
export interface CoalitionView {
  space: string;
  id: EnvelopeId;
  name: string;
  goal: string;
  key: Did;
  status: "active" | "dissolved";
  epoch: number;
  quorum: number;
  members: CoalitionMemberView[];
  dissolvedReason?: string;
  /** The envelope that last changed it. */
  since: EnvelopeId;
}

/** A committed channel message replying to an ask. */
export interface CoalitionReply {
  id: EnvelopeId;
  /** The ask it replies to. */
  message: EnvelopeId;
  actor: Did;
  content: string;
}

export interface CoalitionNotice {
  view?: CoalitionView;
  replies: CoalitionReply[];
}

export type CoalitionCall =
  | { op: "view"; coalition: EnvelopeId; caller?: Did }
  | { op: "post"; coalition: EnvelopeId; caller: Did; text: string }
  | { op: "key"; coalition: EnvelopeId };

export interface CoalitionAnswer {
  view: CoalitionView | null;
  /** The ask's channel message, for `post`. */
  posted?: EnvelopeId;
  refused?: { code: string; message: string; status: number };
  /** The caller's role in the space (null: not a member), for a `view` that names one. */
  callerRole?: string | null;
  /** For `key`: the reserved private key the coalition's `coalition.formed` names, once. */
  key?: Ed25519PrivateJwk;
}

export type Write = (type: "channel.message", body: { content: string; threadRef: EnvelopeId; actor: Did }) => Promise<{ id: EnvelopeId; status: EnvelopeStatus }>;

export interface SpaceCoalitionsDeps {
  space: string;
  sql: SqlStorage;
  env: Env;
  waitUntil(promise: Promise<unknown>): void;
  envelope(id: EnvelopeId): Envelope | undefined;
  state(): SpaceState;
  write: Write;
}

export class SpaceCoalitions {
  private tableMade = false;

  constructor(private readonly deps: SpaceCoalitionsDeps) {}

  private stub(coalition: EnvelopeId) {
    return this.deps.env.COALITIONS.get(this.deps.env.COALITIONS.idFromName(coalitionName(this.deps.space, coalition)));
  }

  /** The coalition now, or undefined when none is committed under that id. */
  view(coalition: EnvelopeId): CoalitionView | undefined {
    const state = this.deps.state();
    const c = state.coalitions.get(coalition);
    if (c === undefined) return undefined;
    const members = c.members.map((did) => {
      const m = state.members.get(did);
      return { did, role: m?.role ?? "removed", ...(m?.name ? { name: m.name } : {}), domains: m?.domains ?? [] };
    });
    return {
      space: this.deps.space, id: c.id, name: c.name, goal: c.goal, key: c.key, status: c.status, epoch: c.epoch, quorum: c.quorum, members,
      ...(c.dissolved?.reason ? { dissolvedReason: c.dissolved.reason } : {}), since: c.since,
    };
  }

  /** LogRoom's afterCommit, after the MCP host's: tells each concerned CoalitionDO, never waiting on it. */
  notify(entries: readonly CommitEntry[]): void {
    // A space without coalitions pays nothing here (no envelope is read): the committed state,
    // which already holds this run's commits, would show a coalition formed in it.
    if (this.deps.state().coalitions.size === 0) return;
    const notices = new Map<EnvelopeId, CoalitionNotice>();
    const notice = (id: EnvelopeId) => notices.get(id) ?? notices.set(id, { replies: [] }).get(id)!;
    for (const entry of entries) {
      if (entry.verdict !== "accepted") continue;
      const envelope = this.deps.envelope(entry.id);
      if (envelope === undefined) continue;
      const body = envelope.body as Record<string, unknown>;
      if (isCoalitionType(envelope.type) && envelope.type !== "branch.updated") {
        notice(envelope.type === "coalition.formed" ? entry.id : (body.coalition as EnvelopeId));
      } else if (envelope.type === "channel.message" && typeof body.threadRef === "string") {
        const coalition = this.askedOf(body.threadRef as EnvelopeId);
        if (coalition === undefined) continue;
        notice(coalition).replies.push({ id: entry.id, message: body.threadRef as EnvelopeId, actor: (body.actor ?? envelope.author) as Did, content: String(body.content ?? "") });
      }
    }
    for (const [coalition, n] of notices) {
      const view = this.view(coalition);
      const sent = { ...(view ? { view } : {}), replies: n.replies };
      this.deps.waitUntil(this.stub(coalition).notify(sent).catch((error: unknown) => console.error(`coalition notify ${coalition}:`, error)));
    }
  }

  /**
   * A CoalitionDO's request (SpaceDO.coalitionCall). Refusals come back as values: an error
   * thrown across an RPC loses its code.
   */
  async call(call: CoalitionCall): Promise<CoalitionAnswer> {
    try {
      return await this.answer(call);
    } catch (error) {
      if (!isCommonsError(error)) throw error;
      return { view: this.view(call.coalition) ?? null, refused: { code: error.code, message: error.message, status: error.status } };
    }
  }

  private async answer(call: CoalitionCall): Promise<CoalitionAnswer> {
    const view = this.view(call.coalition) ?? null;
    if (call.op === "key") return { view, ...this.takeReserved(view) };
    if (call.op === "view") return { view, ...(call.caller === undefined ? {} : { callerRole: this.deps.state().members.get(call.caller)?.role ?? null }) };
    if (view === null) throw new CommonsError("coalition-unknown", `no committed coalition ${call.coalition} in ${this.deps.space}`, { status: 404 });
    if (view.status === "dissolved") throw new CommonsError("coalition-dissolved", `coalition ${view.name} is dissolved: it takes no more messages`, { status: 409 });
    const member = this.deps.state().members.get(call.caller);
    if (member === undefined || member.role === "observer") {
      throw new CommonsError("not-a-space-member", `${call.caller} is not a member of space ${this.deps.space} who may write: only its members message its coalitions`, { status: 403 });
    }
    const written = await this.deps.write("channel.message", { content: call.text, threadRef: call.coalition, actor: call.caller });
    if (written.status.state === "committed" && written.status.verdict === "rejected") {
      throw new CommonsError("message-refused", `the space refused the message: ${written.status.reason ?? "rejected"}`, { status: 403 });
    }
    this.ensureTable();
    this.deps.sql.exec(`INSERT OR IGNORE INTO space_coalition_asks (message, coalition) VALUES (?, ?)`, written.id, call.coalition);
    return { view, posted: written.id };
  }

  /**
   * `form_coalition`'s new key goes to its object, which keeps it as its own (awaited: the
   * tool answers once it is kept). The coalition is formed either way: if the hand-over
   * fails, its object later answers with a key of its own and its card says so.
   */
  async keep(coalition: EnvelopeId, key: Ed25519Signer): Promise<void> {
    await this.stub(coalition).adopt(key.exportPrivateJwk()).catch((error: unknown) => console.error(`coalition ${coalition}: its key was not handed over:`, error));
  }

  /** `POST /s/:space/coalition-keys`: a fresh key kept here for a coalition `by` will form. */
  async reserve(by: Did): Promise<Did> {
    const key = await Ed25519Signer.generate();
    this.deps.sql.exec(KEYS_TABLE);
    this.deps.sql.exec(`INSERT INTO space_coalition_keys (did, jwk, by, made_ms) VALUES (?, ?, ?, ?)`, key.did, JSON.stringify(key.exportPrivateJwk()), by, Date.now());
    this.deps.sql.exec(
      `DELETE FROM space_coalition_keys WHERE by = ? AND did NOT IN (SELECT did FROM space_coalition_keys WHERE by = ? ORDER BY made_ms DESC, did LIMIT ?)`,
      by, by, KEYS_PER_MEMBER,
    );
    return key.did as Did;
  }

  /**
   * The reserved key a committed coalition names, handed over once — only when the one who
   * reserved it wrote the `coalition.formed` (another member naming a key they saw gets nothing).
   */
  private takeReserved(view: CoalitionView | null): { key?: Ed25519PrivateJwk } {
    if (view === null) return {};
    const [exists] = this.deps.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'space_coalition_keys'`);
    if (!exists || exists.n === 0) return {};
    const row = this.deps.sql.exec<{ jwk: string; by: string }>(`SELECT jwk, by FROM space_coalition_keys WHERE did = ?`, view.key)[0];
    const formed = this.deps.envelope(view.id);
    if (row === undefined || formed === undefined) return {};
    const former = ((formed.body as { actor?: string }).actor ?? formed.author) as string;
    if (former !== row.by) return {};
    this.deps.sql.exec(`DELETE FROM space_coalition_keys WHERE did = ?`, view.key);
    return { key: JSON.parse(row.jwk) as Ed25519PrivateJwk };
  }

  private askedOf(message: EnvelopeId): EnvelopeId | undefined {
    if (!this.tableMade) {
      const [exists] = this.deps.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'space_coalition_asks'`);
      if (!exists || exists.n === 0) return undefined;
      this.tableMade = true;
    }
    return this.deps.sql.exec<{ coalition: string }>(`SELECT coalition FROM space_coalition_asks WHERE message = ?`, message)[0]?.coalition as EnvelopeId | undefined;
  }

  private ensureTable(): void {
    if (this.tableMade) return;
    this.deps.sql.exec(TABLE);
    this.tableMade = true;
  }
}
