/**
 * Seeded cluster bootstrap of statistics (mean, percentiles) of one run's
 * values, for `vbench compare` (docs/analysis.md).
 *
 * A sample is a list of units; a unit is a group of values that belong
 * together and are resampled together. compare's units are blocks of time
 * (time-blocks.ts: the slow values of a run come in bursts), or requests
 * when the run has no send times. One resample draws units with replacement
 * and computes the statistics of their values. (Several runs a side are
 * judged between runs instead, by Student t: repeat.ts differenceInterval.)
 *
 * A resample is represented by how often each value was drawn (counts over
 * the values sorted once), so a percentile costs one pass instead of a sort:
 * O(values) per resample.
 */
import type { Rng } from "../base/rng.ts";
import { percentileOfSorted } from "../results/stats.ts";

/** The values sorted once, and for each unit the positions of its values in that order. */
export interface BootstrapSample {
  sorted: Float64Array;
  /** Unit u's values are positions[unitStart[u]] .. positions[unitStart[u + 1] - 1]. */
  unitStart: Int32Array;
  positions: Int32Array;
  /** True when values were thinned to the budget (see buildSample). */
  thinned: boolean;
}

/** A statistic of the pooled values: the mean or a percentile (np.percentile's linear method; p50 is the median). */
export type Statistic = { kind: "mean" } | { kind: "percentile"; p: number };

/** Values the bootstrap keeps per side by default: 20k values × 2000 resamples stays well under a second. */
export const DEFAULT_MAX_VALUES = 20_000;

/**
 * Build a sample from units → values. Past `maxValues` values the sample is
 * thinned deterministically: every s-th value in order (s = ceil(total /
 * maxValues)); units left empty are dropped. Thinning keeps the distribution
 * and widens the interval slightly (fewer values), so it errs toward
 * "within noise".
 */
export function buildSample(units: Float64Array[], maxValues = DEFAULT_MAX_VALUES): BootstrapSample {
  let total = 0;
  for (const unit of units) total += unit.length;
  const stride = total > maxValues ? Math.ceil(total / maxValues) : 1;
  const kept: number[] = [];
  const unitStart = [0];
  let k = 0;
  for (const unit of units) {
    for (const v of unit) {
      if (k++ % stride !== 0 || Number.isNaN(v)) continue;
      kept.push(v);
    }
    if (kept.length > unitStart[unitStart.length - 1]!) unitStart.push(kept.length);
  }
  // Rank of each kept value in sorted order (typed sort, then binary search; ties take consecutive slots).
  const sorted = Float64Array.from(kept).sort();
  const used = new Int32Array(sorted.length);
  const positions = new Int32Array(kept.length);
  for (let id = 0; id < kept.length; id++) {
    const at = lowerBound(sorted, kept[id]!);
    positions[id] = at + used[at]++;
  }
  return { sorted, unitStart: Int32Array.from(unitStart), positions, thinned: stride > 1 };
}

function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The statistics of the multiset given by `counts` over `sorted` (one pass). */
export function statisticsOfCounts(sorted: Float64Array, counts: Uint32Array, stats: Statistic[]): number[] {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    total += counts[i]!;
    sum += counts[i]! * sorted[i]!;
  }
  if (total === 0) return stats.map(() => NaN);
  // Percentile p: position h = (M−1)·p/100 in the expanded multiset, linear between ranks floor(h) and floor(h)+1.
  const wanted = stats.flatMap((s, i) => (s.kind === "percentile" ? [{ i, h: ((total - 1) * s.p) / 100 }] : []));
  const ranks = wanted.flatMap((w) => [Math.floor(w.h), Math.min(total - 1, Math.floor(w.h) + 1)]);
  const order = ranks.map((r, j) => ({ r, j })).sort((a, b) => a.r - b.r);
  const valueAt = new Float64Array(ranks.length);
  let seen = 0;
  let o = 0;
  for (let i = 0; i < sorted.length && o < order.length; i++) {
    seen += counts[i]!;
    while (o < order.length && order[o]!.r < seen) valueAt[order[o++]!.j] = sorted[i]!;
  }
  const out = stats.map((s) => (s.kind === "mean" ? sum / total : NaN));
  wanted.forEach((w, j) => {
    const a = valueAt[2 * j]!;
    const b = valueAt[2 * j + 1]!;
    out[w.i] = a + (b - a) * (w.h - Math.floor(w.h));
  });
  return out;
}

/** `resamples` bootstrap replicates of each statistic: result[stat][replicate]. */
export function bootstrapStatistics(sample: BootstrapSample, stats: Statistic[], resamples: number, rng: Rng): Float64Array[] {
  const out = stats.map(() => new Float64Array(resamples));
  const { unitStart, positions } = sample;
  const units = unitStart.length - 1;
  if (units === 0) {
    for (const o of out) o.fill(NaN);
    return out;
  }
  const counts = new Uint32Array(sample.sorted.length);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let u = 0; u < units; u++) {
      const pick = rng.int(0, units - 1);
      for (let k = unitStart[pick]!; k < unitStart[pick + 1]!; k++) counts[positions[k]!]++;
    }
    const values = statisticsOfCounts(sample.sorted, counts, stats);
    for (let s = 0; s < stats.length; s++) out[s]![b] = values[s]!;
  }
  return out;
}

/** np.percentile (linear, the project's one definition: results/stats.ts) of unsorted replicates, ignoring NaN. */
export function quantile(values: Float64Array, p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort();
  return sorted.length === 0 ? NaN : percentileOfSorted(sorted, p);
}

/**
 * Bootstrap replicates of candidate − baseline for each statistic, the two
 * sides resampled independently: result[stat][replicate]. The percentile
 * interval is then quantile(replicates, 100·a/2) .. quantile(replicates, 100·(1 − a/2)).
 */
export function differenceReplicates(baseline: BootstrapSample, candidate: BootstrapSample, stats: Statistic[], opts: { resamples: number; rng: Rng }): Float64Array[] {
  const b = bootstrapStatistics(baseline, stats, opts.resamples, opts.rng);
  const c = bootstrapStatistics(candidate, stats, opts.resamples, opts.rng);
  return stats.map((_, s) => c[s]!.map((v, i) => v - b[s]![i]!));
}

/** Percentile interval of replicates at level 1 − alpha. */
export function percentileInterval(replicates: Float64Array, alpha: number): [number, number] {
  return [quantile(replicates, (alpha / 2) * 100), quantile(replicates, (1 - alpha / 2) * 100)];
}
