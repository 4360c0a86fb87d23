/**
 * One scenario after precedence: its merged keys checked (backend and
 * endpoint, metrics, goodput, dataset, ramp-up) and turned into the frozen
 * ResolvedScenario the engine runs. Problems are collected, not thrown.
 */
import { existsSync } from "node:fs";
import type { MetricName } from "../base/summary-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import { closestMatch } from "../base/suggest.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { SAMPLING_KEYS, type ScenarioInput } from "./schema.ts";
import { parseGoodput, parseList } from "./values.ts";
import { resolveDataset, scenarioDataset } from "./dataset.ts";

/**
 * The seed's MODEL_NAME doubles as the tokenizer fallback: when no tokenizer
 * was given and the model names a local folder (or file) with a
 * tokenizer.json, that tokenizer is used; otherwise the built-in GPT-2.
 * Hub names are never downloaded.
 */
function tokenizerFor(merged: ScenarioInput, explicit: boolean): string {
  if (explicit || !merged.model) return merged.tokenizer!;
  if (merged.model.endsWith(".json") && existsSync(merged.model)) return merged.model;
  const inFolder = `${merged.model.replace(/\/+$/, "")}/tokenizer.json`;
  return existsSync(inFolder) ? inFolder : merged.tokenizer!;
}

export function buildScenario(merged: ScenarioInput, where: string, place: (key: string) => string, registry: Registry, exporters: string[], problems: string[], tokenizerExplicit = false): ResolvedScenario | null {
  const before = problems.length;
  const backendName = merged.backend!;
  let endpointPath = merged.endpoint_path;
  if (!registry.hasBackend(backendName)) {
    const guess = closestMatch(backendName, registry.backendNames());
    problems.push(`${place("backend")}: unknown backend "${backendName}"${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${registry.backendNames().join(", ")}`);
  } else {
    const backend = registry.backend(backendName);
    endpointPath ??= backend.defaultEndpointPath;
    const hint = backend.checkEndpointPath?.(endpointPath);
    if (hint) problems.push(`${place("endpoint_path")}: "${endpointPath}" does not fit backend ${backendName}: ${hint}`);
  }

  const percentileMetrics = parseList(merged.percentile_metrics!).map((s) => s.toLowerCase());
  for (const metric of percentileMetrics) {
    if (!METRIC_NAMES.includes(metric as MetricName)) problems.push(`${place("percentile_metrics")}: unknown metric "${metric}"; available: ${METRIC_NAMES.join(", ")}`);
  }
  const metricPercentiles = parseList(merged.metric_percentiles!).map(Number);
  for (const p of metricPercentiles) if (!(p > 0 && p <= 100)) problems.push(`${place("metric_percentiles")}: expected numbers in (0, 100], found ${p}`);

  const goodput = parseGoodput(merged.goodput, place("goodput"), problems);
  const { dataset, problems: datasetProblems } = resolveDataset(merged, place);
  problems.push(...datasetProblems);

  // Files the scenario names: reported with every other problem, before anything is loaded or sent.
  if (merged.dataset_path !== undefined && !existsSync(merged.dataset_path)) problems.push(`${place("dataset_path")}: file not found: ${merged.dataset_path} (relative paths start from the working directory)`);

  let rampUp: ResolvedScenario["rampUp"] = null;
  if (merged.ramp_up_strategy) {
    if (merged.ramp_up_start_rps === undefined || merged.ramp_up_end_rps === undefined) problems.push(`${where}: ramp_up_strategy needs ramp_up_start_rps and ramp_up_end_rps`);
    else rampUp = { strategy: merged.ramp_up_strategy, startRps: merged.ramp_up_start_rps, endRps: merged.ramp_up_end_rps };
  }
  if (problems.length > before) return null;

  const sampling: Record<string, unknown> = {};
  for (const key of SAMPLING_KEYS) if (merged[key] !== undefined) sampling[key] = merged[key];
  const maxConcurrency = merged.max_concurrency ?? null;
  const rate = merged.request_rate === "inf" ? Infinity : merged.request_rate!;

  return {
    name: merged.name ?? "default",
    description: merged.description ?? "",
    backend: backendName,
    endpointPath: endpointPath!,
    baseUrl: merged.base_url!.replace(/\/+$/, ""),
    model: merged.model ?? "",
    servedModel: merged.served_model_name ?? merged.model ?? "",
    tokenizer: tokenizerFor(merged, tokenizerExplicit),
    // The options as written (no filled-in defaults): what the workload builder checks again, results store and `validate` prints.
    dataset: scenarioDataset(merged, dataset!),
    maxConcurrency,
    numPrompts: merged.num_prompts ?? maxConcurrency ?? 1000,
    requestRate: rate,
    burstiness: merged.burstiness === "inf" ? Infinity : merged.burstiness!,
    rampUp,
    durationS: merged.duration ?? null,
    randomInputLen: merged.random_input_len!,
    randomOutputLen: merged.random_output_len!,
    randomRangeRatio: merged.random_range_ratio!,
    randomPrefixLen: merged.random_prefix_len!,
    percentileMetrics: percentileMetrics as MetricName[],
    metricPercentiles,
    goodput,
    seed: merged.seed!,
    sampling,
    extraBody: merged.extra_body ?? {},
    headers: merged.headers ?? {},
    timeoutS: merged.timeout_s!,
    idleTimeoutS: merged.idle_timeout_s!,
    warmups: merged.warmups!,
    thresholds: merged.thresholds ?? {},
    exporters,
    saveGeneratedText: merged.save_generated_text ?? false,
    modelCheck: merged.model_check ?? true,
  };
}
