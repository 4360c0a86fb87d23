/**
 * Descriptive statistics of one series (spec/metrics.md "Statistics"), with
 * NumPy's conventions so the numbers match vLLM's: population std, median as
 * np.median, percentiles by linear interpolation between closest ranks
 * (np.percentile's default method), and 0 for everything on an empty series.
 */
import * as hdr from "hdr-histogram-js";
import type { SeriesStats } from "../base/summary-types.ts";

/** `p` + the percentile without a trailing `.0`: 99 → "p99", 99.9 → "p99.9". */
export function percentileKey(p: number): string {
  return `p${String(p)}`;
}

/** `a` followed by the percentiles of `b` not already in it (order kept: it is the row order of the console block and the result files). */
export function unionPercentiles(a: readonly number[], b: readonly number[]): number[] {
  const out = [...a];
  for (const p of b) if (!out.includes(p)) out.push(p);
  return out;
}

/** An all-zero SeriesStats (vLLM reports 0 for an empty series). */
export function emptyStats(percentiles: readonly number[]): SeriesStats {
  const out: Record<string, number> = {};
  for (const p of percentiles) out[percentileKey(p)] = 0;
  return { count: 0, mean: 0, median: 0, std: 0, min: 0, max: 0, percentiles: out, exact: true };
}

/**
 * Percentile p (0..100) of ascending `sorted`, exactly as np.percentile's
 * "linear" method computes it, including its two-sided lerp (NumPy ≥ 1.22
 * interpolates from the upper neighbour when the fraction is ≥ 0.5).
 */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const h = (p / 100) * (n - 1);
  const lo = Math.floor(h);
  if (lo >= n - 1) return sorted[n - 1]!;
  if (lo < 0) return sorted[0]!;
  const t = h - lo;
  const a = sorted[lo]!;
  const b = sorted[lo + 1]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** np.median: the middle value, or the mean of the two middle values. */
function medianOfSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Several arrays' values as one (per-block units of a comparison, every worker's probe samples). */
export function pooled(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Statistics of `values` (not modified; a typed copy is sorted numerically). */
export function computeStats(values: Float64Array | readonly number[], percentiles: readonly number[]): SeriesStats {
  return statsSortingInPlace(Float64Array.from(values), percentiles);
}

/** Statistics of `values`, sorting the array itself (no copy: large series are hundreds of MB). */
export function statsSortingInPlace(values: Float64Array, percentiles: readonly number[]): SeriesStats {
  const n = values.length;
  if (n === 0) return emptyStats(percentiles);
  const sorted = values.sort(); // typed-array sort is numeric
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    squares += d * d;
  }
  const out: Record<string, number> = {};
  for (const p of percentiles) out[percentileKey(p)] = percentileOfSorted(sorted, p);
  return {
    count: n,
    mean,
    median: medianOfSorted(sorted),
    std: Math.sqrt(squares / n),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    percentiles: out,
    exact: true,
  };
}

/**
 * Default number of values a series may hold exactly: 20 M doubles are
 * 160 MB (plus the same again for the sorted copy). Past it the series
 * switches to an HDR histogram (bounded memory, 3 significant digits).
 */
export const DEFAULT_VALUE_BUDGET = 20_000_000;

export interface SeriesBuilderOptions {
  /** Expected number of values (pre-sizes the buffer; it still grows). */
  capacity?: number;
  /** Values kept exactly before switching to the histogram. */
  valueBudget?: number;
}

/**
 * Collects one series of values in milliseconds. Exact (a growable
 * Float64Array) up to the value budget, then an HDR histogram of integer
 * microseconds. Count, sum (so the mean), min, max and std stay exact in both
 * modes; only the median and percentiles become approximate (`exact: false`).
 * stats() sorts the stored values in place; push() may follow it.
 */
export class SeriesBuilder {
  private values: Float64Array;
  private n = 0;
  private readonly budget: number;
  private histogram: hdr.Histogram | null = null;
  // Exact running moments after the switch (Welford: stable for long series).
  private sum = 0;
  private runMean = 0;
  private m2 = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;

  constructor(options: SeriesBuilderOptions = {}) {
    this.budget = Math.max(1, options.valueBudget ?? DEFAULT_VALUE_BUDGET);
    this.values = new Float64Array(Math.min(Math.max(16, options.capacity ?? 1024), this.budget));
  }

  get count(): number {
    return this.n;
  }

  get exact(): boolean {
    return this.histogram === null;
  }

  push(valueMs: number): void {
    if (this.histogram !== null) {
      this.accumulate(valueMs);
      return;
    }
    if (this.n === this.values.length) {
      if (this.n >= this.budget) {
        this.switchToHistogram();
        this.accumulate(valueMs);
        return;
      }
      const grown = new Float64Array(Math.min(this.values.length * 2, this.budget));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.n++] = valueMs;
  }

  /** Push every successive difference `times[k] − times[k−1]` (a request's inter-token gaps), in one tight loop. */
  pushGaps(times: Float64Array): void {
    const gaps = times.length - 1;
    if (gaps <= 0) return;
    if (this.histogram !== null || this.n + gaps > this.values.length) {
      for (let k = 1; k < times.length; k++) this.push(times[k]! - times[k - 1]!);
      return;
    }
    const values = this.values;
    let n = this.n;
    for (let k = 1; k < times.length; k++) values[n++] = times[k]! - times[k - 1]!;
    this.n = n;
  }

  stats(percentiles: readonly number[]): SeriesStats {
    const histogram = this.histogram;
    // Sorting the stored values in place is harmless (order carries no meaning) and saves a copy.
    if (histogram === null) return statsSortingInPlace(this.values.subarray(0, this.n), percentiles);
    const clamp = (v: number) => Math.min(this.maxValue, Math.max(this.minValue, v));
    const out: Record<string, number> = {};
    for (const p of percentiles) {
      out[percentileKey(p)] =
        p <= 0 ? this.minValue : p >= 100 ? this.maxValue : clamp(histogram.getValueAtPercentile(p) / 1000);
    }
    return {
      count: this.n,
      mean: this.sum / this.n,
      median: clamp(histogram.getValueAtPercentile(50) / 1000),
      std: Math.sqrt(this.m2 / this.n),
      min: this.minValue,
      max: this.maxValue,
      percentiles: out,
      exact: false,
    };
  }

  private switchToHistogram(): void {
    this.histogram = hdr.build({ numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
    const kept = this.values.subarray(0, this.n);
    this.n = 0;
    for (let i = 0; i < kept.length; i++) this.accumulate(kept[i]!);
    this.values = new Float64Array(0);
  }

  private accumulate(valueMs: number): void {
    this.n++;
    this.sum += valueMs;
    const delta = valueMs - this.runMean;
    this.runMean += delta / this.n;
    this.m2 += delta * (valueMs - this.runMean);
    if (valueMs < this.minValue) this.minValue = valueMs;
    if (valueMs > this.maxValue) this.maxValue = valueMs;
    // HDR records non-negative integers: microseconds, negatives (clock jitter) as 0.
    this.histogram!.recordValue(valueMs > 0 ? Math.round(valueMs * 1000) : 0);
  }
}
