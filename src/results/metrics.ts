/**
 * Records → Summary, pure (spec/metrics.md). The vLLM-named numbers follow
 * vLLM's calculate_metrics; the extras never change them.
 *
 * One pass over the records, each taken by the accumulators of
 * summary-tallies.ts, so a million records summarise without per-record
 * objects.
 */
import { clientExtras, EXTRA_PERCENTILES, type ClientStats } from "./client-metrics.ts";
import { ResponseTally } from "./response-extras.ts";
import { percentileKey, SeriesBuilder, unionPercentiles as union } from "./stats.ts";
import { peakOverlap, peakTokensPerSecond } from "./sweeps.ts";
import { countSuccesses, DispatchTally, LatencyTally, summarizeFailures, TokenSourceTally } from "./summary-tallies.ts";
import { thresholdNeeds } from "./thresholds.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { MetricName, SeriesStats, Summary } from "../base/summary-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";

export { CLIENT_BOUND_MS, EXTRA_PERCENTILES, type ClientStats } from "./client-metrics.ts";

export interface SummarizeOptions {
  /** Percentiles reported for every selected metric besides scenario.metricPercentiles. */
  extraPercentiles?: readonly number[];
  /** Values kept exactly per series before switching to HDR (tests lower it). */
  valueBudget?: number;
}

/**
 * A Summary plus the statistics only thresholds need. `metrics` stays exactly
 * what percentile_metrics × metric_percentiles selects (so vLLM-compatible
 * outputs stay byte-compatible); a threshold on a metric or percentile that was
 * not selected is judged from `thresholdStats`, computed from the same sort.
 */
export interface SummaryWithThresholdStats extends Summary {
  thresholdStats: Partial<Record<MetricName, SeriesStats>>;
}

/**
 * Content-ITL values kept exactly before its series switches to HDR: an
 * extra beside vLLM's ITL, so it gets a quarter of the default budget (40 MB
 * at most) instead of doubling the ITL's memory on huge runs.
 */
const CONTENT_ITL_VALUE_BUDGET = 5_000_000;

export function summarize(
  records: readonly RequestRecord[],
  scenario: ResolvedScenario,
  client: ClientStats,
  options: SummarizeOptions = {},
): SummaryWithThresholdStats {
  const budget = options.valueBudget;
  const { completed, itlGaps } = countSuccesses(records);
  const dispatch = new DispatchTally(records.length, budget);
  const latency = new LatencyTally(completed, itlGaps, scenario.goodput, budget);
  const sources = new TokenSourceTally();
  const responses = new ResponseTally({ capacity: itlGaps, valueBudget: budget ?? CONTENT_ITL_VALUE_BUDGET });
  const failed: RequestRecord[] = [];
  for (const r of records) {
    dispatch.add(r);
    if (!r.success) {
      failed.push(r);
      continue;
    }
    responses.add(r);
    sources.add(r);
    latency.add(r);
  }

  const durationS = Math.max(0, (client.benchEndMs - client.benchStartMs) / 1000);
  const perS = (x: number) => (durationS > 0 ? x / durationS : 0);
  const { ttft, tpot, itl, e2el } = latency;
  const { metrics, thresholdStats } = latencyStats(scenario, options, { ttft, tpot, itl, e2el });
  const extras = clientExtras(records, scenario, client, {
    queue: dispatch.queue,
    sendLag: dispatch.sendLag,
    e2elInclQueue: latency.e2elInclQueue,
    dispatched: dispatch.dispatched,
    lastDispatchMs: dispatch.lastDispatchMs,
    tokenSources: sources.result(),
  });
  Object.assign(extras, responses.extras());
  extras.resent = { requests: dispatch.resentWait.count, waitMs: dispatch.resentWait.stats(EXTRA_PERCENTILES) };

  const { inputTokens, outputTokens } = latency;
  return {
    completed,
    failed: records.length - completed,
    total: records.length,
    durationS,
    totalInputTokens: inputTokens,
    totalOutputTokens: outputTokens,
    requestThroughput: perS(completed),
    requestGoodput: latency.hasGoodput ? perS(latency.good) : null,
    outputThroughput: perS(outputTokens),
    totalTokenThroughput: perS(inputTokens + outputTokens),
    maxOutputTokensPerS: completed > 0 ? peakTokensPerSecond(records, latency.firstSentMs, latency.lastChunkMs) : 0,
    maxConcurrentRequests: peakOverlap(latency.starts.subarray(0, latency.spans), latency.ends.subarray(0, latency.spans)),
    metrics,
    failures: summarizeFailures(failed),
    extras,
    thresholdStats,
  };
}

/** Selected metrics with the requested percentiles; threshold-only statistics beside them. */
function latencyStats(
  scenario: ResolvedScenario,
  options: SummarizeOptions,
  builders: Record<MetricName, SeriesBuilder>,
): Pick<SummaryWithThresholdStats, "metrics" | "thresholdStats"> {
  const reported = union(scenario.metricPercentiles, options.extraPercentiles ?? []);
  const needs = thresholdNeeds(scenario.thresholds);
  const metrics: Summary["metrics"] = {};
  const thresholdStats: SummaryWithThresholdStats["thresholdStats"] = {};
  for (const name of Object.keys(builders) as MetricName[]) {
    const selected = scenario.percentileMetrics.includes(name);
    const needed = needs.get(name);
    if (!selected && needed === undefined) continue;
    // One sort serves both: compute every percentile anyone wants, then trim per audience.
    const all = builders[name].stats(union(reported, needed ?? []));
    if (selected) metrics[name] = { ...all, percentiles: pick(all.percentiles, reported) };
    if (needed !== undefined) thresholdStats[name] = all;
  }
  return { metrics, thresholdStats };
}

function pick(percentiles: Record<string, number>, wanted: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of wanted) out[percentileKey(p)] = percentiles[percentileKey(p)]!;
  return out;
}
