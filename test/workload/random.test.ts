import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { rangeBounds } from "../../src/workload/lengths.ts";
import { promptVocab } from "../../src/workload/prompt-builder.ts";
import { buildRandomWorkload, randomSource, type RandomWorkloadOptions } from "../../src/workload/random.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";

const gpt2 = await loadTokenizer("gpt2");
const tiny = await loadTokenizer(join(import.meta.dir, "../fixtures/datasets/tiny-bpe-tokenizer.json"));
const base: RandomWorkloadOptions & { numPrompts: number } = { numPrompts: 50, inputLen: 64, outputLen: 16, rangeRatio: 0, prefixLen: 0, seed: 0 };

describe("range bounds", () => {
  test("int(L(1-r)) to int(L(1+r)), both truncated as vLLM's random dataset", () => {
    expect(rangeBounds(1024, 0, 1)).toEqual([1024, 1024]);
    expect(rangeBounds(100, 0.1, 1)).toEqual([90, 110]);
    // vLLM: int(1024*0.9) = 921, int(1024*1.1) = 1126; int(32*0.8) = 25, int(32*1.2) = 38.
    expect(rangeBounds(1024, 0.1, 1)).toEqual([921, 1126]);
    expect(rangeBounds(32, 0.2, 1)).toEqual([25, 38]);
    expect(rangeBounds(64, 0.2, 1)).toEqual([51, 76]);
    expect(rangeBounds(3, 0.9, 1)).toEqual([1, 5]);
  });

  test("output 32, r 0.2: draws cover exactly 25..38 (never 39)", () => {
    const items = buildRandomWorkload({ ...base, numPrompts: 400, inputLen: 16, outputLen: 32, rangeRatio: 0.2 }, gpt2);
    const outs = items.map((i) => i.outputTokens);
    expect(Math.min(...outs)).toBe(25);
    expect(Math.max(...outs)).toBe(38);
  });
});

describe("random workload", () => {
  test("every prompt re-encodes to exactly its input length (gpt2)", () => {
    const items = buildRandomWorkload({ ...base, rangeRatio: 0.5 }, gpt2);
    expect(items).toHaveLength(50);
    for (const item of items) expect(gpt2.encode(item.prompt).length).toBe(item.inputTokens);
    expect(new Set(items.map((i) => i.inputTokens)).size).toBeGreaterThan(5);
  });

  test("exact lengths with a tokenizer whose tokens merge (correction loop)", () => {
    // The tiny vocabulary has too few words, so prompts are drawn from letters that merge on re-encoding.
    expect(promptVocab(tiny).words).toBe(false);
    const notes: string[] = [];
    const items = buildRandomWorkload({ ...base, numPrompts: 40, inputLen: 30, rangeRatio: 0.5 }, tiny, notes);
    for (const item of items) expect(tiny.encode(item.prompt).length).toBe(item.inputTokens);
    const [lo, hi] = rangeBounds(30, 0.5, 1);
    for (const item of items) {
      expect(item.inputTokens).toBeGreaterThanOrEqual(lo);
      expect(item.inputTokens).toBeLessThanOrEqual(hi);
    }
    expect(notes).toEqual([]);
  });

  test("input and output lengths stay within the range-ratio bounds and cover them", () => {
    const items = buildRandomWorkload({ ...base, numPrompts: 400, inputLen: 20, outputLen: 10, rangeRatio: 0.5 }, gpt2);
    const ins = items.map((i) => i.inputTokens);
    const outs = items.map((i) => i.outputTokens);
    expect(Math.min(...ins)).toBe(10);
    expect(Math.max(...ins)).toBe(30);
    expect(Math.min(...outs)).toBe(5);
    expect(Math.max(...outs)).toBe(15);
  });

  test("range ratio 0 gives exactly L; output length is at least 1", () => {
    const items = buildRandomWorkload({ ...base, outputLen: 1, rangeRatio: 0.9 }, gpt2);
    for (const item of items) expect(item.outputTokens).toBeGreaterThanOrEqual(1);
    const fixed = buildRandomWorkload(base, gpt2);
    expect(fixed.every((i) => i.inputTokens === 64 && i.outputTokens === 16)).toBe(true);
  });

  test("a shared prefix starts every prompt and counts on top of the input length", () => {
    const items = buildRandomWorkload({ ...base, prefixLen: 32, inputLen: 16, rangeRatio: 0.5 }, gpt2);
    const prefix = gpt2.decode(gpt2.encode(items[0].prompt).slice(0, 32));
    expect(gpt2.encode(prefix)).toHaveLength(32);
    for (const item of items) {
      expect(item.prompt.startsWith(prefix)).toBe(true);
      expect(item.inputTokens).toBeGreaterThanOrEqual(32 + 8);
      expect(gpt2.encode(item.prompt).length).toBe(item.inputTokens);
    }
    // The suffixes differ.
    expect(new Set(items.map((i) => i.prompt.slice(prefix.length))).size).toBe(items.length);
  });

  test("same seed → identical prompts in the same order; another seed differs", () => {
    const a = buildRandomWorkload({ ...base, rangeRatio: 0.3, prefixLen: 4 }, gpt2);
    const b = buildRandomWorkload({ ...base, rangeRatio: 0.3, prefixLen: 4 }, gpt2);
    const c = buildRandomWorkload({ ...base, rangeRatio: 0.3, prefixLen: 4, seed: 1 }, gpt2);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const differing = a.filter((item, i) => item.prompt !== c[i].prompt).length;
    expect(differing).toBe(a.length);
  });

  test("prompts are distinct", () => {
    const items = buildRandomWorkload({ ...base, inputLen: 8 }, gpt2);
    expect(new Set(items.map((i) => i.prompt)).size).toBe(items.length);
  });
});

test("request g is built alone, far into a huge run, and is the same built in any order or thread", () => {
  const opts = { ...base, inputLen: 16, rangeRatio: 0.5 };
  const inOrder = buildRandomWorkload({ ...opts, numPrompts: 5 }, gpt2);
  const backwards = randomSource(opts, gpt2);
  expect([4, 3, 2, 1, 0].map((g) => backwards.item(g)).reverse()).toEqual(inOrder);
  // Request 999,999,999 of a billion: nothing before it is built, and no earlier prompt is reused.
  const late = randomSource(opts, gpt2).item(999_999_999);
  expect(randomSource(opts, gpt2).item(999_999_999)).toEqual(late);
  expect(inOrder.map((i) => i.prompt)).not.toContain(late.prompt);
  expect(gpt2.encode(late.prompt)).toHaveLength(late.inputTokens);
});
