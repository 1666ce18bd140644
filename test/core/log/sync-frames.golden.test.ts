/**
 * The signed log's sync frames on the space socket (type 100), frozen: fixed messages encode
 * to fixed bytes (base64 literals, so any change to the JSON, its key order, the UTF-8 or
 * the y-protocols framing is a visible diff), and those bytes decode back to the messages.
 * Nodes and edges of different versions speak this; a change here needs a protocol note.
 */
import { describe, expect, it } from "vitest";
import { decodeLogClientMessage, decodeLogServerMessage, encodeLogMessage, type LogClientMessage, type LogServerMessage } from "../../../core/log/sync-protocol.js";
import type { WireEnvelope } from "../../../core/log/replica.js";
import { decodeClientFrame } from "../../../core/yjs/frames.js";

/** The RFC 8032 test key's did (the author of test/core/log/envelope.test.ts's goldens). */
const ALICE = "did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";

/** Two signed envelopes in wire form (envelope.test.ts's golden genesis and threaded message). */
const GENESIS = JSON.parse(
  `{"author":"${ALICE}","body":{"owners":["${ALICE}"]},"deps":[],"hlc":"1767225600000-0000-Zq7oMMsw",` +
    '"id":"sha256:7bd7586e05f73cbd592b987d2d19a8f0441d65aef6d123525da9cf49a76882bc","prev":null,"seq":1,' +
    '"sig":"82R6VoLlW7dhoks2wQ76GXXaKPBZX1VbeUEq2Pw_-1WEN6TWfperPe6gKc0wKnBmFD3WhbzEM6jQ8ym0pARkDA","space":"golden","type":"space.created"}',
) as WireEnvelope;
const MESSAGE = JSON.parse(
  `{"author":"${ALICE}","body":{"content":"Deploy is failing on eu-west €","mentions":["${ALICE}"],` +
    '"threadRef":"sha256:2222222222222222222222222222222222222222222222222222222222222222"},' +
    '"deps":["sha256:2222222222222222222222222222222222222222222222222222222222222222"],"hlc":"1767225600001-0001-Zq7oMMsw",' +
    '"id":"sha256:ef05c4a8bf01fa3cc3c62ef499f13d771fbdf936c6f285c34fd6773646c5fb92",' +
    '"prev":"sha256:1111111111111111111111111111111111111111111111111111111111111111","seq":2,' +
    '"sig":"fXEvIdjPM1YvqT_duH1KuoGzpoAv2HtxNhTUTgWNYCOw_xvRUd2p5movzMhIz8VVvwXp6bIiNFlmefE3mm87Bg","space":"golden","type":"channel.message"}',
) as WireEnvelope;

interface Vector<M> {
  message: M;
  /** The whole frame, base64. */
  golden: string;
}

const CLIENT: Record<string, Vector<LogClientMessage>> = {
  "log.hello": {
    message: { t: "log.hello", vv: { [ALICE]: 2 }, live: true },
    golden:
      "ZGF7InQiOiJsb2cuaGVsbG8iLCJ2diI6eyJkaWQ6a2V5Ono2TWt0d3VwZG1MWFZWcVR6Q3c0aTQ2cjR1R3lvc0dYUm5SM1hq" +
      "TjRacTdvTU1zdyI6Mn0sImxpdmUiOnRydWV9",
  },
  "log.push": {
    message: { t: "log.push", batch: [MESSAGE] },
    golden:
      "ZNwFeyJ0IjoibG9nLnB1c2giLCJiYXRjaCI6W3siYXV0aG9yIjoiZGlkOmtleTp6Nk1rdHd1cGRtTFhWVnFUekN3NGk0NnI0" +
      "dUd5b3NHWFJuUjNYak40WnE3b01Nc3ciLCJib2R5Ijp7ImNvbnRlbnQiOiJEZXBsb3kgaXMgZmFpbGluZyBvbiBldS13ZXN0" +
      "IOKCrCIsIm1lbnRpb25zIjpbImRpZDprZXk6ejZNa3R3dXBkbUxYVlZxVHpDdzRpNDZyNHVHeW9zR1hSblIzWGpONFpxN29N" +
      "TXN3Il0sInRocmVhZFJlZiI6InNoYTI1NjoyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy" +
      "MjIyMjIyMjIyMjIyMjIyMjIyIn0sImRlcHMiOlsic2hhMjU2OjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIy" +
      "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIiXSwiaGxjIjoiMTc2NzIyNTYwMDAwMS0wMDAxLVpxN29NTXN3IiwiaWQi" +
      "OiJzaGEyNTY6ZWYwNWM0YThiZjAxZmEzY2MzYzYyZWY0OTlmMTNkNzcxZmJkZjkzNmM2ZjI4NWMzNGZkNjc3MzY0NmM1ZmI5" +
      "MiIsInByZXYiOiJzaGEyNTY6MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTEx" +
      "MTExMTExMTExMSIsInNlcSI6Miwic2lnIjoiZlhFdklkalBNMVl2cVRfZHVIMUt1b0d6cG9BdjJIdHhOaFRVVGdXTllDT3df" +
      "eHZSVWQycDVtb3Z6TWhJejhWVnZ3WHA2YklpTkZsbWVmRTNtbTg3QmciLCJzcGFjZSI6ImdvbGRlbiIsInR5cGUiOiJjaGFu" +
      "bmVsLm1lc3NhZ2UifV19",
  },
};

