/**
 * Sealed history segments (core/log/segment.ts): golden vectors (fixed lines → fixed text
 * and hash, so a format change is a visible diff), the round trip, every refusal of an
 * altered segment with its code, and the chain check.
 */
import { describe, expect, it } from "vitest";
import { chainBreak, decodeSegment, encodeSegment, segmentKey, type SegmentHeader, type SegmentLine } from "../../../core/log/segment.js";

const line = (c: string, n: number): SegmentLine => ({ id: `sha256:${c.repeat(64)}` as SegmentLine["id"], text: `{"n":${n}}` });
const first = () => encodeSegment({ space: "golden", index: 0, first: 1, prev: null, lines: [line("a", 1), line("b", 2)] });
const H0 = "sha256:4dd090a252bff38cf39c5ad569eafc4b5d65d341a4c691ff2b5b70d69e1a8326";
const H1 = "sha256:f000b4526cb29d82e5cb2c70369aeebcb990a3c30505aa0f83775af3549a7d67";
const GOLDEN_0 = [
  `{"count":2,"first":1,"hash":"${H0}","index":0,"last":2,"prev":null,"space":"golden","v":1}`,
  `sha256:${"a".repeat(64)} {"n":1}`,
  `sha256:${"b".repeat(64)} {"n":2}`,
].join("\n");
const GOLDEN_1 = [`{"count":1,"first":3,"hash":"${H1}","index":1,"last":3,"prev":"${H0}","space":"golden","v":1}`, `sha256:${"c".repeat(64)} {"n":3}`].join("\n");

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return "no error";
}

describe("segment codec", () => {
  it("golden vectors: fixed lines give a fixed text, hash and key", async () => {
    const s0 = await first();
    const s1 = await encodeSegment({ space: "golden", index: 1, first: 3, prev: s0.header.hash, lines: [line("c", 3)] });
    expect(s0.text).toBe(GOLDEN_0);
    expect(s1.text).toBe(GOLDEN_1);
    expect(segmentKey(s1.header)).toBe(`spaces/golden/segments/0000000001-${s1.header.hash.slice(7)}`);
    expect(await decodeSegment(GOLDEN_1)).toEqual({ header: s1.header, lines: [line("c", 3)] });
  });

  it("decodes what it encodes, lines in arrival order", async () => {
    const { header, text } = await first();
    expect(header).toMatchObject({ v: 1, space: "golden", index: 0, first: 1, last: 2, count: 2, prev: null });
    expect(await decodeSegment(text)).toEqual({ header, lines: [line("a", 1), line("b", 2)] });
  });

  it("refuses an altered segment: a changed byte, a dropped or added line, a forged header, no header", async () => {
    const { text, header } = await first();
    const [head, ...lines] = text.split("\n");
    const cases = {
      text: text.replace('{"n":2}', '{"n":3}'),
      id: text.replace("b".repeat(64), "c".repeat(64)),
      dropped: [head, lines[0]].join("\n"),
      added: `${text}\n${line("c", 3).id} {"n":3}`,
      reordered: [head, lines[1], lines[0]].join("\n"),
      count: text.replace('"count":2', '"count":1').replace('"last":2', '"last":1'),
      headerField: text.replace('"space":"golden"', '"space":"other"'),
      extraField: text.replace('{"count"', '{"x":1,"count"'),
      notJson: `{${text}`,
      noHeader: head!,
      badLine: `${head}\nnot-an-id {"n":1}\n${lines[1]}`,
      hash: text.replace(header.hash, `sha256:${"0".repeat(64)}`),
    };
    const codes = Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([name, altered]) => [name, await codeOf(decodeSegment(altered))])));
    expect(codes).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, "history-segment-corrupt"])));
  });

  it("the chain check: consecutive indexes and arrivals, each prev the hash before it, one space", async () => {
    const s0 = (await first()).header;
    const s1 = (await encodeSegment({ space: "golden", index: 1, first: 3, prev: s0.hash, lines: [line("c", 3)] })).header;
    const s2 = (await encodeSegment({ space: "golden", index: 2, first: 4, prev: s1.hash, lines: [line("d", 4), line("e", 5)] })).header;
    const other = (await encodeSegment({ space: "other", index: 1, first: 3, prev: s0.hash, lines: [line("c", 3)] })).header;
    const wrongPrev = (await encodeSegment({ space: "golden", index: 2, first: 4, prev: s0.hash, lines: [line("d", 4)] })).header;
    const gap = (await encodeSegment({ space: "golden", index: 2, first: 5, prev: s1.hash, lines: [line("d", 5)] })).header;
    const chains: Record<string, SegmentHeader[]> = { whole: [s0, s1, s2], dropped: [s0, s2], reordered: [s1, s0, s2], notFromZero: [s1, s2], otherSpace: [s0, other], wrongPrev: [s0, s1, wrongPrev], gap: [s0, s1, gap] };
    expect(Object.fromEntries(Object.entries(chains).map(([name, c]) => [name, chainBreak(c)]))).toEqual({
      whole: null,
      dropped: "segment 2 where 1 was due",
      reordered: "segment 1 where 0 was due",
      notFromZero: "segment 1 where 0 was due",
      otherSpace: "segment 1 is of space other, not golden",
      wrongPrev: "segment 2's prev is not the hash of segment 1",
      gap: "segment 2 starts at arrival 5, not 4",
    });
  });
});
