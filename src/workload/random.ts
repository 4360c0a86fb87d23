/**
 * vLLM's random dataset: prompts of random tokens with uniform lengths
 * (spec/metrics.md "Token-length workloads").
 *
 * As in vLLM, the shared prefix comes on top of the drawn input length: a
 * request's prompt is `prefixLen + inputLen_i` tokens.
 */
import { createRng } from "../core/rng.ts";
import type { WorkloadItem } from "../core/types.ts";
import { drawRangeLengths } from "./lengths.ts";
import { PromptBuilder } from "./prompt-builder.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface RandomWorkloadOptions {
  numPrompts: number;
  /** Mean input length in tokens, without the prefix. */
  inputLen: number;
  outputLen: number;
  /** In [0, 1): lengths are uniform over [floor(L(1−r)), ceil(L(1+r))]. */
  rangeRatio: number;
  /** Tokens of one prefix shared by every prompt, drawn once. */
  prefixLen: number;
  seed: number;
  /** Distinct prompts built at most (default {@link MAX_DISTINCT_PROMPTS}). */
  maxDistinctPrompts?: number;
}

/**
 * Above this many requests, only this many distinct prompts are built and
 * request i reuses prompt i mod MAX_DISTINCT_PROMPTS (same text, same
 * lengths). A million 128-token prompts would take ~30 s and ~1 GB; at 100k
 * a repeat comes back only after 100k other requests, long after any
 * server's prefix cache has evicted it.
 */
export const MAX_DISTINCT_PROMPTS = 100_000;

/**
 * Input lengths never go below 1 token (with no prefix, 0 would be an empty
 * prompt). Notes for the run log (prompt reuse, inexact lengths) are pushed
 * onto `notes` when given.
 */
export function buildRandomWorkload(opts: RandomWorkloadOptions, tokenizer: Tokenizer, notes?: string[]): WorkloadItem[] {
  const distinct = distinctCount(opts.numPrompts, opts.maxDistinctPrompts);
  const minInput = opts.prefixLen > 0 ? 0 : 1;
  const inputLens = drawRangeLengths(createRng(opts.seed, "input-lengths"), distinct, opts.inputLen, opts.rangeRatio, minInput);
  const outputLens = drawRangeLengths(createRng(opts.seed, "output-lengths"), distinct, opts.outputLen, opts.rangeRatio, 1);
  const prefixIds = opts.prefixLen > 0 ? new PromptBuilder(tokenizer, createRng(opts.seed, "prefix-tokens")).drawIds(opts.prefixLen) : [];
  return buildFromLengths(
    { numPrompts: opts.numPrompts, inputLens, outputLens, prefixIds, seed: opts.seed, label: "random" },
    tokenizer,
    notes,
  );
}

export function distinctCount(numPrompts: number, maxDistinct = MAX_DISTINCT_PROMPTS): number {
  return Math.min(numPrompts, Math.max(1, maxDistinct));
}

/** Drawn lengths of a token-length workload; the arrays hold one entry per distinct prompt. */
export interface LengthPlan {
  numPrompts: number;
  /** Tokens after the prefix. */
  inputLens: Int32Array;
  outputLens: Int32Array;
  prefixIds: readonly number[];
  seed: number;
  /** Dataset name for notes. */
  label: string;
}

/**
 * Prompts for `plan`: one per entry of inputLens, reused cyclically up to
 * numPrompts (the same item object, see {@link MAX_DISTINCT_PROMPTS}).
 */
export function buildFromLengths(plan: LengthPlan, tokenizer: Tokenizer, notes?: string[]): WorkloadItem[] {
  const distinct = plan.inputLens.length;
  const builder = new PromptBuilder(tokenizer, createRng(plan.seed, "prompt-tokens"));
  const items = new Array<WorkloadItem>(plan.numPrompts);
  for (let i = 0; i < distinct; i++) {
    const built = builder.build(plan.prefixIds.length + plan.inputLens[i], plan.prefixIds);
    items[i] = { prompt: built.prompt, inputTokens: built.inputTokens, outputTokens: plan.outputLens[i] };
  }
  for (let i = distinct; i < plan.numPrompts; i++) items[i] = items[i % distinct];
  if (distinct < plan.numPrompts) {
    notes?.push(
      `${plan.label} dataset: built ${distinct} distinct prompts for ${plan.numPrompts} requests; request i reuses prompt i mod ${distinct}`,
    );
  }
  if (builder.inexact > 0) notes?.push(inexactNote(builder.inexact, distinct));
  return items;
}

export function inexactNote(inexact: number, total: number): string {
  return `${inexact} of ${total} prompts could not be built to their exact token length; their actual length is recorded`;
}