const SERVER: Record<string, Vector<LogServerMessage>> = {
  "log.hello": {
    message: { t: "log.hello", space: "golden", sequencer: ALICE, vv: { [ALICE]: 1 }, count: 1 },
    golden:
      "ZLcBeyJ0IjoibG9nLmhlbGxvIiwic3BhY2UiOiJnb2xkZW4iLCJzZXF1ZW5jZXIiOiJkaWQ6a2V5Ono2TWt0d3VwZG1MWFZW" +
      "cVR6Q3c0aTQ2cjR1R3lvc0dYUm5SM1hqTjRacTdvTU1zdyIsInZ2Ijp7ImRpZDprZXk6ejZNa3R3dXBkbUxYVlZxVHpDdzRp" +
      "NDZyNHVHeW9zR1hSblIzWGpONFpxN29NTXN3IjoxfSwiY291bnQiOjF9",
  },
  "log.batch": {
    message: { t: "log.batch", envelopes: [GENESIS], more: false },
    golden:
      "ZNkDeyJ0IjoibG9nLmJhdGNoIiwiZW52ZWxvcGVzIjpbeyJhdXRob3IiOiJkaWQ6a2V5Ono2TWt0d3VwZG1MWFZWcVR6Q3c0" +
      "aTQ2cjR1R3lvc0dYUm5SM1hqTjRacTdvTU1zdyIsImJvZHkiOnsib3duZXJzIjpbImRpZDprZXk6ejZNa3R3dXBkbUxYVlZx" +
      "VHpDdzRpNDZyNHVHeW9zR1hSblIzWGpONFpxN29NTXN3Il19LCJkZXBzIjpbXSwiaGxjIjoiMTc2NzIyNTYwMDAwMC0wMDAw" +
      "LVpxN29NTXN3IiwiaWQiOiJzaGEyNTY6N2JkNzU4NmUwNWY3M2NiZDU5MmI5ODdkMmQxOWE4ZjA0NDFkNjVhZWY2ZDEyMzUy" +
      "NWRhOWNmNDlhNzY4ODJiYyIsInByZXYiOm51bGwsInNlcSI6MSwic2lnIjoiODJSNlZvTGxXN2Rob2tzMndRNzZHWFhhS1BC" +
      "WlgxVmJlVUVxMlB3Xy0xV0VONlRXZnBlclBlNmdLYzB3S25CbUZEM1doYnpFTTZqUTh5bTBwQVJrREEiLCJzcGFjZSI6Imdv" +
      "bGRlbiIsInR5cGUiOiJzcGFjZS5jcmVhdGVkIn1dLCJtb3JlIjpmYWxzZX0=",
  },
  "log.synced": {
    message: { t: "log.synced", vv: { [ALICE]: 1 } },
    golden:
      "ZFZ7InQiOiJsb2cuc3luY2VkIiwidnYiOnsiZGlkOmtleTp6Nk1rdHd1cGRtTFhWVnFUekN3NGk0NnI0dUd5b3NHWFJuUjNY" +
      "ak40WnE3b01Nc3ciOjF9fQ==",
  },
  "log.ack": {
    message: {
      t: "log.ack",
      results: [
        { id: MESSAGE.id, status: "accepted" },
        { status: "rejected", code: "envelope-seq-gap", message: "The author's previous envelopes are missing here: send them first, in seq order, then resend this one." },
      ],
    },
    golden:
      "ZKMCeyJ0IjoibG9nLmFjayIsInJlc3VsdHMiOlt7ImlkIjoic2hhMjU2OmVmMDVjNGE4YmYwMWZhM2NjM2M2MmVmNDk5ZjEz" +
      "ZDc3MWZiZGY5MzZjNmYyODVjMzRmZDY3NzM2NDZjNWZiOTIiLCJzdGF0dXMiOiJhY2NlcHRlZCJ9LHsic3RhdHVzIjoicmVq" +
      "ZWN0ZWQiLCJjb2RlIjoiZW52ZWxvcGUtc2VxLWdhcCIsIm1lc3NhZ2UiOiJUaGUgYXV0aG9yJ3MgcHJldmlvdXMgZW52ZWxv" +
      "cGVzIGFyZSBtaXNzaW5nIGhlcmU6IHNlbmQgdGhlbSBmaXJzdCwgaW4gc2VxIG9yZGVyLCB0aGVuIHJlc2VuZCB0aGlzIG9u" +
      "ZS4ifV19",
  },
  "view.changed": {
    message: { t: "view.changed", frontier: 42 },
    golden: "ZCJ7InQiOiJ2aWV3LmNoYW5nZWQiLCJmcm9udGllciI6NDJ9",
  },
  "log.error": {
    message: { t: "log.error", code: "read-only", message: "read-only: this connection observes the space and cannot write; reconnect without ?role=observer" },
    golden:
      "ZJEBeyJ0IjoibG9nLmVycm9yIiwiY29kZSI6InJlYWQtb25seSIsIm1lc3NhZ2UiOiJyZWFkLW9ubHk6IHRoaXMgY29ubmVj" +
      "dGlvbiBvYnNlcnZlcyB0aGUgc3BhY2UgYW5kIGNhbm5vdCB3cml0ZTsgcmVjb25uZWN0IHdpdGhvdXQgP3JvbGU9b2JzZXJ2" +
      "ZXIifQ==",
  },
};

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

