/**
 * The standardized result (spec/output.md "Standardized result"): one flat,
 * stable JSON document per scenario for aggregation pipelines, the successor
 * of the seed's scripts/standardize_vllm_benchmark.py.
 *
 * There is one code path: a vbench result is first rendered as its
 * vLLM-compatible document, then standardized exactly like a file written by
 * vLLM's own benchmark. So `vbench standardize benchmark_results.json` gives
 * the same document the run wrote to parsed/.
 */
import type { ScenarioResult } from "../base/scenario-types.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { buildBenchmarkResults, toJsonValue } from "./result-docs.ts";
import { evaluateThresholds, successRate, withImplicitSuccessRate, type ThresholdSubject } from "./thresholds.ts";
import { flatSubject, storedVerdicts, type Obj } from "./flat-result.ts";
import { finiteOrNull, objectOrUndefined, stringOrNull } from "../base/json-values.ts";

export const STANDARDIZED_SCHEMA = "vbench.standardized/1";
export const DEFAULT_TASK_NAME = "vllm_benchmark";

export interface StandardizeOptions {
  taskName?: string;
  /** The parsed scenario file (seed format): thresholds, scenarios, defaults. */
  config?: Obj;
  /** Which scenario of the config the result belongs to (vLLM's files do not say). */
  scenarioName?: string;
}

/** A number, or vLLM's "inf" string for an unlimited request rate. */
function rate(v: unknown): number | "inf" | null {
  return v === "inf" || v === "Infinity" ? "inf" : finiteOrNull(v);
}
/** Seed lists come as "25,50,75" strings or arrays. */
function list(v: unknown): string[] | null {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string") return v.split(",").map((x) => x.trim()).filter(Boolean);
  return null;
}

