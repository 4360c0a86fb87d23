/**
 * Configuration: read the scenario file → validate (valibot) → apply
 * precedence (flag > environment > scenario > defaults > built-in) → frozen
 * scenarios. Every problem is collected and reported at once, before any
 * traffic, with the file, the JSON path and a "did you mean" for misspelt keys.
 */
import * as v from "valibot";
import { existsSync } from "node:fs";
import type { MetricName } from "../base/summary-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { scenarioSchema, SAMPLING_KEYS, DATASET_KEYS, type ScenarioInput } from "./schema.ts";
import { expectedText, foundText, isRecord, readConfigFile } from "./file.ts";
import { parseGoodput, parseList, parseSweep } from "./values.ts";
import { datasetProblems } from "./dataset.ts";
import { MAX_REQUESTS } from "./schema.ts";
import { closestMatch } from "../base/suggest.ts";
import { validateThresholdKeys } from "../results/thresholds.ts";
import { plannedCount } from "./planned-count.ts";
import type { Registry } from "../plugin-host/registry.ts";

export { DEFAULT_CONFIG_PATH, readConfigFile } from "./file.ts";
export { parseGoodput } from "./values.ts";

export const DEFAULT_BASE_URL = "http://localhost:8000";
/** vLLM's per-request timeout (6 hours): long enough for any real generation. */
export const DEFAULT_TIMEOUT_S = 6 * 3600;
/** A stream with no bytes for this long fails as `timeout` long before the overall limit. */
export const DEFAULT_IDLE_TIMEOUT_S = 300;

const BUILTIN: ScenarioInput = {
  backend: "openai-chat",
  dataset_type: "random",
  random_input_len: 1024,
  random_output_len: 128,
  request_rate: "inf",
  burstiness: 1,
  seed: 0,
  random_range_ratio: 0,
  random_prefix_len: 0,
  percentile_metrics: "ttft,tpot,itl,e2el",
  metric_percentiles: "25,50,75,90,95,99",
  timeout_s: DEFAULT_TIMEOUT_S,
  idle_timeout_s: DEFAULT_IDLE_TIMEOUT_S,
  warmups: 0,
  tokenizer: "gpt2",
  base_url: DEFAULT_BASE_URL,
};

/** Environment variables of the seed's container interface that set scenario keys. */
export const ENV_TO_KEY: Record<string, keyof ScenarioInput> = {
  MODEL_ENDPOINT: "base_url",
  REQUEST_RATE: "request_rate",
  MODEL_NAME: "model",
  SERVED_MODEL_NAME: "served_model_name",
  TOKENIZER: "tokenizer",
  DURATION: "duration",
};

export interface ConfigSources {
  /** Path from --config or CONFIG_PATH; undefined means the default path if it exists. */
  configPath?: string;
  /** Scenario keys set by command-line flags (already typed or strings). */
  flags: Record<string, unknown>;
  /** The process environment. */
  env: Record<string, string | undefined>;
  /** --scenario selections (empty = all). */
  select: string[];
  /** --export list, overrides the file's `exporters`. */
  exporters?: string[];
  /** Exporters switched on by their own flag (--push-gateway), added to whichever list applies. */
  extraExporters?: string[];
  /** Sweeps: CONCURRENCY_LEVELS / --concurrency-levels and --request-rates. */
  concurrencyLevels?: string;
  requestRates?: string;
  /** Extra plugin files from --plugin. */
  plugins: string[];
}

export interface PlannedRun {
  scenario: ResolvedScenario;
  /** Sweep point label (`c8`, `r10`, `c8-r10`), empty for a plain run. */
  variant: string;
  /** Where the scenario's files were named, for the pre-flight's messages (`config.json: scenarios[0].dataset_path`, `--tokenizer`). */
  places?: { tokenizer: string; dataset: string };
}

export interface RunPlan {
  configPath: string | null;
  runs: PlannedRun[];
  exporters: string[];
  exporterOptions: Record<string, Record<string, unknown>>;
  /** Plugin files to load (config `plugins` resolved against the file's folder, then --plugin). */
  plugins: string[];
}

const NUMERIC_KEYS = new Set(["max_concurrency", "num_prompts", "request_rate", "burstiness", "duration", "ramp_up_start_rps", "ramp_up_end_rps", "random_input_len", "random_output_len", "random_range_ratio", "random_prefix_len", "seed", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "frequency_penalty", "presence_penalty", "timeout_s", "idle_timeout_s", "warmups", "output_len", "num_prefix_groups", "prefix_len", "time_scale", "sessions", "turns", "think_time_ms", "suffix_len"]);

