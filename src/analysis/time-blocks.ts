/**
 * Resampling units for `vbench compare`'s bootstrap of one run: the run's
 * values grouped by the stretch of wall-clock time they fall in.
 *
 * Why time, not requests: the slow values of a run come in bursts. A pause
 * of the machine (a busy neighbour, a garbage collection, the scheduler)
 * stretches every stream in flight at that moment, so the largest ITL gaps of
 * a run at concurrency 8 arrive in groups of about 8 and in episodes a second
 * or two long (measured on simulator runs: 205 gaps above 12 ms in 54
 * bursts). Resampling requests treats those gaps as independent and makes
 * the interval of a tail percentile several times too narrow: identical runs
 * were called an ITL p99 regression of +24% (docs/analysis.md). Resampling
 * whole blocks of time keeps each burst together, so the interval sees how
 * much a tail depends on how many bursts a run happened to catch.
 *
 * A run is cut into TIME_BLOCKS equal stretches from its first send to its
 * last token: TTFT, TPOT, E2EL and success count at the request's send time,
 * each ITL gap at the time it ended. A run without send times (a vLLM file
 * without `start_times`) falls back to one unit per request, a request's ITL
 * gaps together.
 */
import type { MetricName } from "../base/summary-types.ts";
import { requestSeriesMs } from "./per-request.ts";
import type { PerRequestData } from "./types.ts";

/**
 * Blocks per run. Few enough that a block outlasts a burst of machine
 * pauses in a short run (a 5 s run gives 0.27 s blocks), enough for the
 * bootstrap to resample (10, 20 and 40 gave nearly the same intervals on the
 * runs of bench/compare-noise.ts; per-request units gave ones 2–3× narrower).
 */
export const TIME_BLOCKS = 20;

/**
 * Cancelled by an interrupt (vbench's `errors` entry "cancelled: ..."): neither a success nor a
 * failure, as for the success_rate threshold (results/thresholds.ts successRate).
 */
function cancelled(data: PerRequestData, i: number): boolean {
  return data.errors[i]!.startsWith("cancelled: ");
}

/** What one request contributes to metric m, each value with its time (ms on the run's clock). */
function valuesOf(data: PerRequestData, i: number, metric: MetricName | "success", sentMs: number, put: (tMs: number, v: number) => void): void {
  if (metric === "success") return cancelled(data, i) ? undefined : put(sentMs, data.success[i] ? 1 : 0);
  if (!data.success[i]) return;
  if (metric === "itl") {
    let t = sentMs + data.ttftMs[i]!;
    for (const gap of data.itlMs[i]!) put((t += gap), gap);
    return;
  }
  const v = requestSeriesMs(data, metric)[i]!;
  if (!Number.isNaN(v)) put(sentMs, v);
}

/**
 * The values of metric m in `blocks` time blocks (empty blocks dropped), or
 * null when the run does not say when its requests were sent (vLLM files
 * without `start_times`): the caller then resamples requests.
 */
export function timeBlockUnits(data: PerRequestData, metric: MetricName | "success", blocks = TIME_BLOCKS): Float64Array[] | null {
  const n = data.success.length;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (let i = 0; i < n; i++) {
    const sentMs = data.startS[i]! * 1000;
    if (Number.isNaN(sentMs)) return null;
    firstMs = Math.min(firstMs, sentMs);
    lastMs = Math.max(lastMs, sentMs + (data.success[i] && !Number.isNaN(data.e2elMs[i]!) ? data.e2elMs[i]! : 0));
  }
  if (n === 0) return [];
  const spanMs = lastMs - firstMs;
  const parts: number[][] = Array.from({ length: blocks }, () => []);
  const blockOf = (tMs: number) => (spanMs > 0 ? Math.min(blocks - 1, Math.max(0, Math.floor(((tMs - firstMs) / spanMs) * blocks))) : 0);
  for (let i = 0; i < n; i++) valuesOf(data, i, metric, data.startS[i]! * 1000, (tMs, v) => parts[blockOf(tMs)]!.push(v));
  return parts.filter((p) => p.length > 0).map((p) => Float64Array.from(p));
}

/** Units of one metric of one run without send times: one per request (its value, or all its ITL gaps). */
function requestUnits(data: PerRequestData, metric: MetricName | "success"): Float64Array[] {
  if (metric === "success") return data.success.flatMap((ok, i) => (cancelled(data, i) ? [] : [Float64Array.of(ok ? 1 : 0)]));
  if (metric === "itl") return data.itlMs.filter((g, i) => data.success[i] && g.length > 0);
  const out: Float64Array[] = [];
  for (const v of requestSeriesMs(data, metric)) if (!Number.isNaN(v)) out.push(Float64Array.of(v));
  return out;
}

/** The bootstrap's units of metric m: time blocks, or requests when the run has no send times. */
export function resamplingUnits(data: PerRequestData, metric: MetricName | "success"): Float64Array[] {
  return timeBlockUnits(data, metric) ?? requestUnits(data, metric);
}
