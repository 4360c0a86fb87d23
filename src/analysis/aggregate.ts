/**
 * The seed's aggregate_metrics.py: every standardized result under a
 * directory in one JSON document (for dashboards and databases) and the
 * same as one flat CSV row per result. Result files without a standardized
 * copy (vLLM's own saved results, runs whose parsed/ was deleted) are
 * standardized on the fly, so each run appears exactly once.
 */
import { objectOrEmpty } from "../base/json-values.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import type { LoadedRun } from "./types.ts";

export const AGGREGATE_SCHEMA = "vbench.aggregate/1";

type Obj = Record<string, unknown>;


/** The aggregate document: results oldest first, each the standardized document plus where it came from. */
export function buildAggregate(runs: LoadedRun[], resultsDir: string, generatedAtIso: string): Obj {
  const results: Obj[] = runs.map((r) => ({ ...r.standardized, source_path: r.sourcePath }));
  return {
    schema: AGGREGATE_SCHEMA,
    generated_at: generatedAtIso,
    results_dir: resultsDir,
    count: results.length,
    scenarios: [...new Set(runs.map((r) => r.scenario))],
    passed: results.every((r) => r.passed !== false),
    results,
  };
}

const TOP = ["task_name", "scenario", "variant", "description", "timestamp", "model", "backend", "endpoint"];
const NUMBERS = ["duration_s", "completed", "failed", "success_rate", "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput", "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests"];

/** One flat row per result: parameters as `param_*`, metrics as `{metric}_{stat}_ms`, thresholds summarised. */
export function aggregateCsvRows(aggregate: Obj): { fields: string[]; rows: Obj[] } {
  const results = (aggregate.results as Obj[]) ?? [];
  const paramKeys = new Set<string>();
  const metricKeys = new Set<string>();
  for (const r of results) {
    for (const k of Object.keys(objectOrEmpty(r.parameters))) paramKeys.add(k);
    const metrics = objectOrEmpty(r.metrics);
    for (const m of METRIC_NAMES) for (const s of Object.keys(objectOrEmpty(metrics[m]))) metricKeys.add(`${m}\u0000${s}`);
  }
  // Metric columns: metric order, then mean/median/std, then percentiles ascending.
  const statOrder = (s: string) => (s === "mean" ? -3 : s === "median" ? -2 : s === "std" ? -1 : Number(s.slice(1)));
  const metricCols = [...metricKeys]
    .map((k) => k.split("\u0000") as [string, string])
    .sort((a, b) => METRIC_NAMES.indexOf(a[0] as never) - METRIC_NAMES.indexOf(b[0] as never) || statOrder(a[1]) - statOrder(b[1]));
  const fields = [...TOP, ...[...paramKeys].map((k) => `param_${k}`), ...NUMBERS, ...metricCols.map(([m, s]) => `${m}_${s}_ms`), "passed", "thresholds_failed", "source_tool", "run_id", "source_path"];
  const rows = results.map((r) => {
    const row: Obj = {};
    for (const k of TOP) row[k] = r[k] ?? null;
    const params = objectOrEmpty(r.parameters);
    for (const k of paramKeys) row[`param_${k}`] = Array.isArray(params[k]) ? (params[k] as unknown[]).join(",") : params[k] ?? null;
    for (const k of NUMBERS) row[k] = r[k] ?? null;
    const metrics = objectOrEmpty(r.metrics);
    for (const [m, s] of metricCols) row[`${m}_${s}_ms`] = objectOrEmpty(metrics[m])[s] ?? null;
    row.passed = r.passed ?? null;
    row.thresholds_failed = Object.entries(objectOrEmpty(r.thresholds)).filter(([, v]) => objectOrEmpty(v).passed === false).map(([k]) => k).join(" ");
    row.source_tool = objectOrEmpty(r.source).tool ?? null;
    row.run_id = objectOrEmpty(r.source).run_id ?? null;
    row.source_path = r.source_path ?? null;
    return row;
  });
  return { fields, rows };
}