/** vLLM's `date` (YYYYMMDD-HHMMSS, local time) as ISO 8601 UTC. */
export function vllmDateToIso(date: unknown): string | null {
  const m = typeof date === "string" ? /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(date) : null;
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** `{mean, median, std, p25, ...}` (ms) per metric found in the flat keys, percentiles ascending. */
function metricsJson(metrics: ThresholdSubject["metrics"]): Obj {
  const out: Obj = {};
  for (const [m, st] of Object.entries(metrics)) out[m] = { mean: st.mean, median: st.median, std: st.std, ...st.percentiles };
  return out;
}

/**
 * The config's scenario called `name` (a lone unnamed-for scenario when null). `required`: the name
 * came from the caller, and one the config lacks would silently leave out its thresholds.
 */
function configScenario(config: Obj | undefined, name: string | null, required = false): Obj | undefined {
  const scenarios = Array.isArray(config?.scenarios) ? (config.scenarios as unknown[]).map(objectOrUndefined).filter((s): s is Obj => !!s) : [];
  if (name === null) return scenarios.length === 1 ? scenarios[0] : undefined;
  const found = scenarios.find((s) => s.name === name);
  if (found || !required) return found;
  const names = scenarios.map((s) => s.name).filter((n): n is string => typeof n === "string");
  throw new VbenchError("config_invalid", `no scenario named "${name}"`, {
    hint: names.length ? `Its scenarios: ${names.join(", ")}.` : "The file has no named scenarios: leave out --scenario.",
    exitCode: ExitCode.config,
  });
}

/** The file's thresholds with the scenario's own merged over them (spec/config.md). */
function configThresholds(config: Obj, scenario: Obj | undefined): Record<string, unknown> {
  return { ...(objectOrUndefined(config.thresholds) ?? {}), ...(objectOrUndefined(scenario?.thresholds) ?? {}) };
}

function parameters(raw: Obj, vbConfig: Obj | undefined, sc: Obj | undefined, defaults: Obj | undefined): Obj {
  // vbench stored its resolved scenario; for vLLM's file the config (scenario over defaults) fills what the file lacks.
  const pick = (camel: string, snake: string): unknown => (vbConfig ? vbConfig[camel] : sc?.[snake] ?? defaults?.[snake]);
  return {
    dataset_type: stringOrNull(pick("datasetType", "dataset_type")),
    num_prompts: finiteOrNull(raw.num_prompts),
    request_rate: rate(raw.request_rate),
    burstiness: finiteOrNull(raw.burstiness),
    max_concurrency: finiteOrNull(raw.max_concurrency),
    duration_s: finiteOrNull(pick("durationS", "duration")),
    random_input_len: finiteOrNull(pick("randomInputLen", "random_input_len")),
    random_output_len: finiteOrNull(pick("randomOutputLen", "random_output_len")),
    random_range_ratio: finiteOrNull(pick("randomRangeRatio", "random_range_ratio")),
    random_prefix_len: finiteOrNull(pick("randomPrefixLen", "random_prefix_len")),
    seed: finiteOrNull(pick("seed", "seed")),
    tokenizer: stringOrNull(raw.tokenizer_id),
    percentile_metrics: list(pick("percentileMetrics", "percentile_metrics")),
    metric_percentiles: list(pick("metricPercentiles", "metric_percentiles"))?.map(Number) ?? null,
  };
}

/**
 * Standardize a saved result: vLLM's own (flat keys, no `vbench` object) or
 * vbench's benchmark_results.json. Thresholds come from `opts.config` when
 * given, else from the verdicts vbench stored; none means `passed: true`.
 */
export function standardizeVllmResult(raw: Obj, opts: StandardizeOptions = {}): Obj {
  if (finiteOrNull(raw.completed) === null || finiteOrNull(raw.duration) === null) {
    throw new VbenchError("result_invalid", "not a benchmark result: the keys `completed` and `duration` are missing", {
      hint: "Pass the benchmark_results.json written by vbench or the JSON saved by vLLM's benchmark (--save-result).",
      exitCode: ExitCode.config,
    });
  }
  const vb = objectOrUndefined(raw.vbench);
  const vbConfig = objectOrUndefined(vb?.config);
  const scenarioName = stringOrNull(vb?.scenario) ?? opts.scenarioName ?? null;
  // Whose thresholds apply: the scenario named by the caller (standardize --scenario), else the result's own.
  const sc = configScenario(opts.config, opts.scenarioName ?? scenarioName, opts.scenarioName !== undefined);
  const defaults = objectOrUndefined(opts.config?.defaults);

  // Older vLLM files carry no `failed`: the non-empty error strings are counted instead (flat-result.ts).
  const subject = flatSubject(raw);
  const { completed, failed } = subject;

  // The config's thresholds when given, else those vbench stored; either way the implicit success_rate gate (thresholds.ts).
  const verdicts = opts.config ? evaluateThresholds(configThresholds(opts.config, sc), subject) : withImplicitSuccessRate(storedVerdicts(vb?.thresholds), subject);
  const thresholds: Obj = {};
  for (const v of verdicts) thresholds[v.key] = { limit: v.limit, measured: v.measured, comparison: v.comparison, passed: v.passed, ...(v.implicit ? { implicit: true } : {}) };

  return toJsonValue<Obj>({
    schema: STANDARDIZED_SCHEMA,
    task_name: opts.taskName ?? DEFAULT_TASK_NAME,
    scenario: scenarioName ?? stringOrNull(sc?.name) ?? stringOrNull(raw.label) ?? "",
    variant: stringOrNull(vb?.variant) ?? "",
    description: stringOrNull(vb?.description) ?? stringOrNull(sc?.description) ?? "",
    timestamp: stringOrNull(vb?.started_at) ?? vllmDateToIso(raw.date),
    model: stringOrNull(raw.model_id),
    backend: stringOrNull(raw.backend),
    endpoint: stringOrNull(vb?.endpoint) ?? stringOrNull(sc?.endpoint_path) ?? stringOrNull(defaults?.endpoint_path),
    parameters: parameters(raw, vbConfig, sc, defaults),
    duration_s: finiteOrNull(raw.duration),
    completed,
    failed,
    // The threshold's definition (cancelled requests left out), 0 when nothing finished.
    success_rate: successRate(subject) || 0,
    total_input_tokens: finiteOrNull(raw.total_input_tokens),
    total_output_tokens: finiteOrNull(raw.total_output_tokens),
    request_throughput: finiteOrNull(raw.request_throughput),
    // Some vLLM versions saved this key with a stray colon.
    request_goodput: finiteOrNull(raw.request_goodput ?? raw["request_goodput:"]),
    output_throughput: finiteOrNull(raw.output_throughput),
    total_token_throughput: finiteOrNull(raw.total_token_throughput),
    max_output_tokens_per_s: finiteOrNull(raw.max_output_tokens_per_s),
    max_concurrent_requests: finiteOrNull(raw.max_concurrent_requests),
    metrics: metricsJson(subject.metrics),
    thresholds,
    passed: verdicts.every((v) => v.passed),
    source: {
      tool: vb ? "vbench" : "vllm",
      tool_version: stringOrNull(vb?.tool_version),
      run_id: stringOrNull(vb?.run_id),
      interrupted: vb ? vb.interrupted === true : null,
      // One shard's share of a sharded run: a result of its own, not the merged one (src/analysis/normalize.ts runKey).
      ...(objectOrUndefined(vb?.shard) ? { shard: { index: finiteOrNull(objectOrUndefined(vb?.shard)!.index), count: finiteOrNull(objectOrUndefined(vb?.shard)!.count) } } : {}),
    },
  });
}

/** The standardized document of a finished vbench run (parsed/NAME_TIMESTAMP_standardized.json). */
export function buildStandardized(result: ScenarioResult, taskName?: string): Obj {
  // The detailed arrays are not needed (vbench always writes `failed`) and dominate the cost.
  return standardizeVllmResult(toJsonValue<Obj>(buildBenchmarkResults(result, { detailed: false })), { taskName });
}
