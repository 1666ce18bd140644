/**
 * The envelope: the unit of the signed log, and its pure JSON wire codec.
 *
 *   { space, author, seq, prev, deps, hlc, type, body, sig }   (+ optional "id" on the wire)
 *
 * - the signature is Ed25519 by `author` over the UTF-8 RFC 8785 canonical JSON of every
 *   field except `sig` (and `id`);
 * - the id is `sha256:` + hex SHA-256 of the canonical JSON of every field *including*
 *   `sig` (not `id`). Ed25519 is deterministic, so same key + same fields → same id;
 * - the canonical signed form is at most {@link MAX_ENVELOPE_BYTES} bytes.
 *
 * Parsing checks shape only (schema, type, size); signature, id and chain checks need
 * crypto or state and live in `verify.ts` and `replica.ts`.
 */
import { z } from "zod";
import { canonicalJson } from "../canonical-json.js";
import { CommonsError } from "../errors.js";
import type { Did } from "../identity/did.js";
import { encodeBase64url, encodeHex } from "../identity/encoding.js";
import type { Signer } from "../identity/signer.js";
import { isSpaceId, type SpaceId } from "../ids.js";
import type { RejectionCode } from "./codes.js";
import { HLC_PATTERN } from "./hlc.js";
import type { EnvelopeId } from "./ids.js";
import { didSchema, envelopeIdSchema } from "./types/common.js";
import { ENVELOPE_BODY_SCHEMAS, isEnvelopeType, type BodyOf, type EnvelopeType } from "./types/index.js";

const utf8 = new TextEncoder();

/** Cap on the canonical signed form, in UTF-8 bytes. Big content belongs in the Yjs doc. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** Cap on `deps`: a writer with more heads in view cites the most recent ones. */
export const MAX_DEPS = 128;

export interface EnvelopeOf<T extends EnvelopeType> {
  space: SpaceId;
  author: Did;
  /** 1-based position in the author's chain. */
  seq: number;
  /** Id of the author's envelope `seq - 1`; null exactly when `seq` is 1. */
  prev: EnvelopeId | null;
  /** Heads the author had seen from others, sorted ascending, distinct. */
  deps: EnvelopeId[];
  hlc: string;
  type: T;
  body: BodyOf<T>;
  /** base64url Ed25519 signature (64 bytes). */
  sig: string;
}

/** Any envelope, narrowed by `type`. */
export type Envelope = { [T in EnvelopeType]: EnvelopeOf<T> }[EnvelopeType];
export type UnsignedEnvelopeOf<T extends EnvelopeType> = Omit<EnvelopeOf<T>, "sig">;

const frameSchema = z
  .strictObject({
    space: z.string().refine(isSpaceId, { message: "not a valid space name" }),
    author: didSchema,
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    prev: envelopeIdSchema.nullable(),
    deps: z.array(envelopeIdSchema).max(MAX_DEPS),
    hlc: z.string().regex(HLC_PATTERN, "expected <13-digit ms>-<4-digit counter>-<8-char did suffix>"),
    type: z.string().min(1).max(64),
    body: z.unknown(),
    sig: z.string().regex(/^[A-Za-z0-9_-]{85}[AQgw]$/, "expected a base64url 64-byte signature"),
    id: envelopeIdSchema.optional(),
  })
  .refine((frame) => (frame.seq === 1) === (frame.prev === null), { message: "prev must be null exactly when seq is 1" })
  .refine((frame) => frame.deps.every((dep, i) => i === 0 || frame.deps[i - 1]! < dep), {
    message: "deps must be sorted ascending and distinct",
  });

export interface ParsedEnvelope {
  envelope: Envelope;
  /** Canonical JSON of every field but `sig`: the signing input. */
  unsignedText: string;
  /** Canonical JSON of every field including `sig`: the hashing input, and what is stored. */
  signedText: string;
  /** The id the wire form carried, if any (checked against the hash by `verify.ts`). */
  claimedId: EnvelopeId | undefined;
}

export type ParseResult = { ok: true; value: ParsedEnvelope } | { ok: false; code: RejectionCode; message: string };

