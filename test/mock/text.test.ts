import { describe, expect, test } from "bun:test";
import { encode } from "gpt-tokenizer/encoding/r50k_base";
import { startMockServer } from "../../src/mock/server.ts";
import { createTokenText, MOCK_WORD_IDS, MOCK_WORDS } from "../../src/mock/text.ts";
import { post } from "./helpers.ts";

describe("generated text", () => {
  test("every word is one GPT-2 token with the recorded id", () => {
    expect(MOCK_WORDS.map((w) => encode(" " + w))).toEqual(MOCK_WORD_IDS.map((id) => [id]));
  });

  test("the GPT-2 count of n generated tokens is n, ids match", () => {
    const t = createTokenText(3);
    for (const n of [1, 2, 63, 64, 65, 300]) {
      const text = t.range(0, n);
      expect(encode(text).length).toBe(n);
      expect(encode(text)).toEqual(Array.from({ length: n }, (_, i) => t.id(i)));
    }
    expect(t.range(0, 10)).toBe(Array.from({ length: 10 }, (_, i) => t.word(i)).join(""));
    expect(t.range(60, 70)).toBe(t.range(0, 70).slice(t.range(0, 60).length));
    for (const [a, b] of [[0, 1], [63, 64], [5, 130]]) expect(t.quoted(a, b)).toBe(JSON.stringify(t.range(a, b)));
  });

  test("the seed decides the text", () => {
    expect(createTokenText(1).range(0, 100)).toBe(createTokenText(1).range(0, 100));
    expect(createTokenText(1).range(0, 100)).not.toBe(createTokenText(2).range(0, 100));
  });

  test("two servers with one seed send the same text; another seed differs", async () => {
    const textOf = async (seed: number): Promise<string[]> => {
      const s = await startMockServer({ seed, ttftMs: 0, itlMs: 0 });
      try {
        const out: string[] = [];
        for (let i = 0; i < 2; i++) {
          const r = await post(`${s.url}/v1/completions`, { prompt: `p${i}`, max_tokens: 20 });
          out.push(((await r.json()) as { choices: { text: string }[] }).choices[0].text);
        }
        return out;
      } finally {
        await s.stop();
      }
    };
    const a = await textOf(5);
    expect(await textOf(5)).toEqual(a);
    expect(a[0]).toBe(a[1]);
    expect((await textOf(6))[0]).not.toBe(a[0]);
  });
});
