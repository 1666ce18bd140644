/**
 * The invite URL codec, and the newcomer's `member.joined` envelope (pure, web standards).
 *
 *   invite-url = edge "/s/" space "#invite=" payload
 *   payload    = base64url( UTF-8( canonical JSON { "v": 1, "space", "invite", "key" } ) )
 *
 * `invite` is the id of the owner's `invite.created` envelope; `key` is the base64url
 * 32-byte Ed25519 seed of the invite key that envelope names. The key rides in the
 * fragment because a fragment is never sent to a server: the edge (and its logs, proxies,
 * referrers) never sees it. Holding the URL is holding the invite, so it is a secret.
 *
 * Joining: the newcomer signs `member.joined {invite, key: <invite did>, proof}` with its
 * own key, `proof` being the invite key's signature over `inviteProofInput(space, invite,
 * joiner)` (core/log/types/invite.ts) — it lets in this joiner only, so a join seen on the
 * wire cannot be replayed for someone else. Its deps cite the invite, so every replica
 * judges the join after the invite. Golden vectors: test/core/space/invite.test.ts.
 */
import { z } from "zod";
import { canonicalJson } from "../canonical-json.js";
import { CommonsError } from "../errors.js";
import { decodeBase64url, encodeBase64url } from "../identity/encoding.js";
import { Ed25519Signer, type Signer } from "../identity/signer.js";
import { isSpaceId, type SpaceId } from "../ids.js";
import { MAX_DEPS, signEnvelope, type EnvelopeOf } from "../log/envelope.js";
import { nextHlc } from "../log/hlc.js";
import { isEnvelopeId, type EnvelopeId } from "../log/ids.js";
import { inviteProofInput, memberJoinedBody } from "../log/types/invite.js";
import type { WriterState } from "../log/writer.js";

export const INVITE_VERSION = 1;
const FRAGMENT = "#invite=";
const ASK_AGAIN = "ask the owner to send the invite URL again, and paste it whole (in quotes)";

export interface Invite {
  /** The edge's base URL (origin plus any path prefix before `/s/`), e.g. http://127.0.0.1:8787 */
  edge: string;
  space: SpaceId;
  /** The `invite.created` envelope's id. */
  invite: EnvelopeId;
  /** The invite key's 32-byte Ed25519 seed. */
  seed: Uint8Array;
}

const payloadSchema = z.strictObject({
  v: z.literal(INVITE_VERSION),
  space: z.string().refine(isSpaceId, "not a valid space name"),
  invite: z.string().refine(isEnvelopeId, 'expected an envelope id ("sha256:" + 64 hex digits)'),
  key: z.string(),
});

const invalid = (code: string, message: string) => new CommonsError(code, message, { status: 400 });

/** `<edge>/s/<space>#invite=<payload>`. */
export function encodeInviteUrl(invite: Invite): string {
  if (invite.seed.length !== 32) throw invalid("invite-key-invalid", `An invite key is a 32-byte seed, not ${invite.seed.length} bytes.`);
  const payload = canonicalJson({ v: INVITE_VERSION, space: invite.space, invite: invite.invite, key: encodeBase64url(invite.seed) });
  return `${invite.edge.replace(/\/+$/, "")}/s/${invite.space}${FRAGMENT}${encodeBase64url(new TextEncoder().encode(payload))}`;
}

/**
 * Parses an invite URL. Refuses (CommonsError, status 400): `invite-malformed` (not an
 * invite URL, or a payload that is not the canonical JSON above), `invite-version` (a
 * newer format), `invite-wrong-space` (the payload names another space than the path),
 * `invite-key-invalid` (the key is not a 32-byte seed: a truncated URL, usually).
 */
