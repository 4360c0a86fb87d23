/**
 * summary.csv columns: one row per scenario result (a sweep's points are
 * rows, told apart by `variant`; `sweep_parameter` and `sweep_value` make
 * them one series: throughput against latency per level, src/analysis/sweeps.ts),
 * every run-level metric a column. Metric
 * column names follow benchmark_results.json (`p95_ttft_ms`). The column set
 * is the union over all results, in a fixed order, so a scenario that did not
 * select a metric or percentile leaves those cells empty.
 */
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import type { SeriesStats } from "../../src/base/summary-types.ts";
import { METRIC_NAMES } from "../../src/base/summary-types.ts";
import { percentileWord, runLevelFields } from "../../src/results/result-docs.ts";
import { redactUrl } from "../../src/base/redact.ts";
import { RESPONSE_EXTRA_COLUMNS, responseExtrasCells } from "../../src/results/response-extras.ts";
import { findSweeps, type SweepParameter } from "../../src/analysis/sweeps.ts";

type Row = Record<string, unknown>;

const LEADING = [
  "scenario", "variant", "sweep_parameter", "sweep_value", "description", "run_id", "started_at", "model", "backend", "endpoint",
  "dataset_type", "num_prompts", "max_concurrency", "request_rate", "burstiness",
  "duration_s", "completed", "failed", "total", "success_rate",
  "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput",
  "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests",
  "achieved_request_rate",
];

const TRAILING = [
  "mean_client_queue_ms", "p99_client_queue_ms", "max_client_queue_ms",
  "p99_send_lag_ms", "p99_dispatch_lag_ms", "mean_e2el_incl_queue_ms", "p99_e2el_incl_queue_ms",
  "event_loop_lag_p99_ms", "client_cpu_s", "steal_ms", "client_bound",
  "token_source_server", "token_source_tokenizer", ...RESPONSE_EXTRA_COLUMNS, "interrupted", "thresholds_failed", "passed",
];

export function summaryColumns(results: ScenarioResult[]): string[] {
  const metricCols: string[] = [];
  for (const m of METRIC_NAMES) {
    const selected = results.filter((r) => r.scenario.percentileMetrics.includes(m));
    if (selected.length === 0) continue;
    const ps = [...new Set(selected.flatMap((r) => r.scenario.metricPercentiles))].sort((a, b) => a - b);
    metricCols.push(`count_${m}`, `mean_${m}_ms`, `median_${m}_ms`, `std_${m}_ms`, ...ps.map((p) => `p${percentileWord(p)}_${m}_ms`));
  }
  return [...LEADING, ...metricCols, ...TRAILING];
}

function p(stats: SeriesStats, key: string): number | undefined {
  return stats.percentiles[key];
}

/** The sweep point of each result that is one (findSweeps over the results of this run). */
export function sweepPoints(results: ScenarioResult[]): Map<ScenarioResult, { parameter: SweepParameter; value: number }> {
  const members = results.map((r) => ({ result: r, runId: r.run.runId, scenarioName: r.scenario.name, variant: r.run.variant, maxConcurrency: r.scenario.maxConcurrency, requestRateRps: r.scenario.requestRate }));
  return new Map(findSweeps(members).flatMap((s) => s.points.map((p) => [p.member.result, { parameter: s.parameter, value: p.value }] as const)));
}

export function summaryRow(result: ScenarioResult, sweep?: { parameter: SweepParameter; value: number }): Row {
  const { scenario: s, summary: sum, run } = result;
  const x = sum.extras;
  const row: Row = {
    scenario: s.name,
    variant: run.variant,
    sweep_parameter: sweep?.parameter,
    sweep_value: sweep?.value,
    description: s.description,
    run_id: run.runId,
    started_at: run.startedAtIso,
    model: s.model,
    backend: s.backend,
    endpoint: redactUrl(s.baseUrl) + s.endpointPath,
    dataset_type: s.dataset.type,
    num_prompts: s.numPrompts,
    max_concurrency: s.maxConcurrency,
    request_rate: s.requestRate,
    burstiness: s.burstiness,
    duration_s: sum.durationS,
    completed: sum.completed,
    failed: sum.failed,
    total: sum.total,
    success_rate: sum.total > 0 ? sum.completed / sum.total : 0,
    ...runLevelFields(sum),
    achieved_request_rate: x.achievedRateRps,
    mean_client_queue_ms: x.clientQueueMs.mean,
    p99_client_queue_ms: p(x.clientQueueMs, "p99"),
    max_client_queue_ms: x.clientQueueMs.max,
    p99_send_lag_ms: p(x.sendLagMs, "p99"),
    p99_dispatch_lag_ms: p(x.dispatchLagMs, "p99"),
    mean_e2el_incl_queue_ms: x.e2elInclQueueMs.mean,
    p99_e2el_incl_queue_ms: p(x.e2elInclQueueMs, "p99"),
    event_loop_lag_p99_ms: x.eventLoopLagMs.p99,
    client_cpu_s: x.clientCpuS,
    steal_ms: x.stealMs ?? null,
    client_bound: x.clientBound,
    token_source_server: x.tokenSources.server,
    token_source_tokenizer: x.tokenSources.tokenizer,
    ...responseExtrasCells(x),
    interrupted: run.interrupted,
    thresholds_failed: result.thresholds.filter((v) => !v.passed).map((v) => v.key).join(" "),
    passed: result.thresholds.every((v) => v.passed),
  };
  for (const m of s.percentileMetrics) {
    const st = sum.metrics[m];
    if (!st) continue;
    row[`count_${m}`] = st.count;
    row[`mean_${m}_ms`] = st.mean;
    row[`median_${m}_ms`] = st.median;
    row[`std_${m}_ms`] = st.std;
    for (const q of s.metricPercentiles) row[`p${percentileWord(q)}_${m}_ms`] = p(st, `p${percentileWord(q)}`);
  }
  return row;
}
