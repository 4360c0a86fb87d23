import { expect, test } from "bun:test";
import { createRng } from "../../src/base/rng.ts";
import { PromptBuilder, promptVocab } from "../../src/workload/prompt-builder.ts";
import type { Tokenizer } from "../../src/workload/tokenizer.ts";

/** Greedy longest-match tokenizer over a few pieces: random concatenations often merge ("a"+"b" → "ab"). */
function greedyTokenizer(pieces: string[]): Tokenizer {
  const byLength = pieces.map((p, id) => ({ p, id })).sort((x, y) => y.p.length - x.p.length);
  return {
    name: "greedy",
    vocabSize: pieces.length,
    specialIds: new Set(),
    decode: (ids) => ids.map((id) => pieces[id]).join(""),
    encode(text) {
      const out: number[] = [];
      for (let i = 0; i < text.length; ) {
        const hit = byLength.find(({ p }) => text.startsWith(p, i));
        if (!hit) throw new Error(`cannot encode ${text.slice(i)}`);
        out.push(hit.id);
        i += hit.p.length;
      }
      return out;
    },
  };
}

test("the correction loop reaches the exact length when tokens merge on re-encoding", () => {
  const tok = greedyTokenizer(["a", "b", "c", "ab", "bc", "abc", "ca"]);
  const builder = new PromptBuilder(tok, createRng(3, "t"));
  let firstPassMisses = 0;
  for (let i = 0; i < 50; i++) {
    const ids = builder.drawIds(40);
    if (tok.encode(tok.decode(ids)).length !== 40) firstPassMisses++;
  }
  expect(firstPassMisses).toBeGreaterThan(40); // the loop has real work to do
  for (const target of [1, 2, 7, 40, 120]) {
    const built = builder.build(target);
    expect(tok.encode(built.prompt)).toHaveLength(target);
    expect(built.inputTokens).toBe(target);
  }
  expect(builder.inexact).toBe(0);
});

test("an unreachable length terminates with the closest prompt and its real length", () => {
  // Every token decodes to two characters that re-encode as two tokens: odd lengths are impossible.
  const pieces = ["x", "y", "xy"];
  const tok: Tokenizer = { ...greedyTokenizer(pieces), encode: (text) => [...text].map((ch) => (ch === "x" ? 0 : 1)) };
  const restricted: Tokenizer = { ...tok, specialIds: new Set([0, 1]) }; // only "xy" can be drawn
  const builder = new PromptBuilder(restricted, createRng(0, "t"));
  const built = builder.build(5);
  expect([4, 6]).toContain(built.inputTokens);
  expect(restricted.encode(built.prompt)).toHaveLength(built.inputTokens);
  expect(builder.inexact).toBe(1);
});

test("a fixed prefix is kept when the tail is corrected", () => {
  const tok = greedyTokenizer(["a", "b", "c", "ab", "bc", "abc", "ca", " "]);
  const builder = new PromptBuilder(tok, createRng(1, "t"));
  const prefix = [7, 0, 7, 1, 7]; // " a b ": cannot merge across the spaces
  for (let i = 0; i < 20; i++) {
    const built = builder.build(30, prefix);
    expect(built.prompt.startsWith(" a b ")).toBe(true);
    expect(built.inputTokens).toBe(30);
  }
});

test("the prompt vocabulary skips special ids and blank or broken tokens", () => {
  const tok = greedyTokenizer(["a", " ", "\uFFFD", "b", "\n"]);
  const vocab = promptVocab({ ...tok, specialIds: new Set([3]) });
  expect([...vocab.ids]).toEqual([0]);
  expect(vocab.words).toBe(false);
});

test("with the built-in GPT-2, prompts are exact without re-encoding: every length, with and without a shared prefix, re-encodes to its target", async () => {
  const { loadTokenizer } = await import("../../src/workload/tokenizer.ts");
  const gpt2 = await loadTokenizer("gpt2");
  expect(gpt2.reencodesWordConcat).toBe(true);
  let encodes = 0;
  // The builder is handed a tokenizer that counts its encodes: with GPT-2 it never calls one.
  const counting: Tokenizer = { ...gpt2, encode: (text) => (encodes++, gpt2.encode(text)) };
  const rng = createRng(11, "lengths");
  const prefix = new PromptBuilder(gpt2, createRng(11, "prefix")).drawIds(64);
  const builder = new PromptBuilder(counting, createRng(11, "t"));
  encodes = 0; // the word pool is found by encoding candidate tokens once; the prompts are what counts
  let checked = 0;
  for (let i = 0; i < 600; i++) {
    const target = rng.int(1, i % 50 === 0 ? 3000 : 300);
    const withPrefix = i % 3 === 0 && target > prefix.length;
    const built = builder.build(target, withPrefix ? prefix : []);
    expect(built.inputTokens).toBe(target);
    if (withPrefix) expect(built.prompt.startsWith(gpt2.decode(prefix))).toBe(true);
    expect(gpt2.encode(built.prompt)).toHaveLength(target);
    checked++;
  }
  expect(checked).toBe(600);
  expect(encodes).toBe(0);
  expect(builder.inexact).toBe(0);
  // A prefix longer than the target cannot be cut: the prompt is the prefix, its length says so.
  const long = builder.build(10, prefix);
  expect([long.inputTokens, builder.inexact]).toEqual([64, 1]);
  expect(gpt2.encode(long.prompt)).toHaveLength(64);
});

test("a tokenizer that does not promise it is still re-encoded (the correction loop runs)", () => {
  const tok = greedyTokenizer([" a", " b", " ab"]);
  let encodes = 0;
  const counting: Tokenizer = { ...tok, encode: (text) => (encodes++, tok.encode(text)) };
  const built = new PromptBuilder(counting, createRng(2, "t")).build(20);
  expect(encodes).toBeGreaterThan(0);
  expect(tok.encode(built.prompt)).toHaveLength(built.inputTokens);
});
