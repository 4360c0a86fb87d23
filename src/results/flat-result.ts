/**
 * Reading a saved result's flat vLLM keys (`completed`, `failed`,
 * `mean_ttft_ms`, `p99_itl_ms`, ...) and vbench's stored verdicts: the one
 * reader behind the standardized document (standardized.ts) and the analysis
 * loader (src/analysis/normalize.ts), so both judge a file the same way
 * (src/results/thresholds.ts).
 */
import { finiteOrNull, objectOrUndefined } from "../base/json-values.ts";
import { METRIC_NAMES, type MetricName } from "../base/summary-types.ts";
import type { FailureCategory } from "../base/request-types.ts";
import type { ThresholdVerdict } from "../base/scenario-types.ts";
import type { MeasuredStats, ThresholdSubject } from "./thresholds.ts";

export type Obj = Record<string, unknown>;


/**
 * Statistics per metric from the flat keys (`mean_{m}_ms`, `median_`, `std_`,
 * `p{P}_{m}_ms`, percentiles ascending), with count/min/max from vbench's
 * `metric_stats` when the file has it. A metric without `mean_{m}_ms` is absent.
 */
export function flatMetricStats(raw: Obj): Partial<Record<MetricName, MeasuredStats>> {
  const metricStats = objectOrUndefined(objectOrUndefined(raw.vbench)?.metric_stats);
  const out: Partial<Record<MetricName, MeasuredStats>> = {};
  for (const m of METRIC_NAMES) {
    const mean = finiteOrNull(raw[`mean_${m}_ms`]);
    if (mean === null) continue;
    const re = new RegExp(`^p(\\d+(?:\\.\\d+)?)_${m}_ms$`);
    const ps = Object.keys(raw)
      .map((k) => re.exec(k)?.[1])
      .filter((p): p is string => p !== undefined && finiteOrNull(raw[`p${p}_${m}_ms`]) !== null)
      .sort((a, b) => Number(a) - Number(b));
    const percentiles: Record<string, number> = {};
    for (const p of ps) percentiles[`p${p}`] = raw[`p${p}_${m}_ms`] as number;
    const extra = objectOrUndefined(metricStats?.[m]);
    out[m] = { count: finiteOrNull(extra?.count), mean, median: finiteOrNull(raw[`median_${m}_ms`]), std: finiteOrNull(raw[`std_${m}_ms`]), min: finiteOrNull(extra?.min), max: finiteOrNull(extra?.max), percentiles };
  }
  return out;
}

/**
 * `failed` (older vLLM files have none: the non-empty `errors` strings are
 * counted instead) and the failures by category vbench stored (empty for
 * vLLM's files, whose error texts carry no category).
 */
export function flatFailures(raw: Obj): ThresholdSubject["failures"] & { failed: number } {
  const errors = Array.isArray(raw.errors) ? (raw.errors as unknown[]) : [];
  const failed = finiteOrNull(raw.failed) ?? errors.filter((e) => typeof e === "string" && e !== "").length;
  const byCategory: Partial<Record<FailureCategory, number>> = {};
  for (const [k, v] of Object.entries(objectOrUndefined(objectOrUndefined(objectOrUndefined(raw.vbench)?.failures)?.by_category) ?? {})) if (finiteOrNull(v) !== null) byCategory[k as FailureCategory] = v as number;
  return { failed, byCategory };
}

/** What the thresholds of a flat result document are judged against (extras always present: null ratio when not stored). */
export function flatSubject(raw: Obj): ThresholdSubject & { extras: { shortOutputs: { minRatio: number | null } } } {
  const { failed, byCategory } = flatFailures(raw);
  const shortOutputs = { minRatio: finiteOrNull(objectOrUndefined(objectOrUndefined(raw.vbench)?.short_outputs)?.min_ratio) };
  return { completed: finiteOrNull(raw.completed) ?? 0, failed, failures: { byCategory }, outputThroughput: finiteOrNull(raw.output_throughput), metrics: flatMetricStats(raw), extras: { shortOutputs } };
}

/**
 * Verdicts as stored: vbench's `thresholds` array (`[{key, limit, ...}]`) or
 * the standardized map (`{key: {limit, ...}}`). `measured` null → NaN.
 */
export function storedVerdicts(stored: unknown): ThresholdVerdict[] {
  const entries: [string, unknown][] = Array.isArray(stored)
    ? stored.flatMap((v) => (typeof objectOrUndefined(v)?.key === "string" ? [[objectOrUndefined(v)!.key as string, v] as [string, unknown]] : []))
    : Object.entries(objectOrUndefined(stored) ?? {});
  return entries.flatMap(([key, v]) => {
    const entry = objectOrUndefined(v);
    if (!entry) return [];
    const verdict: ThresholdVerdict = { key, limit: finiteOrNull(entry.limit) ?? NaN, measured: finiteOrNull(entry.measured) ?? NaN, comparison: entry.comparison === ">=" ? ">=" : "<=", passed: entry.passed === true };
    if (entry.implicit === true) verdict.implicit = true;
    return [verdict];
  });
}
