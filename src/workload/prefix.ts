/**
 * Shared-prefix groups, for prefix-caching benchmarks: N groups each with
 * its own random prefix of `prefixLen` tokens; every request is its group's
 * prefix plus a random suffix. Groups get equal shares of the requests (±1)
 * in a seeded random order, and `groups[i]` says which group request i
 * belongs to, so a report can show the hit pattern.
 */
import { createRng } from "../core/rng.ts";
import type { WorkloadItem } from "../core/types.ts";
import { drawRangeLengths } from "./lengths.ts";
import { PromptBuilder } from "./prompt-builder.ts";
import { inexactNote } from "./random.ts";
import { shuffleInPlace } from "./sampling.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface PrefixWorkloadOptions {
  numPrompts: number;
  numGroups: number;
  /** Tokens of each group's prefix. */
  prefixLen: number;
  /** Mean suffix tokens, ± rangeRatio as for the random dataset. */
  suffixLen: number;
  outputLen: number;
  rangeRatio: number;
  seed: number;
}

export interface PrefixWorkload {
  items: WorkloadItem[];
  /** Group index (0-based) of each item. */
  groups: Int32Array;
}

export function buildPrefixWorkload(opts: PrefixWorkloadOptions, tokenizer: Tokenizer, notes: string[]): PrefixWorkload {
  const prefixBuilder = new PromptBuilder(tokenizer, createRng(opts.seed, "prefix-tokens"));
  const prefixes = Array.from({ length: opts.numGroups }, () => prefixBuilder.drawIds(opts.prefixLen));
  const order = shuffleInPlace(
    createRng(opts.seed, "sampling"),
    Array.from({ length: opts.numPrompts }, (_, i) => i % opts.numGroups),
  );
  const groups = Int32Array.from(order);
  const suffixLens = drawRangeLengths(createRng(opts.seed, "input-lengths"), opts.numPrompts, opts.suffixLen, opts.rangeRatio, 1);
  const outputLens = drawRangeLengths(createRng(opts.seed, "output-lengths"), opts.numPrompts, opts.outputLen, opts.rangeRatio, 1);
  const builder = new PromptBuilder(tokenizer, createRng(opts.seed, "prompt-tokens"));
  const items = new Array<WorkloadItem>(opts.numPrompts);
  for (let i = 0; i < opts.numPrompts; i++) {
    const built = builder.build(opts.prefixLen + suffixLens[i], prefixes[groups[i]]);
    items[i] = { prompt: built.prompt, inputTokens: built.inputTokens, outputTokens: outputLens[i] };
  }
  if (builder.inexact > 0) notes.push(inexactNote(builder.inexact, opts.numPrompts));
  if (opts.numGroups > opts.numPrompts) {
    notes.push(`prefix dataset: ${opts.numGroups} groups but only ${opts.numPrompts} requests; some groups are unused`);
  }
  return { items, groups };
}
