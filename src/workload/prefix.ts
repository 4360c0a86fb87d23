/**
 * Shared-prefix groups, for prefix-caching benchmarks: N groups each with
 * its own random prefix of `prefixLen` tokens; every request is its group's
 * prefix plus a random suffix. Groups get equal shares of the requests (±1)
 * in a seeded random order, and {@link prefixGroupOf} says which group
 * request g belongs to, so the summary can set each group's first request
 * (a prefix-cache miss) apart from its repeats (summary extras prefixGroups).
 *
 * The order is a seeded shuffle within blocks of PREFIX_BLOCK requests
 * (block k holds the labels (k·B + j) mod N, so the shares stay equal ±1
 * over the whole run): request g's group is found from its block alone, and
 * a run of any length holds one block.
 */
import { createRng } from "../base/rng.ts";
import { drawRangeLength, rangeBounds } from "./lengths.ts";
import { PromptBuilder } from "./prompt-builder.ts";
import { lengthSource } from "./random.ts";
import { shuffleInPlace } from "./sampling.ts";
import type { ItemSource } from "./source.ts";
import type { Tokenizer } from "./tokenizer.ts";

export interface PrefixData {
  type: "prefix";
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

/** Requests per shuffled block of group labels. */
export const PREFIX_BLOCK = 65_536;

/** The group (0-based) of request g; one block is kept between calls. */
export function prefixGroupOf(data: Pick<PrefixData, "numPrompts" | "numGroups" | "seed">): (g: number) => number {
  let block = -1;
  let labels = new Int32Array(0);
  return (g) => {
    const k = Math.floor(g / PREFIX_BLOCK);
    if (k !== block) {
      const start = k * PREFIX_BLOCK;
      const size = Math.max(0, Math.min(PREFIX_BLOCK, data.numPrompts - start));
      const order = Array.from({ length: size }, (_, j) => (start + j) % data.numGroups);
      labels = Int32Array.from(shuffleInPlace(createRng(data.seed, "sampling", k), order));
      block = k;
    }
    return labels[g - k * PREFIX_BLOCK]!;
  };
}

/** Groups whose prefix ids are kept at most (more are drawn again when needed: a prefix is a pure function of its group). */
const PREFIX_CACHE = 4096;

export function prefixSource(data: Omit<PrefixData, "type">, tokenizer: Tokenizer): ItemSource {
  const groupOf = prefixGroupOf(data);
  const prefixes = new Map<number, number[]>();
  const prefixOf = (group: number): number[] => {
    let ids = prefixes.get(group);
    if (ids) return ids;
    if (prefixes.size >= PREFIX_CACHE) prefixes.clear();
    ids = new PromptBuilder(tokenizer, createRng(data.seed, "prefix-tokens", group)).drawIds(data.prefixLen);
    prefixes.set(group, ids);
    return ids;
  };
  const suffixBounds = rangeBounds(data.suffixLen, data.rangeRatio, 1);
  const outputBounds = rangeBounds(data.outputLen, data.rangeRatio, 1);
  return lengthSource(data.seed, tokenizer, (rng, g) => ({
    prefixIds: prefixOf(groupOf(g)),
    inputTokens: drawRangeLength(rng, suffixBounds),
    outputTokens: drawRangeLength(rng, outputBounds),
  }));
}

export function prefixNotes(data: Pick<PrefixData, "numPrompts" | "numGroups">): string[] {
  return data.numGroups > data.numPrompts ? [`prefix dataset: ${data.numGroups} groups but only ${data.numPrompts} requests; some groups are unused`] : [];
}
