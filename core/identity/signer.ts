/**
 * Ed25519 signing keys through WebCrypto, usable unchanged in workerd, Node and browsers.
 * A `Signer` is what the log writer, the sequencer and capability tokens need: a did and a
 * `sign(bytes)`. Keys persist as JWK (RFC 8037 OKP: `x` public, `d` the 32-byte seed).
 *
 * WebCrypto cannot derive a public key from a private one, so the private key is exported
 * once after import to learn `x`; private keys are therefore created extractable. That
 * protects nothing less than before: code in the same realm could read the seed anyway.
 */
import { calculateJwkThumbprint } from "jose";
import { CommonsError } from "../errors.js";
import { didFromPublicKey, publicKeyFromDid, type Did } from "./did.js";
import { decodeBase64url, encodeBase64url, toCryptoBytes } from "./encoding.js";

export interface Signer {
  readonly did: Did;
  /** The 64-byte Ed25519 signature of `bytes` (deterministic: same key + bytes → same signature). */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

/** An Ed25519 public key as an RFC 8037 JWK. */
export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

/** An Ed25519 private key as an RFC 8037 JWK: `d` is the base64url 32-byte seed. */
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

// PKCS#8 PrivateKeyInfo for Ed25519 (RFC 8410) is this fixed 16-byte header + the seed.
const PKCS8_ED25519_HEADER = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
);

export class Ed25519Signer implements Signer {
  private constructor(
    readonly did: Did,
    private readonly privateKey: CryptoKey,
    private readonly jwk: Ed25519PrivateJwk,
  ) {}

  /** A fresh random key. */
  static async generate(): Promise<Ed25519Signer> {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    return Ed25519Signer.fromCryptoKey(pair.privateKey);
  }

  /** The key whose RFC 8032 secret seed is `seed` (32 bytes): fixed keys for tests and golden vectors. */
  static async fromSeed(seed: Uint8Array): Promise<Ed25519Signer> {
    if (seed.length !== 32) {
      throw new CommonsError("invalid-private-key", `An Ed25519 seed has 32 bytes, not ${seed.length}.`);
    }
    const pkcs8 = new Uint8Array(PKCS8_ED25519_HEADER.length + 32);
    pkcs8.set(PKCS8_ED25519_HEADER, 0);
    pkcs8.set(seed, PKCS8_ED25519_HEADER.length);
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
    return Ed25519Signer.fromCryptoKey(key);
  }

  /** Imports a private JWK; refuses one whose `x` does not belong to its `d`. */
  static async fromJwk(jwk: unknown): Promise<Ed25519Signer> {
    const candidate = jwk as Partial<Ed25519PrivateJwk> | null;
    const seed = typeof candidate?.d === "string" ? decodeBase64url(candidate.d) : null;
    if (candidate?.kty !== "OKP" || candidate.crv !== "Ed25519" || seed === null || seed.length !== 32) {
      throw new CommonsError(
        "invalid-private-key",
        'Expected an Ed25519 private JWK: {"kty":"OKP","crv":"Ed25519","x":…,"d":…} with a 32-byte base64url "d".',
      );
    }
    const signer = await Ed25519Signer.fromSeed(seed);
    if (candidate.x !== undefined && candidate.x !== signer.jwk.x) {
      throw new CommonsError("invalid-private-key", 'The JWK\'s "x" is not the public key of its "d": the key file is corrupt.');
    }
    return signer;
  }

  private static async fromCryptoKey(privateKey: CryptoKey): Promise<Ed25519Signer> {
    const exported = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
    const x = exported.x === undefined ? null : decodeBase64url(exported.x);
    if (x === null || exported.d === undefined) {
      throw new CommonsError("invalid-private-key", "This runtime did not export the Ed25519 key as a JWK with x and d.");
    }
    const jwk: Ed25519PrivateJwk = { kty: "OKP", crv: "Ed25519", x: encodeBase64url(x), d: exported.d };
    return new Ed25519Signer(didFromPublicKey(x), privateKey, jwk);
  }

  async sign(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.privateKey, toCryptoBytes(bytes)));
  }

  /** The private JWK, for storing the key (treat as a secret). */
  exportPrivateJwk(): Ed25519PrivateJwk {
    return { ...this.jwk };
  }

  publicJwk(): Ed25519PublicJwk {
    return publicJwkFromDid(this.did);
  }
}

/** The public JWK inside a did:key. */
export function publicJwkFromDid(did: Did): Ed25519PublicJwk {
  const raw = publicKeyFromDid(did);
  if (raw === null) throw new CommonsError("invalid-did", `"${did}" is not an Ed25519 did:key.`);
  return { kty: "OKP", crv: "Ed25519", x: encodeBase64url(raw) };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a did's public key: the `kid` for tokens. */
export function jwkThumbprint(did: Did): Promise<string> {
  return calculateJwkThumbprint(publicJwkFromDid(did), "sha256");
}
