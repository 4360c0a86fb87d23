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

export function syntheticSource(data: Omit<SyntheticData, "type">, tokenizer: Tokenizer): ItemSource {
  return lengthSource(data.seed, tokenizer, (rng) => ({ prefixIds: [], inputTokens: sampleLength(rng, data.input), outputTokens: sampleLength(rng, data.output) }));
}
