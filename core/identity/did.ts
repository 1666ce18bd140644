/**
 * Participant ids: `did:key` for Ed25519 public keys. The id *is* the public key
 * (multicodec `ed25519-pub` = varint 0xed 0x01, then the raw 32-byte key, base58btc,
 * multibase prefix `z`), so any replica verifies a signature with no directory lookup.
 * Every Ed25519 did:key therefore starts with `did:key:z6Mk`.
 */
import { CommonsError } from "../errors.js";
import { decodeBase58btc, encodeBase58btc, toCryptoBytes } from "./encoding.js";

export type Did = string & { readonly __brand: "Did" };

const DID_KEY_PREFIX = "did:key:z";
const ED25519_MULTICODEC = [0xed, 0x01] as const;
const ED25519_PUBLIC_KEY_BYTES = 32;
/** Loose shape check before decoding: 32-byte keys always encode to 48 base58 characters. */
const DID_KEY_PATTERN = /^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/;

export function didFromPublicKey(publicKey: Uint8Array): Did {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new CommonsError("invalid-public-key", `An Ed25519 public key has 32 bytes, not ${publicKey.length}.`);
  }
  const prefixed = new Uint8Array(2 + ED25519_PUBLIC_KEY_BYTES);
  prefixed.set(ED25519_MULTICODEC, 0);
  prefixed.set(publicKey, 2);
  return (DID_KEY_PREFIX + encodeBase58btc(prefixed)) as Did;
}

/** The raw 32-byte public key inside an Ed25519 did:key, or null if `text` is not one. */
export function publicKeyFromDid(text: string): Uint8Array<ArrayBuffer> | null {
  if (!DID_KEY_PATTERN.test(text)) return null;
  const bytes = decodeBase58btc(text.slice(DID_KEY_PREFIX.length));
  if (bytes === null || bytes.length !== 2 + ED25519_PUBLIC_KEY_BYTES) return null;
  if (bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) return null;
  return bytes.slice(2);
}

export function isDid(text: string): text is Did {
  if (knownDids.has(text)) return true;
  if (publicKeyFromDid(text) === null) return false;
  if (knownDids.size >= KNOWN_DID_LIMIT) knownDids.clear();
  knownDids.add(text);
  return true;
}

// Every envelope's author (and every mention) is checked by decoding its base58: a space has
// few authors, so remember the ones that passed. Bounded like the key cache below.
const KNOWN_DID_LIMIT = 10_000;
const knownDids = new Set<string>();

/** Parses an Ed25519 did:key from untrusted input; throws `invalid-did` (400) otherwise. */
export function parseDid(text: string): Did {
  if (isDid(text)) return text;
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  throw new CommonsError(
    "invalid-did",
    `"${shown}" is not an Ed25519 did:key: expected "did:key:z6Mk" followed by 44 base58btc characters.`,
  );
}

/** A short, stable label for logs and HLC suffixes: the last 8 characters of the did. */
export function didSuffix(did: Did): string {
  return did.slice(-8);
}

// Importing a key costs about as much as one verification, and a space has few authors:
// keep each author's imported key. Bounded so a flood of fresh authors cannot grow it
// without limit; clearing everything on overflow is crude but keeps the common case O(1).
const VERIFY_KEY_CACHE_LIMIT = 10_000;
const verifyKeys = new Map<string, Promise<CryptoKey>>();

/** The WebCrypto verification key for `did`, imported once and cached. */
export function verificationKey(did: Did): Promise<CryptoKey> {
  let key = verifyKeys.get(did);
  if (key === undefined) {
    const raw = publicKeyFromDid(did);
    if (raw === null) return Promise.reject(parseDid(did));
    if (verifyKeys.size >= VERIFY_KEY_CACHE_LIMIT) verifyKeys.clear();
    key = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
    // A failed import must not poison the cache for the next caller.
    key.catch(() => verifyKeys.delete(did));
    verifyKeys.set(did, key);
  }
  return key;
}

/** True when `signature` is `did`'s Ed25519 signature over `bytes`. Never throws for bad input. */
export async function verifySignature(did: Did, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, await verificationKey(did), toCryptoBytes(signature), toCryptoBytes(bytes));
  } catch {
    // An invalid point in the did or a malformed signature is simply "not verified".
    return false;
  }
}
