/**
 * Series for the report's charts, computed from per-request data: latency
 * CDFs, output-token throughput over time and concurrency over time. Times
 * are seconds from the run's first request.
 */
import type { PerRequestData } from "./types.ts";

export type Point = [number, number];

/** Empirical CDF of `values` as at most `maxPoints` + 2 points (value, fraction ≤ value). */
export function cdfPoints(values: Float64Array, maxPoints = 400): Point[] {
  const sorted = Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
  const n = sorted.length;
  if (n === 0) return [];
  const k = Math.min(maxPoints, n);
  // Start at (min, 0) so the curve rises from the axis.
  const out: Point[] = [[sorted[0]!, 0]];
  for (let j = 0; j <= k; j++) {
    const idx = Math.round((j * (n - 1)) / k);
    out.push([sorted[idx]!, (idx + 1) / n]);
  }
  return out;
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x - 1e-12 * p) return m * p;
  return 10 * p;
}

function firstStart(data: PerRequestData): number {
  let t0 = Infinity;
  for (let i = 0; i < data.startS.length; i++) if (data.success[i] && data.startS[i]! < t0) t0 = data.startS[i]!;
  return t0;
}

/** True when the file has send times (vLLM's older files do not): the time charts need them. */
export function hasTimeline(data: PerRequestData): boolean {
  return Number.isFinite(firstStart(data));
}

/**
 * Output tokens per second in bins of `binS` (about 60 bins over the run, at
 * least 50 ms). A request's tokens are spread evenly over its token-bearing
 * messages, whose times are send time + TTFT + the running sum of its ITLs.
 */
export function throughputOverTime(data: PerRequestData, targetBins = 60): { binS: number; points: Point[] } {
  const t0 = firstStart(data);
  if (!Number.isFinite(t0)) return { binS: 0, points: [] };
  let end = 0;
  for (let i = 0; i < data.success.length; i++) if (data.success[i]) end = Math.max(end, data.startS[i]! - t0 + data.e2elMs[i]! / 1000);
  const binS = niceStep(Math.max(end / targetBins, 0.05));
  const bins = new Float64Array(Math.max(1, Math.ceil(end / binS + 1e-9)));
  for (let i = 0; i < data.success.length; i++) {
    if (!data.success[i]) continue;
    const gaps = data.itlMs[i]!;
    const perMessage = data.outputTokens[i]! / (gaps.length + 1);
    let t = data.startS[i]! - t0 + data.ttftMs[i]! / 1000;
    for (let k = 0; k <= gaps.length; k++) {
      if (k > 0) t += gaps[k - 1]! / 1000;
      bins[Math.min(bins.length - 1, Math.max(0, Math.floor(t / binS)))] += perMessage;
    }
  }
  return { binS, points: Array.from(bins, (tokens, j): Point => [(j + 0.5) * binS, tokens / binS]) };
}

/**
 * Requests in flight over time ([send, last token) of successful requests;
 * failures have no end time in the detailed arrays), as the maximum level in
 * each of about `targetBins` bins, so spikes survive downsampling.
 */
export function concurrencyOverTime(data: PerRequestData, targetBins = 300): Point[] {
  const t0 = firstStart(data);
  if (!Number.isFinite(t0)) return [];
  const events: [number, number][] = [];
  for (let i = 0; i < data.success.length; i++) {
    if (!data.success[i]) continue;
    const start = data.startS[i]! - t0;
    events.push([start, 1], [start + data.e2elMs[i]! / 1000, -1]);
  }
  // A departure before an arrival at the same instant (spec/metrics.md, peak concurrency).
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const end = events.length ? events[events.length - 1]![0] : 0;
  const binS = end > 0 ? end / targetBins : 1;
  const bins = new Float64Array(targetBins + 1);
  let level = 0;
  let e = 0;
  for (let j = 0; j <= targetBins; j++) {
    const binEnd = (j + 1) * binS;
    let max = level;
    while (e < events.length && events[e]![0] < binEnd) {
      level += events[e++]![1];
      max = Math.max(max, level);
    }
    bins[j] = max;
  }
  const points = Array.from(bins, (v, j): Point => [j * binS, v]);
  points.push([end, level]); // every request has finished: level is 0
  return points;
}
