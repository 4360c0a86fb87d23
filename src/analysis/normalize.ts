/**
 * Recognise a parsed JSON document as a result and normalise it into a
 * LoadedRun. Three layouts are read: vbench's benchmark_results.json (vLLM
 * keys + a `vbench` object), vLLM's own saved result (the same flat keys),
 * and the standardized document (spec/output.md), whose metrics are turned
 * back into the flat keys so one threshold evaluator serves all three.
 */
import type { MetricName } from "../core/types.ts";
import { METRIC_NAMES } from "../core/types.ts";
import type { FlatVerdict } from "../core/flat-thresholds.ts";
import { standardizeVllmResult, vllmDateToIso } from "../core/standardized.ts";
import { DETAILED_KEYS, definedValues, perRequestFromDetailed, pooledItlMs } from "./per-request.ts";
import type { LoadedRun, PerRequestData, RunMetricStats, RunSourceKind } from "./types.ts";

type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined;
}
export function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/**
 * What a document is: a result of one of the three kinds, `malformed` when
 * it claims to be a result but a required number is missing or not a number
 * (with the reason), or `unrelated` (config files, package.json, ...).
 */
export function classifyDocument(doc: unknown): { kind: RunSourceKind } | { kind: "malformed"; reason: string } | { kind: "unrelated" } {
  const o = obj(doc);
  if (!o) return { kind: "unrelated" };
  if (typeof o.schema === "string" && o.schema.startsWith("vbench.standardized/")) {
    return num(o.completed) === null || num(o.duration_s) === null
      ? { kind: "malformed", reason: "standardized document without numeric `completed` and `duration_s`" }
      : { kind: "standardized" };
  }
  const vb = obj(o.vbench);
  const looksVllm = "completed" in o && ("duration" in o || "mean_ttft_ms" in o || "output_throughput" in o);
  if (!looksVllm && !(vb && typeof vb.schema === "string" && vb.schema.startsWith("vbench.result/"))) return { kind: "unrelated" };
  for (const key of ["completed", "duration"]) {
    if (num(o[key]) === null) return { kind: "malformed", reason: `\`${key}\` is ${key in o ? `not a number (${JSON.stringify(o[key])?.slice(0, 40)})` : "missing"}` };
  }
  return { kind: vb ? "vbench" : "vllm" };
}

/** `{mean, median, std, pNN}` of metric m from the flat keys; undefined when the file has none. */
function statsFromFlat(raw: Obj, m: MetricName): RunMetricStats | undefined {
  const mean = num(raw[`mean_${m}_ms`]);
  if (mean === null) return undefined;
  const re = new RegExp(`^p(\\d+(?:\\.\\d+)?)_${m}_ms$`);
  const ps = Object.keys(raw)
    .map((k) => re.exec(k)?.[1])
    .filter((p): p is string => p !== undefined && num(raw[`p${p}_${m}_ms`]) !== null)
    .sort((a, b) => Number(a) - Number(b));
  const percentiles: Record<string, number> = {};
  for (const p of ps) percentiles[`p${p}`] = raw[`p${p}_${m}_ms`] as number;
  return { count: null, mean, median: num(raw[`median_${m}_ms`]), std: num(raw[`std_${m}_ms`]), min: null, max: null, percentiles };
}

/** Count/min/max from vbench's metric_stats, else from the per-request values. */
function completeStats(stats: RunMetricStats, m: MetricName, vb: Obj | undefined, data: PerRequestData | null): void {
  const ms = obj(obj(vb?.metric_stats)?.[m]);
  if (ms) {
    stats.count = num(ms.count);
    stats.min = num(ms.min);
    stats.max = num(ms.max);
    return;
  }
  if (!data) return;
  const values = m === "itl" ? pooledItlMs(data) : definedValues(m === "ttft" ? data.ttftMs : m === "tpot" ? data.tpotMs : data.e2elMs);
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
  const metrics = obj(doc.metrics) ?? {};
  for (const m of METRIC_NAMES) {
    const entry = obj(metrics[m]);
    if (!entry) continue;
    for (const [stat, value] of Object.entries(entry)) flat[`${stat}_${m}_ms`] = value;
  }
  return flat;
}

