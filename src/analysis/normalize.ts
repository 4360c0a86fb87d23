/**
 * Recognise a parsed JSON document as a result and normalise it into a
 * LoadedRun. Three layouts are read: vbench's benchmark_results.json (vLLM
 * keys + a `vbench` object), vLLM's own saved result (the same flat keys),
 * and the standardized document (spec/output.md), whose metrics are turned
 * back into the flat keys so one threshold evaluator serves all three.
 */
import type { MetricName } from "../base/summary-types.ts";
import type { ScenarioResult } from "../base/scenario-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import { standardizeVllmResult, vllmDateToIso } from "../results/standardized.ts";
import { buildBenchmarkResults, runLabel, toJsonValue } from "../results/result-docs.ts";
import { flatSubject, storedVerdicts } from "../results/flat-result.ts";
import { successRate } from "../results/thresholds.ts";
import { finiteOrNull, nonEmptyStringOrNull, objectOrUndefined } from "../base/json-values.ts";
import { DETAILED_KEYS, metricValuesMs, perRequestFromDetailed } from "./per-request.ts";
import type { LoadedRun, PerRequestData, RunMetricStats, RunSourceKind } from "./types.ts";

type Obj = Record<string, unknown>;


/**
 * What a document is: a result of one of the three kinds, `malformed` when
 * it claims to be a result but a required number is missing or not a number
 * (with the reason), or `unrelated` (config files, package.json, ...).
 */
export function classifyDocument(doc: unknown): { kind: RunSourceKind } | { kind: "malformed"; reason: string } | { kind: "unrelated" } {
  const fields = objectOrUndefined(doc);
  if (!fields) return { kind: "unrelated" };
  if (typeof fields.schema === "string" && fields.schema.startsWith("vbench.standardized/")) {
    return finiteOrNull(fields.completed) === null || finiteOrNull(fields.duration_s) === null
      ? { kind: "malformed", reason: "standardized document without numeric `completed` and `duration_s`" }
      : { kind: "standardized" };
  }
  const vb = objectOrUndefined(fields.vbench);
  const looksVllm = "completed" in fields && ("duration" in fields || "mean_ttft_ms" in fields || "output_throughput" in fields);
  if (!looksVllm && !(vb && typeof vb.schema === "string" && vb.schema.startsWith("vbench.result/"))) return { kind: "unrelated" };
  for (const key of ["completed", "duration"]) {
    if (finiteOrNull(fields[key]) === null) return { kind: "malformed", reason: `\`${key}\` is ${key in fields ? `not a number (${JSON.stringify(fields[key])?.slice(0, 40)})` : "missing"}` };
  }
  return { kind: vb ? "vbench" : "vllm" };
}

/** Count/min/max from the per-request values when the file's own statistics (vbench's metric_stats) lack them. */
function completeStats(stats: RunMetricStats, metric: MetricName, data: PerRequestData | null): void {
  if (!data || (stats.count !== null && stats.min !== null && stats.max !== null)) return;
  const values = metricValuesMs(data, metric);
  stats.count = values.length;
  let min = Infinity, max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length > 0) [stats.min, stats.max] = [min, max];
}

/** The flat vLLM keys a standardized document stands for (what thresholds read). */
function flatFromStandardized(doc: Obj): Obj {
  const flat: Obj = {
    date: null,
    backend: doc.backend,
    label: doc.scenario,
    model_id: doc.model,
    duration: doc.duration_s,
    completed: doc.completed,
    failed: doc.failed,
  };
  for (const k of ["total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput", "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests"]) flat[k] = doc[k];
  const metrics = objectOrUndefined(doc.metrics) ?? {};
  for (const m of METRIC_NAMES) {
    const entry = objectOrUndefined(metrics[m]);
    if (!entry) continue;
    for (const [stat, value] of Object.entries(entry)) flat[`${stat}_${m}_ms`] = value;
  }
  return flat;
}

