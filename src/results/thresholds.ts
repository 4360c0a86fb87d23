/**
 * CI gates (spec/output.md "Thresholds"): validate the configured keys before
 * any traffic, and judge a finished run against them. The one evaluator: a
 * run's Summary, a saved result of any format (src/analysis/normalize.ts)
 * and `vbench standardize` are all judged here, against ThresholdSubject.
 */
import { ExitCode, VbenchError } from "../base/errors.ts";
import { percentileKey } from "./stats.ts";
import { didYouMean } from "../base/suggest.ts";
import { METRIC_NAMES, type MetricName } from "../base/summary-types.ts";
import type { FailureCategory } from "../base/request-types.ts";
import type { ThresholdVerdict } from "../base/scenario-types.ts";

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
  const keys = ["ttft_p95_ms", "tpot_mean_ms", "throughput_min", "success_rate", "output_ratio_min"];
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
  if (/^min_output_(ratio|tokens)$/.test(key)) return '; did you mean "output_ratio_min"?';
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
    const known = key === "throughput_min" || key === "success_rate" || key === "output_ratio_min" || parseLatencyKey(key) !== undefined;
    if (!known) {
      candidates ??= candidateKeys();
      errors.push(
        `unknown threshold "${key}"${aliasHint(key) ?? didYouMean(key, candidates)} ` +
          `(known: throughput_min, success_rate, output_ratio_min, {ttft|tpot|itl|e2el}_{mean|median|std|min|max|pNN}_ms)`,
      );
      continue;
    }
    if (typeof limit !== "number" || !Number.isFinite(limit)) {
      errors.push(`threshold "${key}" must be a finite number, got ${JSON.stringify(limit)}`);
    } else if ((key === "success_rate" || key === "output_ratio_min") && (limit < 0 || limit > 1)) {
      errors.push(`threshold "${key}" is a fraction in [0, 1], got ${limit}`);
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

/** Statistics of one latency metric as a verdict reads them: a run's SeriesStats, or a saved file's (null where the file does not say). */
export interface MeasuredStats {
  count: number | null;
  mean: number;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Keyed `p95`, `p99.9`. */
  percentiles: Readonly<Record<string, number>>;
}

/**
 * The one shape every threshold is judged against: a finished run's Summary
 * fits it as is, and so does a result loaded from a file (src/analysis).
 */
export interface ThresholdSubject {
  completed: number;
  /** Failed requests, cancelled ones included (vLLM's `failed`). */
  failed: number;
  /** Failures by category: `cancelled` (an interrupted run's in-flight requests) are neither successes nor failures here. */
  failures: { byCategory: Readonly<Partial<Record<FailureCategory, number>>> };
  /** Output tokens per second; null when the file has none. */
  outputThroughput: number | null;
  metrics: Readonly<Partial<Record<MetricName, MeasuredStats>>>;
  /** Statistics computed only for thresholds (a metric or percentile not reported); read first. */
  thresholdStats?: Readonly<Partial<Record<MetricName, MeasuredStats>>>;
  /** For `output_ratio_min`: the smallest output/requested ratio of a successful request (absent or null: not known). */
  extras?: { shortOutputs?: { minRatio: number | null } };
}

function measureLatency(parsed: LatencyThreshold, subject: ThresholdSubject): number {
  const stats = subject.thresholdStats?.[parsed.metric] ?? subject.metrics[parsed.metric];
  // A statistic of nothing (no successful request; vLLM then writes 0s) cannot pass a gate: NaN fails every comparison.
  if (stats === undefined || stats.count === 0 || subject.completed === 0) return NaN;
  if ("stat" in parsed) return stats[parsed.stat] ?? NaN;
  return stats.percentiles[percentileKey(parsed.percentile)] ?? NaN;
}

/** Requests that failed for a reason other than an interrupt. */
export function realFailures(subject: Pick<ThresholdSubject, "failed" | "failures">): number {
  return subject.failed - (subject.failures.byCategory.cancelled ?? 0);
}

/**
 * completed / (completed + failed), cancelled requests (an interrupted run's in-flight ones: the
 * interrupt, not the server) left out of both; NaN when nothing finished. The one definition of
 * `success_rate`: the threshold, the result documents and the analysis commands all read it here.
 */
export function successRate(subject: Pick<ThresholdSubject, "completed" | "failed" | "failures">): number {
  const finished = subject.completed + realFailures(subject);
  return finished > 0 ? subject.completed / finished : NaN;
}

function measure(key: string, subject: ThresholdSubject): number {
  if (key === "throughput_min") return subject.outputThroughput ?? NaN;
  if (key === "success_rate") return successRate(subject);
  if (key === "output_ratio_min") return subject.extras?.shortOutputs?.minRatio ?? NaN;
  const parsed = parseLatencyKey(key);
  return parsed === undefined ? NaN : measureLatency(parsed, subject);
}

/**
 * The implicit gate: a run in which requests failed (interrupt cancellations
 * aside) fails `success_rate >= 1` unless a `success_rate` threshold says how
 * many failures it tolerates. Its verdict is added only when it fails, so a
 * clean run's verdicts are exactly its configured thresholds.
 */
export function withImplicitSuccessRate(verdicts: ThresholdVerdict[], subject: ThresholdSubject): ThresholdVerdict[] {
  if (verdicts.some((v) => v.key === "success_rate") || realFailures(subject) <= 0) return verdicts;
  return [...verdicts, { key: "success_rate", limit: 1, measured: successRate(subject), comparison: ">=", passed: false, implicit: true }];
}

/**
 * One verdict per threshold, in the config's key order, then the implicit
 * success_rate one when it fails (withImplicitSuccessRate). Latencies pass
 * when `measured <= limit`; `throughput_min` (output token throughput, tok/s),
 * `success_rate` and `output_ratio_min` (every successful request got at least
 * this fraction of the tokens it asked for) when `measured >= limit`. A value that could not be
 * measured is NaN and fails. Unknown keys or non-numeric limits are a
 * configuration error (exit 2), with the did-you-mean of validateThresholdKeys.
 */
export function evaluateThresholds(thresholds: Readonly<Record<string, unknown>>, subject: ThresholdSubject): ThresholdVerdict[] {
  const problems = validateThresholdKeys(thresholds as Record<string, number>);
  if (problems.length > 0) {
    throw new VbenchError("config_invalid", `invalid thresholds: ${problems[0]}`, { details: problems.slice(1), exitCode: ExitCode.config });
  }
  const verdicts: ThresholdVerdict[] = [];
  for (const [key, value] of Object.entries(thresholds)) {
    const limit = value as number;
    const measured = measure(key, subject);
    const comparison = key === "throughput_min" || key === "success_rate" || key === "output_ratio_min" ? ">=" : "<=";
    const passed = comparison === "<=" ? measured <= limit : measured >= limit;
    verdicts.push({ key, limit, measured, comparison, passed });
  }
  return withImplicitSuccessRate(verdicts, subject);
}

/** `scenario[/variant]: key` of every failed verdict, for the one line `run` and `merge` end a failed gate with. */
export function failedVerdictNames(results: readonly { scenario: { name: string }; run: { variant: string }; thresholds: readonly ThresholdVerdict[] }[]): string[] {
  return results.flatMap((r) =>
    r.thresholds.filter((t) => !t.passed).map((t) => `${r.scenario.name}${r.run.variant ? `/${r.run.variant}` : ""}: ${t.key}${t.implicit ? " (implicit: requests failed and no success_rate threshold tolerates them)" : ""}`),
  );
}