/** Turn strings from the environment or flags into the types the schema expects. */
function coerce(key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (NUMERIC_KEYS.has(key)) {
    if (value.trim().toLowerCase() === "inf") return "inf";
    const n = Number(value);
    return value.trim() === "" || Number.isNaN(n) ? value : n;
  }
  if (key === "save_generated_text" || key === "model_check") return value === "true" || value === "1";
  return value;
}

/** Validate one override layer (flags or environment) with the scenario schema. */
function validateLayer(layer: Record<string, unknown>, describe: (key: string) => string, problems: string[]): ScenarioInput {
  const typed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(layer)) if (value !== undefined) typed[key] = coerce(key, value);
  const result = v.safeParse(scenarioSchema, typed, { abortEarly: false });
  if (result.success) return result.output;
  const bad = new Set<string>();
  for (const issue of result.issues) {
    const key = String((issue.path?.[0] as { key: unknown } | undefined)?.key ?? "");
    if (!bad.has(key)) problems.push(`${describe(key)}: expected ${expectedText(issue)}, found ${foundText(issue)}`);
    bad.add(key);
  }
  // Keep the valid keys, so their own problems (an unknown backend, say) are reported too.
  return Object.fromEntries(Object.entries(typed).filter(([key]) => !bad.has(key))) as ScenarioInput;
}

export function flagName(key: string): string {
  return `--${key.replace(/_/g, "-")}`;
}

