/**
 * Configuration: read the scenario file → validate (valibot) → apply
 * precedence (flag > environment > scenario > defaults > built-in) → frozen
 * scenarios. Every problem is collected and reported at once, before any
 * traffic, with the file, the JSON path and a "did you mean" for misspelt keys.
 * Each setting is described once, in the field table (./fields.ts).
 */
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { closestMatch } from "../base/suggest.ts";
import { validateThresholdKeys } from "../results/thresholds.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { MAX_REQUESTS, type ConfigFile, type ScenarioInput } from "./schema.ts";
import { readConfigFile } from "./file.ts";
import { isRecord } from "../base/json-values.ts";
import { parseList, parseSweep } from "./values.ts";
import { plannedCount } from "./planned-count.ts";
import { BUILTIN, mergeLevels, overrideLayers } from "./precedence.ts";
import { buildScenario } from "./scenario.ts";
import { envOf } from "./run-settings.ts";

export { DEFAULT_CONFIG_PATH, readConfigFile } from "./file.ts";
export { parseGoodput } from "./values.ts";
export { DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT_S, DEFAULT_TIMEOUT_S } from "./fields.ts";
export { ENV_TO_KEY, flagName } from "./precedence.ts";

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
  places?: { tokenizer: string; dataset: string; concurrency: string };
}

export interface RunPlan {
  configPath: string | null;
  runs: PlannedRun[];
  exporters: string[];
  exporterOptions: Record<string, Record<string, unknown>>;
  /** Plugin files to load (config `plugins` resolved against the file's folder, then --plugin). */
  plugins: string[];
}

/** What every scenario of the file shares while it is planned. */
interface PlanContext {
  file: string;
  hasFile: boolean;
  config: ConfigFile;
  scenarios: ScenarioInput[];
  overrides: { envLayer: ScenarioInput; flagLayer: ScenarioInput };
  registry: Registry;
  exporters: string[];
  sweeps: { concurrencyLevels: number[] | null; requestRates: number[] | null };
  problems: string[];
}

/** Build the run plan. Throws one VbenchError listing every problem. */
export function resolveConfig(sources: ConfigSources, registry: Registry): RunPlan {
  const { path, config, problems, raw } = readConfigFile(sources);
  const file = path ?? "(no config file)";
  const overrides = overrideLayers(sources.flags, sources.env, problems);
  const scenarios = scenarioList(config, path, file, raw, sources.select, problems);
  const selected = sources.select.length ? scenarios.filter((s) => s.name && sources.select.includes(s.name)) : scenarios;
  const exporters = sources.exporters ?? parseList(config.exporters ?? "json");
  for (const name of sources.extraExporters ?? []) if (!exporters.includes(name)) exporters.push(name);
  for (const name of exporters) if (!registry.hasExporter(name)) problems.push(`exporter "${name}": unknown; available: ${registry.exporterNames().join(", ")}`);
  const sweeps = {
    concurrencyLevels: parseSweep(sources.concurrencyLevels ?? sources.env[envOf("concurrency_levels")], "CONCURRENCY_LEVELS", true, problems),
    requestRates: parseSweep(sources.requestRates, "--request-rates", false, problems),
  };
  const context: PlanContext = { file, hasFile: path !== null, config, scenarios, overrides, registry, exporters, sweeps, problems };
  const runs = selected.flatMap((input) => planScenario(input, context));
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
  return { configPath: path, runs, exporters, exporterOptions: config.exporter_options ?? {}, plugins };
}

/** The file's scenarios (or the built-in one), with the file-wide checks: thresholds, names, --scenario. */
function scenarioList(config: ConfigFile, path: string | null, file: string, raw: unknown, select: string[], problems: string[]): ScenarioInput[] {
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
  for (const wanted of select) {
    if (!seen.has(wanted)) {
      const guess = closestMatch(wanted, [...seen.keys()]);
      problems.push(`--scenario ${wanted}: no such scenario in ${file}${guess ? ` (did you mean "${guess}"?)` : ""}; available: ${[...seen.keys()].join(", ")}`);
    }
  }
  return scenarios;
}

/** One scenario's runs: precedence applied, checked, then one run per sweep point. */
function planScenario(input: ScenarioInput, c: PlanContext): PlannedRun[] {
  const { file, config, problems } = c;
  const defaults = config.defaults ?? {};
  const where = `${file}: scenarios[${c.scenarios.indexOf(input)}]`;
  const { merged, levelOf, place } = mergeLevels([BUILTIN, defaults, input, c.overrides.envLayer, c.overrides.flagLayer], file, where, c.hasFile);
  for (const message of validateThresholdKeys(input.thresholds ?? {})) problems.push(`${where}.thresholds: ${message}`);
  merged.thresholds = { ...(config.thresholds ?? {}), ...(defaults.thresholds ?? {}), ...(input.thresholds ?? {}) };
  // --header adds to (or overrides single) headers of the file; it does not drop the file's others.
  merged.headers = { ...(defaults.headers ?? {}), ...(input.headers ?? {}), ...(c.overrides.flagLayer.headers ?? {}) };
  const scenario = buildScenario(merged, where, place, c.registry, c.exporters, problems, levelOf("tokenizer") > 0);
  if (!scenario) return [];
  const tokenizerPlace = levelOf("tokenizer") > 0 || scenario.tokenizer === merged.tokenizer ? place("tokenizer") : `${place("model")} (its tokenizer.json)`;
  const places = {
    tokenizer: tokenizerPlace,
    dataset: merged.dataset_path === undefined ? place("dataset_type") : place("dataset_path"),
    concurrency: place(merged.max_concurrency === undefined ? "request_rate" : "max_concurrency"),
  };
  const runs: PlannedRun[] = [];
  for (const level of c.sweeps.concurrencyLevels ?? [null]) {
    for (const rate of c.sweeps.requestRates ?? [null]) {
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
  return runs;
}
