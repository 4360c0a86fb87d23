/**
 * Synthetic dataset: random-token prompts whose input and output lengths
 * follow configured distributions (fixed, uniform, normal, lognormal; see
 * lengths.ts for what mean/stdev mean). Prompts are built to exact length as
 * for the random dataset.
 */
import { createRng } from "../core/rng.ts";
import type { WorkloadItem } from "../core/types.ts";
import { drawLengths, type Distribution } from "./lengths.ts";
import { buildFromLengths, distinctCount } from "./random.ts";
import type { Tokenizer } from "./tokenizer.ts";

export { syntheticOptionsSchema } from "./options.ts";

export interface SyntheticWorkloadOptions {
  numPrompts: number;
  input: Distribution;
  output: Distribution;
  seed: number;
  maxDistinctPrompts?: number;
}

export function buildSyntheticWorkload(opts: SyntheticWorkloadOptions, tokenizer: Tokenizer, notes?: string[]): WorkloadItem[] {
  const distinct = distinctCount(opts.numPrompts, opts.maxDistinctPrompts);
  const inputLens = drawLengths(createRng(opts.seed, "input-lengths"), distinct, opts.input);
  const outputLens = drawLengths(createRng(opts.seed, "output-lengths"), distinct, opts.output);
  return buildFromLengths(
    { numPrompts: opts.numPrompts, inputLens, outputLens, prefixIds: [], seed: opts.seed, label: "synthetic" },
    tokenizer,
    notes,
  );
}
