/**
 * Records → Summary, pure (spec/metrics.md). The vLLM-named numbers follow
 * vLLM's calculate_metrics; the extras never change them.
 *
 * One pass over the records with scalar locals and typed-array series, so a
 * million records summarise without per-record objects.
 */
import { clientExtras, EXTRA_PERCENTILES, type ClientStats } from "./client-metrics.ts";
import { ResponseTally } from "./response-extras.ts";
import { percentileKey, SeriesBuilder, unionPercentiles as union } from "./stats.ts";
import { peakOverlap, peakTokensPerSecond } from "./sweeps.ts";
import { thresholdNeeds } from "./thresholds.ts";
import type { FailureCategory, RequestRecord } from "../base/request-types.ts";
import type { FailureSummary, MetricName, SeriesStats, Summary } from "../base/summary-types.ts";
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

/** How many failures of each category the summary keeps verbatim. */
export const FAILURE_SAMPLES = 3;

export function summarize(
  records: readonly RequestRecord[],
  scenario: ResolvedScenario,
  client: ClientStats,
  options: SummarizeOptions = {},
): SummaryWithThresholdStats {
  const budget = options.valueBudget;
  let completed = 0;
  let itlCount = 0;
  for (const r of records) {
    if (!r.success) continue;
    completed++;
    if (r.chunkAtMs.length > 1) itlCount += r.chunkAtMs.length - 1;
  }
  const series = (capacity: number) => new SeriesBuilder({ capacity, valueBudget: budget });
  const ttft = series(completed);
  const tpot = series(completed);
  const itl = series(itlCount);
  const e2el = series(completed);
  const queue = series(records.length);
  const sendLag = series(records.length);
  const resentWait = new SeriesBuilder({ capacity: 16, valueBudget: budget });
  const e2elInclQueue = series(completed);
  const starts = new Float64Array(completed);
  const ends = new Float64Array(completed);

  const slo = scenario.goodput;
  const hasGoodput = slo.ttft !== undefined || slo.tpot !== undefined || slo.e2el !== undefined;
  let good = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  let fromServer = 0;
  let fromTokenizer = 0;
  let compared = 0;
  let mismatched = 0;
  let mismatchAbs = 0;
  let dispatched = 0;
  let lastDispatchMs = -Infinity;
  let firstSentMs = Infinity;
  let lastChunkMs = -Infinity;
  let s = 0;
  const failures: FailureSummary = { byCategory: {}, samples: [] };
  const failed: RequestRecord[] = [];
  const tally = new ResponseTally({ capacity: itlCount, valueBudget: budget ?? CONTENT_ITL_VALUE_BUDGET });

  for (const r of records) {
    const dispatchedAt = r.dispatchedAtMs;
    if (dispatchedAt === dispatchedAt) {
      dispatched++;
      if (dispatchedAt > lastDispatchMs) lastDispatchMs = dispatchedAt;
      queue.push(dispatchedAt - r.scheduledAtMs);
      // A re-sent request's wait before the re-send is the connection's, not the client's lateness: counted on its own.
      if (r.sentAtMs === r.sentAtMs) sendLag.push((r.firstSentAtMs ?? r.sentAtMs) - dispatchedAt);
    }
    if (r.resent) resentWait.push(r.sentAtMs - (r.firstSentAtMs ?? r.sentAtMs));
    if (!r.success) {
      const category: FailureCategory = r.error?.category ?? "stream";
      failures.byCategory[category] = (failures.byCategory[category] ?? 0) + 1;
      failed.push(r);
      continue;
    }
    const chunks = r.chunkAtMs;
    const sent = r.sentAtMs;
    const out = r.outputTokens;
    inputTokens += r.inputTokens;
    outputTokens += out;
    tally.add(r);
    if (r.outputTokenSource === "server") {
      fromServer++;
      // Compared only where both counts exist: a tokenizer count of 0 means no text came back to count.
      if (r.tokenizerOutputTokens !== undefined && r.tokenizerOutputTokens > 0) {
        compared++;
        const diff = Math.abs(out - r.tokenizerOutputTokens);
        mismatchAbs += diff;
        if (diff !== 0) mismatched++;
      }
    } else fromTokenizer++;
    if (chunks.length === 0) continue; // not a success by the rules; never let it poison the series
    const ttftMs = chunks[0]! - sent;
    const e2elMs = r.endAtMs - sent;
    // vLLM: TPOT only for outputs longer than one token; for goodput such a request has TPOT 0.
    const tpotMs = out > 1 ? (e2elMs - ttftMs) / (out - 1) : 0;
    ttft.push(ttftMs);
    e2el.push(e2elMs);
    if (out > 1) tpot.push(tpotMs);
    itl.pushGaps(chunks);
    e2elInclQueue.push(r.endAtMs - r.scheduledAtMs);
    if (
      hasGoodput &&
      (slo.ttft === undefined || ttftMs <= slo.ttft) &&
      (slo.tpot === undefined || tpotMs <= slo.tpot) &&
      (slo.e2el === undefined || e2elMs <= slo.e2el)
    ) {
      good++;
    }
    starts[s] = sent;
    ends[s] = r.endAtMs;
    s++;
    if (sent < firstSentMs) firstSentMs = sent;
    if (chunks[chunks.length - 1]! > lastChunkMs) lastChunkMs = chunks[chunks.length - 1]!;
  }

  // The first few of each category, so a rare category is never hidden behind a common one.
  failed.sort((a, b) => a.index - b.index);
  const perCategory = new Map<string, number>();
  for (const r of failed) {
    const category = r.error?.category ?? "stream";
    const seen = perCategory.get(category) ?? 0;
    if (seen >= FAILURE_SAMPLES) continue;
    perCategory.set(category, seen + 1);
    failures.samples.push({ index: r.index, category, message: r.error?.message ?? "failed without a recorded error" });
  }

  const durationS = Math.max(0, (client.benchEndMs - client.benchStartMs) / 1000);
  const perS = (x: number) => (durationS > 0 ? x / durationS : 0);
  const { metrics, thresholdStats } = latencyStats(scenario, options, { ttft, tpot, itl, e2el });
  const extras = clientExtras(records, scenario, client, {
    queue,
    sendLag,
    e2elInclQueue,
    dispatched,
    lastDispatchMs,
    tokenSources: { server: fromServer, tokenizer: fromTokenizer, mismatchMeanAbs: compared > 0 ? mismatchAbs / compared : null, mismatchCount: mismatched },
  });
  Object.assign(extras, tally.extras());
  extras.resent = { requests: resentWait.count, waitMs: resentWait.stats(EXTRA_PERCENTILES) };

  return {
    completed,
    failed: records.length - completed,
    total: records.length,
    durationS,
    totalInputTokens: inputTokens,
    totalOutputTokens: outputTokens,
    requestThroughput: perS(completed),
    requestGoodput: hasGoodput ? perS(good) : null,
    outputThroughput: perS(outputTokens),
    totalTokenThroughput: perS(inputTokens + outputTokens),
    maxOutputTokensPerS: completed > 0 ? peakTokensPerSecond(records, firstSentMs, lastChunkMs) : 0,
    maxConcurrentRequests: peakOverlap(starts.subarray(0, s), ends.subarray(0, s)),
    metrics,
    failures,
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