/** The JSON inside a type-100 frame; the framing is checked strictly on the way. */
function jsonOf(frame: Uint8Array): string {
  const decoded = decodeClientFrame(frame);
  if (!decoded.ok || decoded.frame.kind !== "log") throw new Error(`not a log frame: ${JSON.stringify(decoded)}`);
  return decoded.frame.json;
}

describe("log sync frames (golden vectors)", () => {
  for (const [name, { message, golden }] of Object.entries(CLIENT)) {
    it(`client ${name}: encodes to the frozen bytes, which decode back`, () => {
      expect(base64(encodeLogMessage(message))).toBe(golden);
      expect(decodeLogClientMessage(jsonOf(fromBase64(golden)))).toEqual({ ok: true, message });
    });
  }

  for (const [name, { message, golden }] of Object.entries(SERVER)) {
    it(`server ${name}: encodes to the frozen bytes, which decode back`, () => {
      expect(base64(encodeLogMessage(message))).toBe(golden);
      expect(decodeLogServerMessage(jsonOf(fromBase64(golden)))).toEqual({ ok: true, message });
    });
  }

  it("the framing: type 100, then the JSON's UTF-8 byte length as a varint, then the JSON", () => {
    const hello = encodeLogMessage(CLIENT["log.hello"]!.message);
    expect([...hello.subarray(0, 3)]).toEqual([100, 97, 0x7b]); // 97 bytes of JSON, starting "{"
    // Over 127 bytes the length takes two varint bytes; "€" counts as three.
    const push = encodeLogMessage(CLIENT["log.push"]!.message);
    const json = JSON.stringify(CLIENT["log.push"]!.message);
    const length = new TextEncoder().encode(json).length;
    expect(length).toBe(json.length + 2);
    expect([...push.subarray(0, 3)]).toEqual([100, (length & 0x7f) | 0x80, length >> 7]);
  });

  it("an older client's hello without `live` still decodes, as not live", () => {
    const bytes = fromBase64("ZBl7InQiOiJsb2cuaGVsbG8iLCJ2diI6e319"); // {"t":"log.hello","vv":{}}
    expect(decodeLogClientMessage(jsonOf(bytes))).toEqual({ ok: true, message: { t: "log.hello", vv: {}, live: false } });
  });
});
