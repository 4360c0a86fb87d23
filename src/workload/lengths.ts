/**
 * Token lengths: vLLM's range-ratio rule for the random dataset, and the
 * length distributions of the synthetic dataset.
 */
import * as v from "valibot";
import type { Distribution, Same } from "../base/dataset-types.ts";
import type { Rng } from "../base/rng.ts";

/**
 * Integer bounds `[int(L·(1−r)), int(L·(1+r))]`, never below `min`: vLLM's
 * random dataset draws from `int(L*(1-r))` to `int(L*(1+r))` inclusive, both
 * truncated (output 32, r 0.2 → 25..38). The products are computed in
 * doubles exactly as Python does, so the bounds match vLLM's bit for bit,
 * float noise included.
 */
export function rangeBounds(len: number, ratio: number, min: number): [number, number] {
  const lo = Math.max(min, Math.floor(len * (1 - ratio)));
  const hi = Math.max(lo, Math.floor(len * (1 + ratio)));
  return [lo, hi];
}

/** One length uniform over the integers of `bounds` (from {@link rangeBounds}); no draw when they are equal. */
export function drawRangeLength(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo === hi ? lo : rng.int(lo, hi);
}

const tokens = v.pipe(v.number(), v.integer(), v.minValue(1));
const positive = v.pipe(v.number(), v.minValue(0));

/**
 * A token-length distribution. For `normal` and `lognormal`, `mean` and
 * `stdev` describe the token lengths themselves (not the underlying normal
 * of a lognormal), so `{mean: 512}` means prompts average 512 tokens either
 * way. Draws are rounded and clipped to `[min, max]` (min defaults to 1).
 */
export const distributionSchema = v.variant("type", [
  v.strictObject({ type: v.literal("fixed"), value: tokens }),
  v.pipe(
    v.strictObject({ type: v.literal("uniform"), min: tokens, max: tokens }),
    v.check((d) => d.min <= d.max, "uniform needs min <= max"),
  ),
  v.pipe(
    v.strictObject({
      type: v.literal("normal"),
      mean: positive,
      stdev: positive,
      min: v.optional(tokens),
      max: v.optional(tokens),
    }),
    v.check((d) => (d.min ?? 1) <= (d.max ?? Infinity), "normal needs min <= max"),
  ),
  v.pipe(
    v.strictObject({
      type: v.literal("lognormal"),
      mean: v.pipe(v.number(), v.gtValue(0)),
      stdev: positive,
      min: v.optional(tokens),
      max: v.optional(tokens),
    }),
    v.check((d) => (d.min ?? 1) <= (d.max ?? Infinity), "lognormal needs min <= max"),
  ),
]);

export type { Distribution };

/** The schema accepts exactly src/base/dataset-types.ts's Distribution (checked at compile time). */
export const DISTRIBUTION_SCHEMA_MATCHES_BASE_TYPE: Same<v.InferOutput<typeof distributionSchema>, Distribution> = true;

/** One integer length drawn from `d`. */
export function sampleLength(rng: Rng, distribution: Distribution): number {
  switch (distribution.type) {
    case "fixed":
      return distribution.value;
    case "uniform":
      return rng.int(distribution.min, distribution.max);
    case "normal":
      return clip(Math.round(distribution.mean + distribution.stdev * rng.normal()), distribution.min, distribution.max);
    case "lognormal": {
      // Parameters of the underlying normal whose exponential has this mean and stdev.
      const sigma2 = Math.log(1 + (distribution.stdev * distribution.stdev) / (distribution.mean * distribution.mean));
      const mu = Math.log(distribution.mean) - sigma2 / 2;
      return clip(Math.round(Math.exp(mu + Math.sqrt(sigma2) * rng.normal())), distribution.min, distribution.max);
    }
  }
}

/** `count` lengths from `d`. */
export function drawLengths(rng: Rng, count: number, distribution: Distribution): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = sampleLength(rng, distribution);
  return out;
}

function clip(value: number, min = 1, max = Infinity): number {
  return Math.min(Math.max(value, min), max);
}
