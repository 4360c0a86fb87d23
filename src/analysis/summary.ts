/**
 * The per-run statistical summary of `vbench analyze`: one JSON object per
 * run, the same as CSV columns, and the human table for stderr.
 */
import type { MetricName } from "../base/summary-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import type { ThresholdVerdict } from "../base/scenario-types.ts";
import type { RunVerdicts } from "./thresholds.ts";
import type { LoadedRun } from "./types.ts";
import type { Sweep } from "./sweeps.ts";
import { cell, clean, formatTable } from "./table.ts";

const LABEL: Record<MetricName, string> = { ttft: "TTFT", tpot: "TPOT", itl: "ITL", e2el: "E2EL" };

export function metricLabel(metric: MetricName): string {
  return LABEL[metric];
}

/** The JSON summary of one run (ms for latencies, per second for throughputs). */
export function runSummaryJson(judged: RunVerdicts): Record<string, unknown> {
  const { run } = judged;
  const metrics: Record<string, unknown> = {};
  for (const m of METRIC_NAMES) {
    const s = run.metrics[m];
    if (s) metrics[m] = { count: s.count, mean: s.mean, median: s.median, std: s.std, min: s.min, max: s.max, ...s.percentiles };
  }
  return {
    source: run.sourcePath,
    kind: run.kind,
    run_id: run.runId,
    scenario: run.scenario,
    variant: run.variant,
    model: run.model,
    backend: run.backend,
    timestamp: run.timestamp,
    completed: run.completed,
    failed: run.failed,
    success_rate: run.successRate,
    duration_s: run.durationS,
    request_throughput: run.requestThroughput,
    output_throughput: run.outputThroughput,
    total_token_throughput: run.totalTokenThroughput,
    max_output_tokens_per_s: run.maxOutputTokensPerS,
    max_concurrent_requests: run.maxConcurrentRequests,
    per_request_data: run.requests !== null,
    metrics,
    thresholds_source: judged.source,
    thresholds: judged.verdicts.map((v) => ({ key: v.key, limit: v.limit, measured: v.measured, comparison: v.comparison, passed: v.passed, ...(v.implicit ? { implicit: true } : {}) })),
    passed: judged.verdicts.every((v) => v.passed),
  };
}

/** CSV columns: fixed ones (a sweep point names its swept parameter and value), then `{metric}_{stat}_ms` for every statistic any run has (stable order). */
export function summaryCsvRows(judged: RunVerdicts[], sweeps: Sweep[] = []): { fields: string[]; rows: Record<string, unknown>[] } {
  const swept = new Map(sweeps.flatMap((s) => s.points.map((p) => [p.member, { parameter: s.parameter, value: p.value }] as const)));
  const statKeys: string[] = [];
  for (const m of METRIC_NAMES) {
    const stats = new Set<string>();
    for (const { run } of judged) for (const p of Object.keys(run.metrics[m]?.percentiles ?? {})) stats.add(p);
    if (!judged.some(({ run }) => run.metrics[m])) continue;
    const ps = [...stats].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    for (const s of ["count", "mean", "median", "std", "min", "max", ...ps]) statKeys.push(`${m}_${s}${s === "count" ? "" : "_ms"}`);
  }
  const fixed = ["source", "kind", "run_id", "scenario", "variant", "sweep_parameter", "sweep_value", "model", "backend", "timestamp", "completed", "failed", "success_rate", "duration_s", "request_throughput", "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests"];
  const rows = judged.map((j) => {
    const json = runSummaryJson(j);
    const row: Record<string, unknown> = {};
    for (const k of fixed) row[k] = json[k];
    const point = swept.get(j.run);
    row.sweep_parameter = point?.parameter ?? null;
    row.sweep_value = point ? (Number.isFinite(point.value) ? point.value : "inf") : null;
    for (const key of statKeys) {
      const [m, s] = key.replace(/_ms$/, "").split(/_(.*)/s) as [MetricName, string];
      const stats = j.run.metrics[m];
      const v = stats ? (s in stats.percentiles ? stats.percentiles[s] : (stats as unknown as Record<string, unknown>)[s]) : null;
      row[key] = v ?? null;
    }
    row.thresholds_passed = j.verdicts.length === 0 ? null : j.verdicts.every((v) => v.passed);
    row.thresholds_failed = j.verdicts.filter((v) => !v.passed).map((v) => v.key).join(" ");
    return row;
  });
  return { fields: [...fixed, ...statKeys, "thresholds_passed", "thresholds_failed"], rows };
}

function verdictLine(v: ThresholdVerdict): string {
  const measured = Number.isNaN(v.measured) ? "missing" : cell(v.measured, v.key === "success_rate" ? 4 : 2);
  return `${v.passed ? "PASS" : "FAIL"} ${v.key}: measured ${measured}, limit ${v.comparison} ${v.limit}${v.implicit ? " (implicit: no success_rate threshold set)" : ""}`;
}

/** The human summary of one run: counts, throughputs, a statistics table per metric, verdicts. */
export function formatRunSummary(judged: RunVerdicts): string {
  const { run } = judged;
  const lines: string[] = [];
  lines.push(`  run ${clean(run.timestamp ?? "(no date)")} [${run.kind}${run.requests ? ", per-request data" : ""}] ${clean(run.sourcePath)}`);
  lines.push(`    requests: ${run.completed} ok, ${run.failed} failed, success ${(run.successRate * 100).toFixed(2)}%, duration ${cell(run.durationS)} s`);
  lines.push(
    `    throughput: ${cell(run.requestThroughput)} req/s, ${cell(run.outputThroughput)} output tok/s, ${cell(run.totalTokenThroughput)} total tok/s` +
      (run.maxOutputTokensPerS !== null ? `, peak ${cell(run.maxOutputTokensPerS)} tok/s` : "") +
      (run.maxConcurrentRequests !== null ? `, peak concurrency ${cell(run.maxConcurrentRequests, 0)}` : ""),
  );
  const ps = new Set<string>();
  for (const m of METRIC_NAMES) for (const p of Object.keys(run.metrics[m]?.percentiles ?? {})) ps.add(p);
  const pcols = [...ps].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const rows = METRIC_NAMES.filter((m) => run.metrics[m]).map((m) => {
    const s = run.metrics[m]!;
    return [LABEL[m], s.count === null ? "-" : String(s.count), cell(s.mean), cell(s.median), cell(s.std), cell(s.min), cell(s.max), ...pcols.map((p) => cell(s.percentiles[p]))];
  });
  if (rows.length > 0) lines.push(formatTable(["ms", "n", "mean", "median", "std", "min", "max", ...pcols], rows, { indent: "    " }).trimEnd());
  if (judged.verdicts.length > 0) {
    const failed = judged.verdicts.filter((v) => !v.passed).length;
    lines.push(`    thresholds (${judged.source === "config" ? "from --config" : judged.source === "result" ? "saved with the run" : "implicit"}): ${failed === 0 ? `all ${judged.verdicts.length} passed` : `${failed} of ${judged.verdicts.length} FAILED`}`);
    for (const v of judged.verdicts) lines.push(`      ${verdictLine(v)}`);
  }
  return lines.join("\n") + "\n";
}