function fileStem(path: string): string {
  return path.replace(/^.*\//, "").replace(/\.json$/i, "");
}

/** Configured rate, req/s: vLLM's "inf" is Infinity. */
function rateOf(v: unknown): number | null {
  return v === "inf" || v === "Infinity" ? Infinity : finiteOrNull(v);
}

/**
 * Identity across files: run id + scenario + sweep point. Files without a run
 * id (vLLM's) are matched to their standardized copy by what both carry.
 */
export function runKey(run: Pick<LoadedRun, "runId" | "scenarioName" | "variant" | "shard" | "timestamp" | "durationS" | "completed" | "failed" | "model">): string {
  if (run.runId !== null) return `id:${run.runId}\u0000${run.scenarioName}\u0000${run.variant}\u0000${run.shard ?? ""}`;
  return `v:${run.timestamp}|${run.durationS}|${run.completed}|${run.failed}|${run.model}`;
}

/** A LoadedRun from a classified document. `mtimeMs` orders runs whose file carries no date. */
export function toLoadedRun(doc: Obj, kind: RunSourceKind, sourcePath: string, mtimeMs: number): LoadedRun {
  const vb = kind === "vbench" ? objectOrUndefined(doc.vbench) : undefined;
  const isStd = kind === "standardized";
  let flat: Obj = isStd ? flatFromStandardized(doc) : { ...doc };
  const requests = isStd ? null : perRequestFromDetailed(doc);
  if (!isStd) {
    for (const k of DETAILED_KEYS) delete flat[k];
    delete flat.vbench;
    // vLLM's older files carry no `failed`; thresholds on success_rate need it.
    if (finiteOrNull(flat.failed) === null) flat = { ...flat, failed: requests ? requests.success.filter((s) => !s).length : 0 };
  }
  // vbench's metric_stats (count, min, max), failure categories and short outputs live in its `vbench` object; the standardized document has none.
  const { metrics, failures, extras } = flatSubject(isStd ? flat : doc);
  for (const m of METRIC_NAMES) if (metrics[m]) completeStats(metrics[m]!, m, requests);
  const completed = finiteOrNull(flat.completed) ?? 0;
  const failed = finiteOrNull(flat.failed) ?? 0;
  const params = isStd ? objectOrUndefined(doc.parameters) : doc;
  const variant = nonEmptyStringOrNull(isStd ? doc.variant : vb?.variant) ?? "";
  const scenarioName = nonEmptyStringOrNull(isStd ? doc.scenario : vb?.scenario) ?? nonEmptyStringOrNull(doc.label) ?? fileStem(sourcePath);
  const timestamp = isStd ? nonEmptyStringOrNull(doc.timestamp) : nonEmptyStringOrNull(vb?.started_at) ?? vllmDateToIso(doc.date);
  const parsedTime = timestamp ? Date.parse(timestamp) : NaN;
  // Derived from the full document (vbench's run id, scenario and config live in it); a standardized file read for the same run replaces it (load.ts).
  const standardized = isStd ? doc : standardizeVllmResult(doc);
  const shard = objectOrUndefined(objectOrUndefined(standardized.source)?.shard);
  const run: Omit<LoadedRun, "key"> = {
    runId: nonEmptyStringOrNull(isStd ? objectOrUndefined(doc.source)?.run_id : vb?.run_id),
    sourcePath,
    kind,
    scenario: runLabel(scenarioName, variant),
    scenarioName,
    variant,
    shard: shard ? `${finiteOrNull(shard.index)}/${finiteOrNull(shard.count)}` : null,
    maxConcurrency: finiteOrNull(params?.max_concurrency),
    requestRateRps: rateOf(params?.request_rate),
    model: nonEmptyStringOrNull(isStd ? doc.model : doc.model_id),
    backend: nonEmptyStringOrNull(doc.backend),
    timestamp,
    timeMs: Number.isFinite(parsedTime) ? parsedTime : mtimeMs,
    completed,
    failed,
    failures: { byCategory: failures.byCategory },
    successRate: successRate({ completed, failed, failures }) || 0,
    durationS: finiteOrNull(flat.duration) ?? 0,
    requestThroughput: finiteOrNull(flat.request_throughput),
    outputThroughput: finiteOrNull(flat.output_throughput),
    totalTokenThroughput: finiteOrNull(flat.total_token_throughput),
    maxOutputTokensPerS: finiteOrNull(flat.max_output_tokens_per_s),
    maxConcurrentRequests: finiteOrNull(flat.max_concurrent_requests),
    metrics,
    flat,
    // The standardized document holds the stored verdicts of every kind, the implicit success_rate included (standardized.ts).
    thresholds: storedVerdicts(standardized.thresholds),
    extras,
    requests,
    stealMs: finiteOrNull(objectOrUndefined(vb?.client)?.steal_ms),
    standardized,
  };
  return { key: runKey(run), ...run };
}

/** A finished run as the analysis commands see its benchmark_results.json (the html exporter's view of a live result). */
export function loadedFromResult(result: ScenarioResult, sourcePath: string): LoadedRun {
  const doc = toJsonValue<Obj>(buildBenchmarkResults(result));
  return toLoadedRun(doc, "vbench", sourcePath, Date.parse(result.run.startedAtIso) || 0);
}
