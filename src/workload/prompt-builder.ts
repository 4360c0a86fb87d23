/**
 * Prompts of an exact token length, built from random token ids
 * (spec/metrics.md "Token-length workloads").
 *
 * Ids are drawn from a "word pool": tokens that decode to a space plus ASCII
 * letters and re-encode to themselves. The byte-level pre-tokenizers of GPT-2,
 * Llama 3 and Qwen split text before every " word", so a concatenation of such
 * tokens re-encodes to exactly the same ids and the first pass is already
 * exact; where that follows from the tokenizer's definition (the built-in
 * GPT-2, and tokenizer.json files such as Llama 3's and Qwen 2's:
 * ./word-split.ts) the prompt is not re-encoded at all. (vLLM draws over the whole
 * vocabulary instead; its prompts are
 * gibberish whose re-encoded length drifts by ~4%, which it then corrects.)
 * Tokenizers without enough such tokens fall back to every non-special id that
 * decodes cleanly, and the correction loop does the work.
 *
 * The pool holds the first MAX_WORD_POOL such words by id (for BPE vocabularies
 * the earliest merges: common words). Both tokenizer libraries cache the BPE
 * of each word (@huggingface/tokenizers keeps 10k): drawing from all 32k GPT-2
 * words thrashed that cache and made encoding 10x slower.
 */
import { VbenchError } from "../base/errors.ts";
import type { Rng } from "../base/rng.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Below this many word tokens the pool falls back to the wider vocabulary. */
const MIN_WORD_POOL = 100;
/** Word tokens kept in the pool; fits the tokenizers' BPE caches. */
const MAX_WORD_POOL = 8192;
/** Correction rounds before accepting the closest length seen. */
const MAX_CORRECTIONS = 12;

export interface PromptVocab {
  /** Token ids prompts are drawn from. */
  ids: Int32Array;
  /** True when the ids are space-led words (concatenations re-encode exactly). */
  words: boolean;
}

const vocabCache = new WeakMap<Tokenizer, PromptVocab>();

/** The ids prompts are drawn from, computed once per tokenizer. */
export function promptVocab(tokenizer: Tokenizer): PromptVocab {
  const cached = vocabCache.get(tokenizer);
  if (cached) return cached;
  const spaceLed: number[] = [];
  const wordLike: number[] = [];
  const clean: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (tokenizer.specialIds.has(id)) continue;
    const text = tokenizer.decode([id]);
    // U+FFFD: a partial UTF-8 sequence; control characters and blanks make odd prompts.
    if (text.length === 0 || text.includes("\uFFFD") || /^\s*$/.test(text) || /[\u0000-\u001f\u007f]/.test(text)) continue;
    clean.push(id);
    if (!/^\s?[A-Za-z]+$/.test(text)) continue;
    const again = tokenizer.encode(text);
    if (again.length !== 1 || again[0] !== id) continue;
    wordLike.push(id);
    if (text.startsWith(" ")) spaceLed.push(id);
    // Enough: the rest of a large vocabulary is not scanned (decoding 250k ids one by one takes seconds).
    if (spaceLed.length === MAX_WORD_POOL) break;
    // SentencePiece decodes a lone "▁word" without its space: its words are word-like but never space-led.
    if (wordLike.length === 4 * MAX_WORD_POOL && spaceLed.length < MIN_WORD_POOL) break;
  }
  let chosen: PromptVocab;
  if (spaceLed.length >= MIN_WORD_POOL) chosen = { ids: Int32Array.from(spaceLed), words: true };
  else if (wordLike.length >= MIN_WORD_POOL) chosen = { ids: Int32Array.from(wordLike.slice(0, MAX_WORD_POOL)), words: false };
  else chosen = { ids: Int32Array.from(clean), words: false };
  if (chosen.ids.length === 0) {
    throw new VbenchError("tokenizer_unusable", `Tokenizer ${tokenizer.name} has no token that decodes to plain text`, {
      hint: "Use a tokenizer.json of a text model, or the built-in gpt2.",
    });
  }
  vocabCache.set(tokenizer, chosen);
  return chosen;
}

export interface BuiltPrompt {
  prompt: string;
  /** Re-encoded length: equals the target unless correction could not converge. */
  inputTokens: number;
}

/** Draws token ids from the pool with one rng stream and builds exact-length prompts. */
export class PromptBuilder {
  private readonly pool: Int32Array;
  /** Prompts drawn from the pool have exactly as many tokens as ids: no re-encoding (Tokenizer.reencodesWordConcat). */
  private readonly exactByConstruction: boolean;
  /** Prompts whose re-encoded length missed the target (see {@link build}). */
  inexact = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly rng: Rng,
  ) {
    const vocab = promptVocab(tokenizer);
    this.pool = vocab.ids;
    this.exactByConstruction = vocab.words && tokenizer.reencodesWordConcat === true;
  }

  /** `count` random ids from the pool. */
  drawIds(count: number): number[] {
    const out = new Array<number>(count);
    const last = this.pool.length - 1;
    for (let i = 0; i < count; i++) out[i] = this.pool[this.rng.int(0, last)];
    return out;
  }

  /**
   * A prompt that re-encodes to `targetTokens` tokens, starting with the text
   * of `prefixIds` (kept fixed so a shared prefix stays byte-identical; drawn
   * from the same pool with drawIds, as the length promise above needs).
   * Corrects by trimming or extending its own random tail; after
   * MAX_CORRECTIONS rounds the closest attempt is returned with its real length.
   */
  build(targetTokens: number, prefixIds: readonly number[] = []): BuiltPrompt {
    const ids = prefixIds.concat(this.drawIds(Math.max(0, targetTokens - prefixIds.length)));
    // Re-encoding is most of a prompt's cost (bench/prompt-build.ts: 3.5 against 10 µs at 32 tokens, 72 against 280 at 1024).
    if (this.exactByConstruction) {
      if (ids.length !== targetTokens) this.inexact++; // a prefix alone longer than the target
      return { prompt: this.tokenizer.decode(ids), inputTokens: ids.length };
    }
    let best: BuiltPrompt | undefined;
    for (let round = 0; round <= MAX_CORRECTIONS; round++) {
      const prompt = this.tokenizer.decode(ids);
      const actual = this.tokenizer.encode(prompt).length;
      if (actual === targetTokens) return { prompt, inputTokens: actual };
      if (!best || Math.abs(actual - targetTokens) < Math.abs(best.inputTokens - targetTokens)) {
        best = { prompt, inputTokens: actual };
      }
      // Scale the step by ids per re-encoded token, so tokens that re-encode as several do not oscillate.
      const excess = actual - targetTokens;
      const step = Math.max(1, Math.round((Math.abs(excess) * ids.length) / Math.max(actual, 1)));
      if (excess > 0) {
        const removable = Math.min(step, ids.length - prefixIds.length);
        if (removable === 0) break; // only the prefix is left: it alone is longer than the target
        ids.length -= removable;
      } else {
        for (const id of this.drawIds(step)) ids.push(id);
      }
    }
    this.inexact++;
    return best as BuiltPrompt;
  }
}
