/**
 * A signer around a WebCrypto key pair whose private half never leaves the runtime: what a
 * browser keeps in IndexedDB (a non-extractable CryptoKey survives structured cloning, its
 * bytes do not). `Ed25519Signer` needs the seed to persist a key as JWK; this one needs
 * only the pair, and learns its did from the public half (always exportable).
 */
import { CommonsError } from "../errors.js";
import { didFromPublicKey, type Did } from "./did.js";
import { toCryptoBytes } from "./encoding.js";
import type { Signer } from "./signer.js";

export class CryptoKeySigner implements Signer {
  private constructor(
    readonly did: Did,
    readonly keys: CryptoKeyPair,
  ) {}

  /** A fresh Ed25519 pair whose private key cannot be exported (`extractable: false`). */
  static async generate(): Promise<CryptoKeySigner> {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    return CryptoKeySigner.fromKeyPair(pair);
  }

  /** Wraps a stored pair; refuses one that is not an Ed25519 signing pair. */
  static async fromKeyPair(pair: CryptoKeyPair): Promise<CryptoKeySigner> {
    const { privateKey, publicKey } = pair;
    if (privateKey?.algorithm?.name !== "Ed25519" || publicKey?.algorithm?.name !== "Ed25519" || !privateKey.usages.includes("sign")) {
      throw new CommonsError("invalid-private-key", "Expected an Ed25519 key pair whose private key may sign: make a new identity for this browser.");
    }
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", publicKey)) as ArrayBuffer);
    return new CryptoKeySigner(didFromPublicKey(raw), pair);
  }

  async sign(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.keys.privateKey, toCryptoBytes(bytes)));
  }
}