function verdictsFromStandardized(doc: Obj): FlatVerdict[] {
  return Object.entries(obj(doc.thresholds) ?? {}).flatMap(([key, v]) => {
    const o = obj(v);
    return o ? [{ key, limit: num(o.limit) ?? NaN, measured: num(o.measured), comparison: o.comparison === ">=" ? (">=" as const) : ("<=" as const), passed: o.passed === true }] : [];
  });
}

function fileStem(path: string): string {
  return path.replace(/^.*\//, "").replace(/\.json$/i, "");
}

/** A LoadedRun from a classified document. `mtimeMs` orders runs whose file carries no date. */
export function toLoadedRun(doc: Obj, kind: RunSourceKind, sourcePath: string, mtimeMs: number): LoadedRun {
  const vb = kind === "vbench" ? obj(doc.vbench) : undefined;
  const isStd = kind === "standardized";
  let flat: Obj = isStd ? flatFromStandardized(doc) : { ...doc };
  const requests = isStd ? null : perRequestFromDetailed(doc);
  if (!isStd) {
    for (const k of DETAILED_KEYS) delete flat[k];
    delete flat.vbench;
    // vLLM's older files carry no `failed`; thresholds on success_rate need it.
    if (num(flat.failed) === null) flat = { ...flat, failed: requests ? requests.success.filter((s) => !s).length : 0 };
  }
  const metrics: Partial<Record<MetricName, RunMetricStats>> = {};
  for (const m of METRIC_NAMES) {
    const s = statsFromFlat(flat, m);
    if (!s) continue;
    completeStats(s, m, vb, requests);
    metrics[m] = s;
  }
  // Thresholds on min/max read vbench's metric_stats (flat-thresholds.ts): provide them for every kind that knows them.
  const metricStats: Obj = {};
  for (const [m, s] of Object.entries(metrics)) if (s.min !== null && s.max !== null) metricStats[m] = { count: s.count, min: s.min, max: s.max };
  if (Object.keys(metricStats).length > 0) flat.vbench = { metric_stats: metricStats };
  const completed = num(flat.completed) ?? 0;
  const failed = num(flat.failed) ?? 0;
  const variant = str(isStd ? doc.variant : vb?.variant);
  const name = str(isStd ? doc.scenario : vb?.scenario) ?? str(doc.label) ?? fileStem(sourcePath);
  const scenario = variant && !name.endsWith(`_${variant}`) ? `${name}_${variant}` : name;
  const timestamp = isStd ? str(doc.timestamp) : str(vb?.started_at) ?? vllmDateToIso(doc.date);
  const parsedTime = timestamp ? Date.parse(timestamp) : NaN;
  const runId = str(isStd ? obj(doc.source)?.run_id : vb?.run_id);
  // Derived from the full document (vbench's run id, scenario and config live in it); a standardized file read for the same run replaces it (load.ts).
  const standardized = isStd ? doc : standardizeVllmResult(doc);
  return {
    id: runId ?? sourcePath,
    sourcePath,
    kind,
    scenario,
    scenarioName: str(isStd ? doc.scenario : vb?.scenario) ?? scenario,
    model: str(isStd ? doc.model : doc.model_id),
    backend: str(doc.backend),
    timestamp,
    timeMs: Number.isFinite(parsedTime) ? parsedTime : mtimeMs,
    completed,
    failed,
    successRate: completed + failed > 0 ? completed / (completed + failed) : 0,
    durationS: num(flat.duration) ?? 0,
    requestThroughput: num(flat.request_throughput),
    outputThroughput: num(flat.output_throughput),
    totalTokenThroughput: num(flat.total_token_throughput),
    maxOutputTokensPerS: num(flat.max_output_tokens_per_s),
    maxConcurrentRequests: num(flat.max_concurrent_requests),
    metrics,
    flat,
    // The standardized document holds the stored verdicts of every kind (none for vLLM's files).
    thresholds: verdictsFromStandardized(standardized),
    requests,
    standardized,
  };
}
