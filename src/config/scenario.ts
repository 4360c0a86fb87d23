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
import { datasetOptions, resolveDataset } from "./dataset.ts";

/**
 * The seed's MODEL_NAME doubles as the tokenizer fallback: when no tokenizer
 * was given and the model names a local folder (or file) with a
 * tokenizer.json, that tokenizer is used; otherwise the built-in GPT-2.
 * Hub names are never downloaded.
 */
function tokenizerFor(m: ScenarioInput, explicit: boolean): string {
  if (explicit || !m.model) return m.tokenizer!;
  if (m.model.endsWith(".json") && existsSync(m.model)) return m.model;
  const inFolder = `${m.model.replace(/\/+$/, "")}/tokenizer.json`;
  return existsSync(inFolder) ? inFolder : m.tokenizer!;
}

export function buildScenario(m: ScenarioInput, where: string, place: (key: string) => string, registry: Registry, exporters: string[], problems: string[], tokenizerExplicit = false): ResolvedScenario | null {
  const before = problems.length;
  const backendName = m.backend!;
  let endpointPath = m.endpoint_path;
  if (!registry.hasBackend(backendName)) {
    const guess = closestMatch(backendName, registry.backendNames());
    problems.push(`${place("backend")}: unknown backend "${backendName}"${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${registry.backendNames().join(", ")}`);
  } else {
    const backend = registry.backend(backendName);
    endpointPath ??= backend.defaultEndpointPath;
    const hint = backend.checkEndpointPath?.(endpointPath);
    if (hint) problems.push(`${place("endpoint_path")}: "${endpointPath}" does not fit backend ${backendName}: ${hint}`);
  }

  const percentileMetrics = parseList(m.percentile_metrics!).map((s) => s.toLowerCase());
  for (const metric of percentileMetrics) {
    if (!METRIC_NAMES.includes(metric as MetricName)) problems.push(`${place("percentile_metrics")}: unknown metric "${metric}"; available: ${METRIC_NAMES.join(", ")}`);
  }
  const metricPercentiles = parseList(m.metric_percentiles!).map(Number);
  for (const p of metricPercentiles) if (!(p > 0 && p <= 100)) problems.push(`${place("metric_percentiles")}: expected numbers in (0, 100], found ${p}`);

  const goodput = parseGoodput(m.goodput, place("goodput"), problems);
  const { dataset, problems: datasetProblems } = resolveDataset(m, place);
  problems.push(...datasetProblems);

  // Files the scenario names: reported with every other problem, before anything is loaded or sent.
  if (m.dataset_path !== undefined && !existsSync(m.dataset_path)) problems.push(`${place("dataset_path")}: file not found: ${m.dataset_path} (relative paths start from the working directory)`);

  let rampUp: ResolvedScenario["rampUp"] = null;
  if (m.ramp_up_strategy) {
    if (m.ramp_up_start_rps === undefined || m.ramp_up_end_rps === undefined) problems.push(`${where}: ramp_up_strategy needs ramp_up_start_rps and ramp_up_end_rps`);
    else rampUp = { strategy: m.ramp_up_strategy, startRps: m.ramp_up_start_rps, endRps: m.ramp_up_end_rps };
  }
  if (problems.length > before) return null;

  const sampling: Record<string, unknown> = {};
  for (const key of SAMPLING_KEYS) if (m[key] !== undefined) sampling[key] = m[key];
  const maxConcurrency = m.max_concurrency ?? null;
  const rate = m.request_rate === "inf" ? Infinity : m.request_rate!;

  return {
    name: m.name ?? "default",
    description: m.description ?? "",
    backend: backendName,
    endpointPath: endpointPath!,
    baseUrl: m.base_url!.replace(/\/+$/, ""),
    model: m.model ?? "",
    servedModel: m.served_model_name ?? m.model ?? "",
    tokenizer: tokenizerFor(m, tokenizerExplicit),
    datasetType: dataset!.dataset_type,
    // The options as written (no filled-in defaults): what the workload builder validates again and `validate` prints.
    dataset: datasetOptions(m),
    maxConcurrency,
    numPrompts: m.num_prompts ?? maxConcurrency ?? 1000,
    requestRate: rate,
    burstiness: m.burstiness === "inf" ? Infinity : m.burstiness!,
    rampUp,
    durationS: m.duration ?? null,
    randomInputLen: m.random_input_len!,
    randomOutputLen: m.random_output_len!,
    randomRangeRatio: m.random_range_ratio!,
    randomPrefixLen: m.random_prefix_len!,
    percentileMetrics: percentileMetrics as MetricName[],
    metricPercentiles,
    goodput,
    seed: m.seed!,
    sampling,
    extraBody: m.extra_body ?? {},
    headers: m.headers ?? {},
    timeoutS: m.timeout_s!,
    idleTimeoutS: m.idle_timeout_s!,
    warmups: m.warmups!,
    thresholds: m.thresholds ?? {},
    exporters,
    saveGeneratedText: m.save_generated_text ?? false,
    modelCheck: m.model_check ?? true,
  };
}