/** Build the run plan. Throws one VbenchError listing every problem. */
export function resolveConfig(sources: ConfigSources, registry: Registry): RunPlan {
  const { path, config, problems, raw } = readConfigFile(sources);
  const file = path ?? "(no config file)";

  const envLayerRaw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_TO_KEY)) if (sources.env[name]) envLayerRaw[key] = sources.env[name];
  const keyToEnv = Object.fromEntries(Object.entries(ENV_TO_KEY).map(([e, k]) => [k, e]));
  const envLayer = validateLayer(envLayerRaw, (key) => `environment ${keyToEnv[key] ?? key}`, problems);
  const flagLayer = validateLayer(sources.flags, (key) => flagName(key), problems);

  const defaults = config.defaults ?? {};
  // Thresholds are checked where they are written: the file's own, `defaults`', each scenario's.
  for (const message of validateThresholdKeys(config.thresholds ?? {})) problems.push(`${file}: thresholds: ${message}`);
  for (const message of validateThresholdKeys(defaults.thresholds ?? {})) problems.push(`${file}: defaults.thresholds: ${message}`);
  let scenarios: ScenarioInput[] = config.scenarios ?? [];
  if (path && config.scenarios && config.scenarios.length === 0) problems.push(`${file}: scenarios: expected at least one scenario, found an empty array`);
  if (scenarios.length === 0) scenarios = [{ name: "default", description: "Built-in default scenario" }];

  const seen = new Map<string, number>();
  const rawScenarios = isRecord(raw) && Array.isArray(raw.scenarios) ? (raw.scenarios as unknown[]).map((s) => (isRecord(s) ? s : {})) : undefined;
  scenarios.forEach((s, i) => {
    if (!s.name) {
      if (rawScenarios?.[i]?.name === undefined) problems.push(`${file}: scenarios[${i}].name: expected a non-empty name, found none`);
    }
    else if (seen.has(s.name)) problems.push(`${file}: scenarios[${i}].name: duplicate scenario name "${s.name}" (also scenarios[${seen.get(s.name)}])`);
    else seen.set(s.name, i);
  });
  for (const wanted of sources.select) {
    if (!seen.has(wanted)) {
      const guess = closestMatch(wanted, [...seen.keys()]);
      problems.push(`--scenario ${wanted}: no such scenario in ${file}${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${[...seen.keys()].join(", ")}`);
    }
  }
  const selected = sources.select.length ? scenarios.filter((s) => s.name && sources.select.includes(s.name)) : scenarios;

  const exporterList = sources.exporters ?? parseList(config.exporters ?? "json");
  for (const name of sources.extraExporters ?? []) if (!exporterList.includes(name)) exporterList.push(name);
  for (const name of exporterList) if (!registry.hasExporter(name)) problems.push(`exporter "${name}": unknown; available: ${registry.exporterNames().join(", ")}`);

  const concurrencyLevels = parseSweep(sources.concurrencyLevels ?? sources.env.CONCURRENCY_LEVELS, "CONCURRENCY_LEVELS", true, problems);
  const requestRates = parseSweep(sources.requestRates, "--request-rates", false, problems);

  const runs: PlannedRun[] = [];
  selected.forEach((input) => {
    const where = `${file}: scenarios[${scenarios.indexOf(input)}]`;
    const layers = [BUILTIN, defaults, input, envLayer, flagLayer];
    const merged: ScenarioInput = Object.assign({}, ...layers);
    // The endpoint path follows the backend when the backend was set at a higher level than the path.
    const levelOf = (key: keyof ScenarioInput) => layers.findLastIndex((l) => l[key] !== undefined);
    if (levelOf("endpoint_path") < levelOf("backend")) merged.endpoint_path = undefined;
    /** Where a key's value came from, as the user wrote it: a flag, a variable, or the file's JSON path. */
    const place = (key: string) => {
      const level = levelOf(key as keyof ScenarioInput);
      if (level === 4) return flagName(key);
      if (level === 3) return `environment ${keyToEnv[key] ?? key}`;
      if (level === 1) return `${file}: defaults.${key}`;
      // Without a file, a key that is missing can only be given as a flag.
      return level < 2 && !path ? flagName(key) : `${where}.${key}`;
    };
    for (const message of validateThresholdKeys(input.thresholds ?? {})) problems.push(`${where}.thresholds: ${message}`);
    merged.thresholds = { ...(config.thresholds ?? {}), ...(defaults.thresholds ?? {}), ...(input.thresholds ?? {}) };
    // --header adds to (or overrides single) headers of the file; it does not drop the file's others.
    merged.headers = { ...(defaults.headers ?? {}), ...(input.headers ?? {}), ...(flagLayer.headers ?? {}) };
    const scenario = buildScenario(merged, where, place, registry, exporterList, problems, levelOf("tokenizer") > 0);
    if (!scenario) return;
    const tokenizerPlace = levelOf("tokenizer") > 0 || scenario.tokenizer === merged.tokenizer ? place("tokenizer") : `${place("model")} (its tokenizer.json)`;
    const places = { tokenizer: tokenizerPlace, dataset: merged.dataset_path === undefined ? place("dataset_type") : place("dataset_path") };
    for (const level of concurrencyLevels ?? [null]) {
      for (const rate of requestRates ?? [null]) {
        const variantParts: string[] = [];
        const point = { ...scenario };
        if (level !== null) {
          point.maxConcurrency = level;
          if (merged.num_prompts === undefined && merged.duration === undefined) point.numPrompts = level;
          variantParts.push(`c${level}`);
        }
        if (rate !== null) {
          point.requestRate = rate;
          variantParts.push(`r${Number.isFinite(rate) ? rate : "inf"}`);
        }
        // Counts beyond what fits are refused here, not found by running out of memory (MAX_REQUESTS says why).
        const count = plannedCount(point);
        if (count > MAX_REQUESTS) problems.push(`${place("duration")}: ${count} requests planned (request rate × duration${variantParts.length ? ` at ${variantParts.join("-")}` : ""}); at most ${MAX_REQUESTS} fit in one run`);
        runs.push({ scenario: Object.freeze(point), variant: variantParts.join("-"), places });
      }
    }
  });

  const baseDir = path ? path.replace(/[^/]*$/, "") : "";
  const plugins = [...(config.plugins ?? []).map((p) => (p.startsWith("/") ? p : baseDir + p)), ...sources.plugins];

  if (problems.length) {
    // A bad flag or variable applies to every scenario: say it once.
    const unique = [...new Set(problems)];
    throw new VbenchError("config_invalid", `${unique.length} configuration problem${unique.length > 1 ? "s" : ""}; nothing was sent`, {
      details: unique,
      hint: "Fix the listed keys; `vbench validate` checks a file without sending anything.",
      exitCode: ExitCode.config,
    });
  }
  return { configPath: path, runs, exporters: exporterList, exporterOptions: config.exporter_options ?? {}, plugins };
}

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

function buildScenario(m: ScenarioInput, where: string, place: (key: string) => string, registry: Registry, exporters: string[], problems: string[], tokenizerExplicit = false): ResolvedScenario | null {
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
  problems.push(...datasetProblems(m, place));

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
  const dataset: Record<string, unknown> = {};
  for (const key of DATASET_KEYS) if (m[key] !== undefined) dataset[key] = m[key];
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
    datasetType: m.dataset_type!,
    dataset,
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
