/**
 * CI gates (spec/output.md "Thresholds"): validate the configured keys before
 * any traffic, and judge a finished run against them.
 */
import { percentileKey } from "./stats.ts";
import { didYouMean } from "./suggest.ts";
import { METRIC_NAMES, type MetricName, type SeriesStats, type Summary, type ThresholdVerdict } from "./types.ts";

const SIMPLE_STATS = ["mean", "median", "std", "min", "max"] as const;
type SimpleStat = (typeof SIMPLE_STATS)[number];

/** A parsed latency key `{metric}_{stat}_ms`. */
export type LatencyThreshold = { metric: MetricName; stat: SimpleStat } | { metric: MetricName; percentile: number };

const LATENCY_KEY = /^(ttft|tpot|itl|e2el)_(mean|median|std|min|max|p(\d+(?:\.\d+)?))_ms$/;

/** Parse `ttft_p95_ms`, `itl_p99.9_ms`, `e2el_median_ms`; undefined for anything else. */
export function parseLatencyKey(key: string): LatencyThreshold | undefined {
  const m = LATENCY_KEY.exec(key);
  if (m === null) return undefined;
  const metric = m[1] as MetricName;
  if (m[3] === undefined) return { metric, stat: m[2] as SimpleStat };
  const percentile = Number(m[3]);
  return percentile <= 100 ? { metric, percentile } : undefined;
}

/** Keys offered by "did you mean": the fixed ones, then every common latency key. */
function candidateKeys(): string[] {
  const keys = ["ttft_p95_ms", "tpot_mean_ms", "throughput_min", "success_rate"];
  for (const metric of METRIC_NAMES) {
    for (const stat of [...SIMPLE_STATS, "p50", "p90", "p95", "p99", "p99.9"]) keys.push(`${metric}_${stat}_ms`);
  }
  return keys;
}

/** Common spellings edit distance gets wrong: `avg`/`average` → `mean`, `throughput` → `throughput_min`. */
function aliasHint(key: string): string | undefined {
  const mean = key.replace(/_(avg|average)_/, "_mean_");
  if (mean !== key && parseLatencyKey(mean) !== undefined) return `; did you mean "${mean}"?`;
  if (/^(min_)?(output_)?throughput(_tok_s)?$/.test(key)) return '; did you mean "throughput_min"?';
  return undefined;
}

/**
 * One message per problem: unknown keys (with a suggestion), values that are
 * not finite numbers, and a success_rate outside [0, 1]. Empty when valid.
 */
export function validateThresholdKeys(thresholds: Readonly<Record<string, number>>): string[] {
  const errors: string[] = [];
  let candidates: string[] | undefined;
  for (const [key, limit] of Object.entries(thresholds)) {
    const known = key === "throughput_min" || key === "success_rate" || parseLatencyKey(key) !== undefined;
    if (!known) {
      candidates ??= candidateKeys();
      errors.push(
        `unknown threshold "${key}"${aliasHint(key) ?? didYouMean(key, candidates)} ` +
          `(known: throughput_min, success_rate, {ttft|tpot|itl|e2el}_{mean|median|std|min|max|pNN}_ms)`,
      );
      continue;
    }
    if (typeof limit !== "number" || !Number.isFinite(limit)) {
      errors.push(`threshold "${key}" must be a finite number, got ${JSON.stringify(limit)}`);
    } else if (key === "success_rate" && (limit < 0 || limit > 1)) {
      errors.push(`threshold "success_rate" is a fraction in [0, 1], got ${limit}`);
    }
  }
  return errors;
}

/**
 * What summarize() must compute so every latency threshold can be judged even
 * when its metric is not in percentile_metrics or its percentile not in
 * metric_percentiles: metric → percentiles the thresholds name.
 */
export function thresholdNeeds(thresholds: Readonly<Record<string, number>>): Map<MetricName, number[]> {
  const needs = new Map<MetricName, number[]>();
  for (const key of Object.keys(thresholds)) {
    const parsed = parseLatencyKey(key);
    if (parsed === undefined) continue;
    const list = needs.get(parsed.metric) ?? [];
    if ("percentile" in parsed && !list.includes(parsed.percentile)) list.push(parsed.percentile);
    needs.set(parsed.metric, list);
  }
  return needs;
}

/** Latency statistics a verdict may read: the threshold-only ones first, then the reported ones. */
type StatsSource = Pick<Summary, "metrics"> & { thresholdStats?: Partial<Record<MetricName, SeriesStats>> };

function measureLatency(parsed: LatencyThreshold, summary: StatsSource): number {
  const stats = summary.thresholdStats?.[parsed.metric] ?? summary.metrics[parsed.metric];
  // A statistic of nothing (no successful request) cannot pass a gate: NaN fails every comparison.
  if (stats === undefined || stats.count === 0) return NaN;
  if ("stat" in parsed) return stats[parsed.stat];
  return stats.percentiles[percentileKey(parsed.percentile)] ?? NaN;
}

/**
 * One verdict per threshold, in the config's key order. Latencies pass when
 * `measured <= limit`; `throughput_min` (output token throughput, tok/s) and
 * `success_rate` (completed / total) when `measured >= limit`. A value that
 * could not be measured is NaN and fails.
 */
export function evaluateThresholds(
  thresholds: Readonly<Record<string, number>>,
  summary: Summary & { thresholdStats?: Partial<Record<MetricName, SeriesStats>> },
): ThresholdVerdict[] {
  const verdicts: ThresholdVerdict[] = [];
  for (const [key, limit] of Object.entries(thresholds)) {
    let measured: number;
    let comparison: "<=" | ">=" = "<=";
    if (key === "throughput_min") {
      measured = summary.outputThroughput;
      comparison = ">=";
    } else if (key === "success_rate") {
      measured = summary.total > 0 ? summary.completed / summary.total : NaN;
      comparison = ">=";
    } else {
      const parsed = parseLatencyKey(key);
      measured = parsed === undefined ? NaN : measureLatency(parsed, summary);
    }
    const passed = comparison === "<=" ? measured <= limit : measured >= limit;
    verdicts.push({ key, limit, measured, comparison, passed });
  }
  return verdicts;
}
