/**
 * The CryptoKey-backed signer (what the browser keeps in IndexedDB): its private key is not
 * exportable, its did is the public half's, and what it signs verifies as any Ed25519
 * signature does — envelopes through the same verifier every replica runs.
 */
import { describe, expect, it } from "vitest";
import { CryptoKeySigner } from "../../../core/identity/crypto-key-signer.js";
import { publicKeyFromDid, verifySignature } from "../../../core/identity/did.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { parseSpaceId } from "../../../core/ids.js";
import { createEnvelope } from "../../../core/log/writer.js";
import { verifyEnvelope } from "../../../core/log/verify.js";

describe("CryptoKeySigner", () => {
  it("keeps its private key unexportable and derives its did from the public key", async () => {
    const signer = await CryptoKeySigner.generate();
    expect(signer.did).toMatch(/^did:key:z6Mk/);
    expect(signer.keys.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey("jwk", signer.keys.privateKey)).rejects.toThrow();
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", signer.keys.publicKey)) as ArrayBuffer);
    expect(publicKeyFromDid(signer.did)).toEqual(raw);
  });

  it("signs what verifies under its did, and nothing verifies under another's", async () => {
    const signer = await CryptoKeySigner.generate();
    const other = await Ed25519Signer.generate();
    const bytes = new TextEncoder().encode("commons");
    const signature = await signer.sign(bytes);
    expect(await verifySignature(signer.did, bytes, signature)).toBe(true);
    expect(await verifySignature(other.did, bytes, signature)).toBe(false);
  });

  it("is the same key after a round trip through its stored pair (what IndexedDB gives back)", async () => {
    const signer = await CryptoKeySigner.generate();
    const again = await CryptoKeySigner.fromKeyPair(structuredClone(signer.keys));
    expect(again.did).toBe(signer.did);
    const bytes = new TextEncoder().encode("again");
    expect(await verifySignature(signer.did, bytes, await again.sign(bytes))).toBe(true);
  });

  it("writes envelopes every replica verifies", async () => {
    const signer = await CryptoKeySigner.generate();
    const space = parseSpaceId("browser-node");
    const { id, envelope } = await createEnvelope(signer, { space, last: null, heads: [] }, "space.created", { owners: [signer.did] }, Date.now());
    const verified = await verifyEnvelope({ ...envelope, id }, space);
    expect(verified.ok).toBe(true);
    const forged = await verifyEnvelope({ ...envelope, id, body: { owners: [signer.did], title: "forged" } }, space);
    expect(forged.ok).toBe(false);
  });

  it("refuses a pair that is not an Ed25519 signing pair (invalid-private-key)", async () => {
    const ecdsa = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
    await expect(CryptoKeySigner.fromKeyPair(ecdsa)).rejects.toMatchObject({ code: "invalid-private-key" });
    const verifyOnly = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    await expect(CryptoKeySigner.fromKeyPair({ privateKey: verifyOnly.publicKey, publicKey: verifyOnly.publicKey })).rejects.toMatchObject({ code: "invalid-private-key" });
  });
});
