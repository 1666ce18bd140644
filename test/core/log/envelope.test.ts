/**
 * Envelope format: golden vectors (fixed key + fixed fields → fixed signature and id, as
 * literals so any format change is a visible diff), the wire codec, and parse checks.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../core/canonical-json.js";
import { Ed25519Signer } from "../../../core/identity/signer.js";
import { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES, parseEnvelope } from "../../../core/log/envelope.js";
import { formatHlc, nextHlc, parseHlc } from "../../../core/log/hlc.js";
import { verifyEnvelope } from "../../../core/log/verify.js";
import { createEnvelope } from "../../../core/log/writer.js";
import { parseSpaceId } from "../../../core/ids.js";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((byte) => parseInt(byte, 16)));
const RFC8032_SEED = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const GOLDEN_SPACE = parseSpaceId("golden");

describe("golden vectors", () => {
  it("a genesis by the RFC 8032 key has a fixed signature and id", async () => {
    const alice = await Ed25519Signer.fromSeed(RFC8032_SEED);
    const { id, envelope } = await createEnvelope(alice, { space: GOLDEN_SPACE, last: null, heads: [] }, "space.created", { owners: [alice.did] }, 1_767_225_600_000);
    expect(encodeEnvelope(envelope)).toBe(
      '{"author":"did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw","body":{"owners":["did:key:z6Mk' +
        'twupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw"]},"deps":[],"hlc":"1767225600000-0000-Zq7oMMsw","prev"' +
        ':null,"seq":1,"sig":"82R6VoLlW7dhoks2wQ76GXXaKPBZX1VbeUEq2Pw_-1WEN6TWfperPe6gKc0wKnBmFD3WhbzEM6jQ8ym' +
        '0pARkDA","space":"golden","type":"space.created"}',
    );
    expect(envelope.sig).toBe("82R6VoLlW7dhoks2wQ76GXXaKPBZX1VbeUEq2Pw_-1WEN6TWfperPe6gKc0wKnBmFD3WhbzEM6jQ8ym0pARkDA");
    expect(id).toBe("sha256:7bd7586e05f73cbd592b987d2d19a8f0441d65aef6d123525da9cf49a76882bc");
  });

  it("a threaded message with deps has a fixed signature and id", async () => {
    const alice = await Ed25519Signer.fromSeed(RFC8032_SEED);
    const prev = "sha256:1111111111111111111111111111111111111111111111111111111111111111" as const;
    const dep = "sha256:2222222222222222222222222222222222222222222222222222222222222222" as const;
    const { id, envelope } = await createEnvelope(
      alice,
      { space: GOLDEN_SPACE, last: { seq: 1, id: prev as never, hlc: formatHlc(1_767_225_600_000, 0, alice.did) }, heads: [{ id: dep as never, hlc: "1767225600001-0000-zzzzzzzz" }] },
      "channel.message",
      { content: "Deploy is failing on eu-west €", mentions: [alice.did], threadRef: dep as never },
      1_767_225_600_000,
    );
    expect(envelope.hlc).toBe(`1767225600001-0001-${alice.did.slice(-8)}`);
    expect(envelope.sig).toBe("fXEvIdjPM1YvqT_duH1KuoGzpoAv2HtxNhTUTgWNYCOw_xvRUd2p5movzMhIz8VVvwXp6bIiNFlmefE3mm87Bg");
    expect(id).toBe("sha256:ef05c4a8bf01fa3cc3c62ef499f13d771fbdf936c6f285c34fd6773646c5fb92");
  });
});

describe("wire codec", () => {
  it("round-trips through encode/decode and verifies", async () => {
    const signer = await Ed25519Signer.generate();
    const { id, envelope } = await createEnvelope(signer, { space: GOLDEN_SPACE, last: null, heads: [] }, "channel.message", { content: "hi" }, Date.now());
    const wire = encodeEnvelope(envelope, id);
    const decoded = decodeEnvelope(wire);
    expect(decoded.envelope).toEqual(envelope);
    expect(decoded.claimedId).toBe(id);
    const verified = await verifyEnvelope(JSON.parse(wire), GOLDEN_SPACE);
    expect(verified.ok && verified.value.id).toBe(id);
  });

  it("the signing input is the canonical text without sig, also when a body holds a sig key or the text of one", async () => {
    const signer = await Ed25519Signer.generate();
    const other = await createEnvelope(signer, { space: GOLDEN_SPACE, last: null, heads: [] }, "channel.message", { content: "x" }, Date.now());
    const bodies = [
      { content: "hi" },
      { content: `,"sig":"${other.envelope.sig}"` },
      { kind: "probe", summary: "s", data: { sig: other.envelope.sig, nested: { sig: "x" } } },
    ];
    for (const body of bodies) {
      const type = "content" in body ? "channel.message" : "trace.recorded";
      const { envelope } = await createEnvelope(signer, { space: GOLDEN_SPACE, last: null, heads: [] }, type as never, body as never, Date.now());
      const parsed = parseEnvelope(JSON.parse(encodeEnvelope(envelope)));
      if (!parsed.ok) throw new Error(parsed.message);
      const { sig: _sig, ...unsigned } = envelope;
      expect(parsed.value.unsignedText).toBe(canonicalJson(unsigned));
      expect((await verifyEnvelope(JSON.parse(encodeEnvelope(envelope)), GOLDEN_SPACE)).ok).toBe(true);
    }
  });

  it("decodeEnvelope throws CommonsErrors carrying rejection codes", () => {
    expect(() => decodeEnvelope("{")).toThrowError(expect.objectContaining({ code: "envelope-malformed" }));
    expect(() => decodeEnvelope("[]")).toThrowError(expect.objectContaining({ code: "envelope-malformed" }));
  });

  it("refuses unknown fields in the frame and in bodies", async () => {
    const signer = await Ed25519Signer.generate();
    const { envelope } = await createEnvelope(signer, { space: GOLDEN_SPACE, last: null, heads: [] }, "channel.message", { content: "hi" }, Date.now());
    expect(parseEnvelope({ ...envelope, extra: 1 })).toMatchObject({ ok: false, code: "envelope-malformed" });
    expect(parseEnvelope({ ...envelope, body: { content: "hi", extra: 1 } })).toMatchObject({ ok: false, code: "envelope-malformed" });
    expect(parseEnvelope({ ...envelope, type: "channel.whisper" })).toMatchObject({ ok: false, code: "envelope-unknown-type" });
    expect(parseEnvelope({ ...envelope, deps: ["sha256:" + "b".repeat(64), "sha256:" + "a".repeat(64)] })).toMatchObject({ ok: false, code: "envelope-malformed" });
    expect(parseEnvelope({ ...envelope, prev: "sha256:" + "a".repeat(64) })).toMatchObject({ ok: false, code: "envelope-malformed" });
    expect(parseEnvelope({ ...envelope, body: { content: "x".repeat(MAX_ENVELOPE_BYTES) } })).toMatchObject({ ok: false, code: "envelope-too-large" });
  });
});

describe("hlc", () => {
  it("moves past every stamp it has seen and stays fixed-width", async () => {
    const { did } = await Ed25519Signer.generate();
    const stamp = nextHlc(did, 1000, ["0000000002000-0005-abcdefgh", "0000000001500-0009-abcdefgh"]);
    expect(parseHlc(stamp)).toEqual({ wall: 2000, counter: 6, suffix: did.slice(-8) });
    expect(nextHlc(did, 3000, [stamp])).toBe(formatHlc(3000, 0, did));
    expect(parseHlc(nextHlc(did, 0, ["0000000002000-9999-abcdefgh"]))).toMatchObject({ wall: 2001, counter: 0 });
  });
});