export function decodeInviteUrl(input: string): Invite {
  const at = input.indexOf(FRAGMENT);
  if (at < 0) throw invalid("invite-malformed", `"${shorten(input)}" is not an invite URL (…/s/<space>#invite=…): ${ASK_AGAIN}.`);
  let url: URL;
  try {
    url = new URL(input.slice(0, at));
  } catch {
    throw invalid("invite-malformed", `"${shorten(input.slice(0, at))}" is not a URL: ${ASK_AGAIN}.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("invite-malformed", `An invite URL starts with http:// or https://, not ${url.protocol}: ${ASK_AGAIN}.`);
  if (url.search !== "") throw invalid("invite-malformed", `An invite URL has no query ("${url.search}"): ${ASK_AGAIN}.`);
  const path = /^(.*)\/s\/([^/]+)$/.exec(url.pathname);
  const pathSpace = path === null ? null : path[2]!;
  if (path === null || pathSpace === null || !isSpaceId(pathSpace)) throw invalid("invite-malformed", `An invite URL's path ends in /s/<space>; "${url.pathname}" does not: ${ASK_AGAIN}.`);

  const encoded = input.slice(at + FRAGMENT.length);
  const bytes = decodeBase64url(encoded);
  let text: string;
  let json: unknown;
  try {
    if (bytes === null) throw new Error("not base64url");
    // Strict: invalid UTF-8 or a byte-order mark is a damaged payload, not something to repair.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    json = JSON.parse(text);
  } catch {
    throw invalid("invite-malformed", `The invite's payload is damaged (not base64url JSON): ${ASK_AGAIN}.`);
  }
  const version = (json as { v?: unknown } | null)?.v;
  if (version !== undefined && version !== INVITE_VERSION) {
    throw invalid("invite-version", `This invite has format v${JSON.stringify(version)}; this Commons reads v${INVITE_VERSION}: upgrade Commons, or ask the owner for an invite made by this version.`);
  }
  const checked = payloadSchema.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw invalid("invite-malformed", `The invite's payload is damaged (${issue?.path.join(".") || "payload"}: ${issue?.message}): ${ASK_AGAIN}.`);
  }
  const payload = checked.data;
  // One accepted text per invite: a re-encoded payload is not the one the owner handed out.
  if (canonicalJson(payload) !== text) throw invalid("invite-malformed", `The invite's payload is not in canonical form: ${ASK_AGAIN}.`);
  if (payload.space !== pathSpace) throw invalid("invite-wrong-space", `This invite is for space "${payload.space}" but the URL names "${pathSpace}": ${ASK_AGAIN}.`);
  const seed = decodeBase64url(payload.key);
  if (seed === null || seed.length !== 32) throw invalid("invite-key-invalid", `The invite's key is not a 32-byte key (${seed === null ? "not base64url" : `${seed.length} bytes`}): the URL was cut short; ${ASK_AGAIN}.`);
  return { edge: `${url.origin}${path[1]!}`, space: payload.space as SpaceId, invite: payload.invite as EnvelopeId, seed };
}

/** The invite key, from the URL's seed. */
export function inviteSigner(invite: Pick<Invite, "seed">): Promise<Ed25519Signer> {
  return Ed25519Signer.fromSeed(invite.seed);
}

/** The invite key's signature over (space, invite, joiner): what lets exactly this joiner in. */
export async function inviteProof(invite: Pick<Invite, "space" | "invite" | "seed">, joiner: string): Promise<string> {
  const key = await inviteSigner(invite);
  return encodeBase64url(await key.sign(inviteProofInput(invite.space, invite.invite, joiner)));
}

export interface JoinOptions {
  invite: Pick<Invite, "space" | "invite" | "seed">;
  joiner: Signer;
  /** Wall time (ms) for the stamp. */
  now: number;
  /** The name the newcomer wants to be shown by (else the invite's). */
  name?: string;
  /**
   * The joiner's chain and heads in this space, when it has some (a removed member coming
   * back, or a reader of a public space); a newcomer starts at seq 1 with no heads.
   */
  writer?: Pick<WriterState, "last" | "heads">;
}

/**
 * The signed `member.joined` for `joiner`. Its deps are the writer's heads plus the invite.
 * The joiner does not hold the invite envelope, so its stamp cannot be read: `now` must be
 * later than the owner's clock was at the invite (else replicas refuse the join with
 * `envelope-hlc-regressed`, and the joiner should fix its clock).
 */
export async function createJoinEnvelope(options: JoinOptions): Promise<{ id: EnvelopeId; envelope: EnvelopeOf<"member.joined"> }> {
  const { invite, joiner, writer } = options;
  const key = await inviteSigner(invite);
  const body = {
    invite: invite.invite,
    key: key.did,
    proof: await inviteProof(invite, joiner.did),
    ...(options.name === undefined ? {} : { name: options.name }),
  };
  const checked = memberJoinedBody.safeParse(body);
  if (!checked.success) throw new CommonsError("envelope-malformed", `Invalid member.joined body: ${checked.error.issues[0]?.message ?? "schema violation"}.`);
  const heads = [...(writer?.heads ?? [])].filter((head) => head.id !== invite.invite)
    .sort((a, b) => (a.hlc < b.hlc ? 1 : a.hlc > b.hlc ? -1 : 0)).slice(0, MAX_DEPS - 1);
  const last = writer?.last ?? null;
  const seen = [...heads.map((head) => head.hlc), ...(last === null ? [] : [last.hlc])];
  return signEnvelope(joiner, {
    space: invite.space as SpaceId,
    author: joiner.did,
    seq: (last?.seq ?? 0) + 1,
    prev: last?.id ?? null,
    deps: [...heads.map((head) => head.id), invite.invite].sort(),
    hlc: nextHlc(joiner.did, options.now, seen),
    type: "member.joined",
    body,
  });
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
