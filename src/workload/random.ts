/**
 * vLLM's random dataset: prompts of random tokens with uniform lengths
 * (spec/metrics.md "Token-length workloads"), and the per-request builder
 * the other token-length datasets (synthetic, prefix, trace) share.
 *
 * As in vLLM, the shared prefix comes on top of the drawn input length: a
 * request's prompt is `prefixLen + inputLen_i` tokens.
 *
 * Request g's lengths and tokens come from its own generator
 * (createRng(seed, "request", g)), so a request is built when it is needed,
 * in any order, by any thread, and a run of a billion requests holds none of
 * them in advance.
 */
import { createRng, type Rng } from "../base/rng.ts";
import type { WorkloadItem } from "../base/request-types.ts";
import { drawRangeLength, rangeBounds } from "./lengths.ts";
import { PromptBuilder } from "./prompt-builder.ts";
import type { Tokenizer } from "./tokenizer.ts";
import type { ItemSource } from "./source.ts";

export interface RandomWorkloadOptions {
  /** Mean input length in tokens, without the prefix. */
  inputLen: number;
  outputLen: number;
  /** In [0, 1): lengths are uniform over {@link rangeBounds}. */
  rangeRatio: number;
  /** Tokens of one prefix shared by every prompt, drawn once. */
  prefixLen: number;
  seed: number;
}

/** The random dataset's data: its options (plain, so a producer thread can rebuild the source). */
export interface RandomData extends RandomWorkloadOptions {
  type: "random";
}

/** Input lengths never go below 1 token (with no prefix, 0 would be an empty prompt). */
export function randomSource(options: RandomWorkloadOptions, tokenizer: Tokenizer): ItemSource {
  const inputBounds = rangeBounds(options.inputLen, options.rangeRatio, options.prefixLen > 0 ? 0 : 1);
  const outputBounds = rangeBounds(options.outputLen, options.rangeRatio, 1);
  const prefixIds = options.prefixLen > 0 ? new PromptBuilder(tokenizer, createRng(options.seed, "prefix-tokens")).drawIds(options.prefixLen) : [];
  return lengthSource(options.seed, tokenizer, (rng) => ({
    prefixIds,
    inputTokens: drawRangeLength(rng, inputBounds),
    outputTokens: drawRangeLength(rng, outputBounds),
  }));
}

/** `count` random-dataset items, request 0 first (tests and multi-turn sessions, which need every turn). */
export function buildRandomWorkload(opts: RandomWorkloadOptions & { numPrompts: number }, tokenizer: Tokenizer, notes?: string[]): WorkloadItem[] {
  const source = randomSource(opts, tokenizer);
  const items = Array.from({ length: opts.numPrompts }, (_, g) => source.item(g));
  notes?.push(...source.lateNotes());
  return items;
}

/** What request g is made of, drawn from its own generator: lengths first, then the prompt's tokens. */
export interface DrawnLengths {
  /** Token ids the prompt starts with (a shared prefix), kept verbatim. */
  prefixIds: readonly number[];
  /** Tokens after the prefix. */
  inputTokens: number;
  outputTokens: number;
}

/**
 * Items of exact token length: request g draws its lengths with `draw`, then
 * its tokens, from createRng(seed, "request", g).
 */
export function lengthSource(seed: number, tokenizer: Tokenizer, draw: (rng: Rng, g: number) => DrawnLengths): ItemSource {
  let built = 0;
  let inexact = 0;
  return {
    item(g) {
      const rng = createRng(seed, "request", g);
      const lengths = draw(rng, g);
      const builder = new PromptBuilder(tokenizer, rng);
      const prompt = builder.build(lengths.prefixIds.length + lengths.inputTokens, lengths.prefixIds);
      built++;
      inexact += builder.inexact;
      return { prompt: prompt.prompt, inputTokens: prompt.inputTokens, outputTokens: lengths.outputTokens };
    },
    lateNotes: () => (inexact > 0 ? [inexactNote(inexact, built)] : []),
  };
}

export function inexactNote(inexact: number, total: number): string {
  return `${inexact} of the ${total} prompts built could not be built to their exact token length; their actual length is recorded`;
}