/** Checks an untrusted value's shape, type, body and size. Never throws. */
export function parseEnvelope(raw: unknown): ParseResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, code: "envelope-malformed", message: "An envelope is a JSON object." };
  }
  const { id: claimed, ...signed } = raw as Record<string, unknown>;
  let signedText: string;
  try {
    signedText = canonicalJson(signed);
  } catch (error) {
    return { ok: false, code: "envelope-malformed", message: (error as Error).message };
  }
  // Code units bound UTF-8 bytes from below: only encode when it could matter.
  if (signedText.length * 3 > MAX_ENVELOPE_BYTES && utf8.encode(signedText).length > MAX_ENVELOPE_BYTES) {
    return { ok: false, code: "envelope-too-large", message: `The canonical envelope is over ${MAX_ENVELOPE_BYTES} bytes.` };
  }
  const frame = frameSchema.safeParse(raw);
  if (!frame.success) return { ok: false, code: "envelope-malformed", message: summarize(frame.error) };
  const { type } = frame.data;
  if (!isEnvelopeType(type)) {
    return { ok: false, code: "envelope-unknown-type", message: `Unknown envelope type "${type.slice(0, 64)}".` };
  }
  const body = ENVELOPE_BODY_SCHEMAS[type].safeParse(frame.data.body);
  if (!body.success) return { ok: false, code: "envelope-malformed", message: `${type} body: ${summarize(body.error)}` };
  const envelope = { ...frame.data, body: body.data } as Envelope & { id?: EnvelopeId };
  delete envelope.id;
  return { ok: true, value: { envelope, unsignedText: withoutSig(signedText, signed), signedText, claimedId: frame.data.id } };
}

/**
 * The canonical text without `sig`, cut out of the signed text instead of serializing again.
 * In canonical order `sig` is never the first key (`author` sorts before it), and it is the
 * last top-level key that can hold an object before it: only `space` and `type` follow, plain
 * strings. So the last `,"sig":"<value>"` is the top-level field (a body string cannot hold
 * the sequence unescaped). The schema has checked `sig` is base64url, which JSON never escapes.
 */
function withoutSig(signedText: string, signed: Record<string, unknown>): string {
  const { sig, ...unsigned } = signed;
  const field = `,"sig":"${String(sig)}"`;
  const at = signedText.lastIndexOf(field);
  return at === -1 ? canonicalJson(unsigned) : signedText.slice(0, at) + signedText.slice(at + field.length);
}

/** Parses one envelope from its JSON wire text; throws `CommonsError` with the rejection code. */
export function decodeEnvelope(text: string): ParsedEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CommonsError("envelope-malformed", "The envelope is not valid JSON.");
  }
  const result = parseEnvelope(raw);
  if (!result.ok) throw new CommonsError(result.code, result.message);
  return result.value;
}

/** The JSON wire text of an envelope: its canonical form, with its id when given. */
export function encodeEnvelope(envelope: Envelope, id?: EnvelopeId): string {
  return canonicalJson(id === undefined ? envelope : { ...envelope, id });
}

/** The id of a signed envelope from its canonical signed text. */
export async function envelopeIdOf(signedText: string): Promise<EnvelopeId> {
  const digest = await crypto.subtle.digest("SHA-256", utf8.encode(signedText));
  return `sha256:${encodeHex(new Uint8Array(digest))}` as EnvelopeId;
}

/** Signs the unsigned fields with `signer` (who must be the author) and computes the id. */
export async function signEnvelope<T extends EnvelopeType>(
  signer: Signer,
  unsigned: UnsignedEnvelopeOf<T>,
): Promise<{ id: EnvelopeId; envelope: EnvelopeOf<T> }> {
  if (unsigned.author !== signer.did) {
    throw new CommonsError("envelope-author-mismatch", `The envelope's author is ${unsigned.author} but the key is ${signer.did}.`);
  }
  const signature = await signer.sign(utf8.encode(canonicalJson(unsigned)));
  const envelope = { ...unsigned, sig: encodeBase64url(signature) } as EnvelopeOf<T>;
  return { id: await envelopeIdOf(canonicalJson(envelope)), envelope };
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
