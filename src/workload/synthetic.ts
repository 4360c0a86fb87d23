/**
 * Synthetic dataset: random-token prompts whose input and output lengths
 * follow configured distributions (fixed, uniform, normal, lognormal; see
 * lengths.ts for what mean/stdev mean). Prompts are built to exact length as
 * for the random dataset, request by request (random.ts lengthSource).
 */
import { sampleLength, type Distribution } from "./lengths.ts";
import { lengthSource } from "./random.ts";
import type { ItemSource } from "./source.ts";
import type { Tokenizer } from "./tokenizer.ts";

export { syntheticOptionsSchema } from "./options.ts";

export interface SyntheticData {
  type: "synthetic";
  input: Distribution;
  output: Distribution;
  seed: number;
}

export function syntheticSource(d: Omit<SyntheticData, "type">, tokenizer: Tokenizer): ItemSource {
  return lengthSource(d.seed, tokenizer, (rng) => ({ prefixIds: [], inputTokens: sampleLength(rng, d.input), outputTokens: sampleLength(rng, d.output) }));
}
