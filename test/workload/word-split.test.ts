/**
 * Which tokenizer.json files promise that a prompt of pool words needs no
 * re-encoding (src/workload/word-split.ts), and that the promise holds when
 * the real tokenizer library encodes such prompts.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitsEveryWord } from "../../src/workload/word-split.ts";
import { loadTokenizer, type Tokenizer } from "../../src/workload/tokenizer.ts";
import { PromptBuilder, promptVocab } from "../../src/workload/prompt-builder.ts";
import { createRng } from "../../src/base/rng.ts";

const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The shape of Llama 3's tokenizer.json (its vocabulary left out). */
function llama3Shape(): Record<string, unknown> {
  return {
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: LLAMA3_SPLIT }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", vocab: {}, merges: [] },
    added_tokens: [{ id: 128000, content: "<|begin_of_text|>", special: true }],
  };
}

test("Llama 3's, Qwen 2's and GPT-2's structures promise it; a normalizer, another splitter or regex, dropout or a letters-only added token do not", () => {
  expect(splitsEveryWord(llama3Shape())).toBe(true);
  const qwen2 = llama3Shape();
  qwen2.normalizer = { type: "NFC" };
  (qwen2.pre_tokenizer as { pretokenizers: { pattern: { Regex: string } }[] }).pretokenizers[0]!.pattern.Regex = LLAMA3_SPLIT.replace("\\p{N}{1,3}", "\\p{N}");
  expect(splitsEveryWord(qwen2)).toBe(true);
  expect(splitsEveryWord({ ...llama3Shape(), pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true } })).toBe(true);

  const refused: [string, (j: Record<string, unknown>) => void][] = [
    ["a Lowercase normalizer", (j) => (j.normalizer = { type: "Lowercase" })],
    ["an unknown Split regex", (j) => ((j.pre_tokenizer as { pretokenizers: { pattern: { Regex: string } }[] }).pretokenizers[0]!.pattern.Regex = "\\p{L}+|\\s+")],
    ["a byte-level step with a space in front", (j) => ((j.pre_tokenizer as { pretokenizers: Record<string, unknown>[] }).pretokenizers[1]!.add_prefix_space = true)],
    ["Metaspace (SentencePiece)", (j) => (j.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "first" })],
    ["no pre-tokenizer", (j) => (j.pre_tokenizer = null)],
    ["a WordPiece model", (j) => (j.model = { type: "WordPiece", vocab: {} })],
    ["BPE dropout", (j) => (j.model = { type: "BPE", dropout: 0.1, vocab: {}, merges: [] })],
    ["another decoder", (j) => (j.decoder = { type: "Metaspace" })],
    ["an added token of letters and spaces", (j) => (j.added_tokens = [{ id: 5, content: "the cat", special: false }])],
    ["not an object", () => {}],
  ];
  for (const [why, change] of refused) {
    const shape = llama3Shape();
    change(shape);
    expect({ why, promised: splitsEveryWord(why === "not an object" ? "tokenizer" : shape) }).toEqual({ why, promised: false });
  }
});

/**
 * A byte-level BPE tokenizer.json in GPT-2's structure with 26 letters and 626 space-led words
 * built by merges (" a", " ab", " abc"...), loaded by the real library.
 */
function writeWordTokenizer(): string {
  const vocab: Record<string, number> = { "<|endoftext|>": 0, "Ġ": 1 };
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (const ch of letters) vocab[ch] = Object.keys(vocab).length;
  const merges: string[] = [];
  for (let i = 0; i < 300; i++) {
    const word = letters[i % 26]! + letters[Math.floor(i / 26)]! + letters[(i * 7) % 26]!;
    let token = "Ġ";
    for (const ch of word) {
      const next = token + ch;
      if (!(next in vocab)) {
        vocab[next] = Object.keys(vocab).length;
        merges.push(`${token} ${ch}`);
      }
      token = next;
    }
  }
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
  const path = join(mkdtempSync(join(tmpdir(), "vbench-words-")), "tokenizer.json");
  writeFileSync(path, JSON.stringify(json));
  return path;
}

test("with such a tokenizer.json, prompts are built without re-encoding and the library re-encodes each to its target", async () => {
  const tokenizer = await loadTokenizer(writeWordTokenizer());
  expect(tokenizer.reencodesWordConcat).toBe(true);
  expect(promptVocab(tokenizer)).toMatchObject({ words: true, ids: { length: 626 } });
  let encodes = 0;
  const counting: Tokenizer = { ...tokenizer, encode: (text) => (encodes++, tokenizer.encode(text)) };
  const builder = new PromptBuilder(counting, createRng(5, "t"));
  encodes = 0; // finding the word pool encodes each candidate once
  const targets = Array.from({ length: 300 }, (_, i) => 1 + ((i * 53) % 700));
  const prompts = targets.map((n) => builder.build(n));
  expect(encodes).toBe(0);
  expect(prompts.map((p) => p.inputTokens)).toEqual(targets);
  expect(prompts.map((p) => tokenizer.encode(p.prompt).length)).toEqual(targets);
});
