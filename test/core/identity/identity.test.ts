/**
 * Identity: did:key encoding, Ed25519 signing through WebCrypto, JWK round trips and
 * thumbprints. The RFC 8032 §7.1 TEST 1 key pins the did and signature formats.
 */
import { describe, expect, it } from "vitest";
import { didFromPublicKey, didSuffix, isDid, parseDid, publicKeyFromDid, verifySignature } from "../../../core/identity/did.js";
import { decodeBase58btc, decodeBase64url, encodeBase58btc, encodeBase64url, encodeHex } from "../../../core/identity/encoding.js";
import { Ed25519Signer, jwkThumbprint, publicJwkFromDid } from "../../../core/identity/signer.js";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((byte) => parseInt(byte, 16)));

// RFC 8032 §7.1, TEST 1 (empty message).
const RFC8032_SEED = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC8032_SIGNATURE =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const RFC8032_DID = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";

describe("did:key", () => {
  it("derives the golden did from the RFC 8032 TEST 1 seed", async () => {
    const signer = await Ed25519Signer.fromSeed(RFC8032_SEED);
    expect(signer.did).toBe(RFC8032_DID);
    expect(encodeHex(publicKeyFromDid(signer.did)!)).toBe(RFC8032_PUBLIC);
    expect(signer.did.startsWith("did:key:z6Mk")).toBe(true);
    expect(didSuffix(signer.did)).toBe(RFC8032_DID.slice(-8));
  });

  it("signs deterministically: the RFC 8032 TEST 1 signature", async () => {
    const signer = await Ed25519Signer.fromSeed(RFC8032_SEED);
    const signature = await signer.sign(new Uint8Array(0));
    expect(encodeHex(signature)).toBe(RFC8032_SIGNATURE);
    expect(await verifySignature(signer.did, new Uint8Array(0), signature)).toBe(true);
  });

  it("rejects a signature over other bytes, by another key, or of the wrong length", async () => {
    const alice = await Ed25519Signer.generate();
    const bob = await Ed25519Signer.generate();
    const bytes = new TextEncoder().encode("hello");
    const signature = await alice.sign(bytes);
    expect(await verifySignature(alice.did, bytes, signature)).toBe(true);
    expect(await verifySignature(alice.did, new TextEncoder().encode("hellO"), signature)).toBe(false);
    expect(await verifySignature(bob.did, bytes, signature)).toBe(false);
    expect(await verifySignature(alice.did, bytes, signature.slice(0, 63))).toBe(false);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(await verifySignature(alice.did, bytes, flipped)).toBe(false);
  });

  it("parses only Ed25519 did:keys", async () => {
    const { did } = await Ed25519Signer.generate();
    expect(parseDid(did)).toBe(did);
    expect(isDid(did.slice(0, -1))).toBe(false);
    expect(isDid(did.replace("did:key:", "did:web:"))).toBe(false);
    // A valid multibase string with the wrong multicodec (secp256k1-pub 0xe7 0x01).
    const secp = new Uint8Array(34);
    secp.set([0xe7, 0x01]);
    expect(isDid(`did:key:z${encodeBase58btc(secp)}`)).toBe(false);
    expect(() => parseDid("did:key:nope")).toThrowError(expect.objectContaining({ code: "invalid-did" }));
    expect(() => didFromPublicKey(new Uint8Array(31))).toThrowError(expect.objectContaining({ code: "invalid-public-key" }));
  });
});

describe("JWK", () => {
  it("round-trips a private JWK and refuses a mismatched x", async () => {
    const signer = await Ed25519Signer.generate();
    const jwk = signer.exportPrivateJwk();
    const again = await Ed25519Signer.fromJwk(jwk);
    expect(again.did).toBe(signer.did);
    const other = (await Ed25519Signer.generate()).exportPrivateJwk();
    await expect(Ed25519Signer.fromJwk({ ...jwk, x: other.x })).rejects.toMatchObject({ code: "invalid-private-key" });
    await expect(Ed25519Signer.fromJwk({ kty: "EC" })).rejects.toMatchObject({ code: "invalid-private-key" });
  });

  it("computes the RFC 7638 thumbprint of the public key", async () => {
    const signer = await Ed25519Signer.fromSeed(RFC8032_SEED);
    expect(publicJwkFromDid(signer.did)).toEqual({ kty: "OKP", crv: "Ed25519", x: encodeBase64url(hex(RFC8032_PUBLIC)) });
    // RFC 8037 Appendix A.3 computes the thumbprint of this very key.
    expect(await jwkThumbprint(signer.did)).toBe("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  });
});

describe("encodings", () => {
  it("round-trips base64url and base58btc, including leading zeros", () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(0, 0, 1, 255), hex(RFC8032_PUBLIC)]) {
      expect(decodeBase64url(encodeBase64url(bytes))).toEqual(bytes);
      expect(decodeBase58btc(encodeBase58btc(bytes))).toEqual(bytes);
    }
  });

  it("refuses non-canonical base64url", () => {
    expect(decodeBase64url("AB")).toBeNull(); // trailing bits set
    expect(decodeBase64url("AA==")).toBeNull();
    expect(decodeBase64url("A")).toBeNull();
    expect(decodeBase64url("AA")).toEqual(Uint8Array.of(0));
  });
});
