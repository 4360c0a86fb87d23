/**
 * The scenario file's schema (spec/config.md), in valibot. Keys are the
 * seed's snake_case names. Lists accept the seed's comma strings or arrays.
 */
import * as v from "valibot";

/**
 * Requests (and streams, warmups, sessions) per scenario at most: 2^31 - 1,
 * so every request index fits the Int32Arrays that lengths and analyses are
 * kept in. A larger count is a typo (at 10,000 requests/s this is 2.5 days);
 * for longer runs use `duration`.
 */
export const MAX_REQUESTS = 2 ** 31 - 1;
/** Tokens of one prompt or answer at most: 2^24, beyond any served context window. */
export const MAX_TOKENS = 2 ** 24;

const wholeNumber = v.pipe(v.number("a number"), v.integer("a whole number"));
const bounded = (min: number, max: number) => v.pipe(wholeNumber, v.minValue(min, `a number >= ${min}`), v.maxValue(max, `a number <= ${max}`));
const positiveInt = bounded(1, MAX_REQUESTS);
const tokenCount = bounded(1, MAX_TOKENS);
const nonNegativeTokens = bounded(0, MAX_TOKENS);
const positiveNumber = v.pipe(v.number("a number"), v.finite("a finite number"), v.gtValue(0, "a number > 0"));
const infOrPositive = v.union([positiveNumber, v.literal("inf")], 'a number > 0 or "inf"');
const commaList = v.union([v.string(), v.array(v.union([v.string(), v.number()]))], 'a comma-separated string or an array');
const stringRecord = v.record(v.string(), v.string("a string"));
const numberRecord = v.record(v.string(), v.number("a number"));

/** Sampling fields passed through to the server as they are. */
export const SAMPLING_KEYS = [
  "temperature",
  "top_p",
  "top_k",
  "min_p",
  "repetition_penalty",
  "frequency_penalty",
  "presence_penalty",
  "stop",
] as const;

/** Dataset-specific keys, handed to the workload builder in `scenario.dataset`. */
export const DATASET_KEYS = [
  "dataset_path",
  "input_distribution",
  "output_distribution",
  "output_len",
  "num_prefix_groups",
  "prefix_len",
  "time_scale",
  "sessions",
  "turns",
  "think_time_ms",
  "shuffle",
  "suffix_len",
] as const;

const distribution = v.looseObject({ type: v.picklist(["fixed", "uniform", "normal", "lognormal"], "fixed, uniform, normal or lognormal") });

/** Every key a scenario (or `defaults`) may carry. */
export const scenarioFields = {
  name: v.optional(v.pipe(v.string("a string"), v.minLength(1, "a non-empty name"))),
  description: v.optional(v.string("a string")),
  backend: v.optional(v.string("a backend name")),
  endpoint_path: v.optional(v.pipe(v.string("a path"), v.startsWith("/", 'a path starting with "/"'))),
  base_url: v.optional(v.pipe(v.string("a URL"), v.url("an http(s) URL"))),
  model: v.optional(v.string("a string")),
  served_model_name: v.optional(v.string("a string")),
  tokenizer: v.optional(v.string("a string")),
  dataset_type: v.optional(v.string("a dataset type")),
  max_concurrency: v.optional(v.nullable(positiveInt)),
  num_prompts: v.optional(positiveInt),
  request_rate: v.optional(infOrPositive),
  burstiness: v.optional(infOrPositive),
  duration: v.optional(positiveNumber),
  ramp_up_strategy: v.optional(v.picklist(["linear", "exponential"], "linear or exponential")),
  ramp_up_start_rps: v.optional(positiveNumber),
  ramp_up_end_rps: v.optional(positiveNumber),
  random_input_len: v.optional(tokenCount),
  random_output_len: v.optional(tokenCount),
  random_range_ratio: v.optional(v.pipe(v.number("a number"), v.minValue(0, "a number in [0, 1)"), v.ltValue(1, "a number in [0, 1)"))),
  random_prefix_len: v.optional(nonNegativeTokens),
  percentile_metrics: v.optional(commaList),
  metric_percentiles: v.optional(commaList),
  goodput: v.optional(v.union([v.string(), v.array(v.string()), numberRecord], 'SLOs as "ttft:200,tpot:50" or {"ttft": 200}')),
  seed: v.optional(v.pipe(wholeNumber, v.safeInteger("a whole number within ±(2^53 - 1)"))),
  temperature: v.optional(v.number("a number")),
  top_p: v.optional(v.number("a number")),
  top_k: v.optional(v.number("a number")),
  min_p: v.optional(v.number("a number")),
  repetition_penalty: v.optional(v.number("a number")),
  frequency_penalty: v.optional(v.number("a number")),
  presence_penalty: v.optional(v.number("a number")),
  stop: v.optional(v.union([v.string(), v.array(v.string())], "a string or an array of strings")),
  extra_body: v.optional(v.record(v.string(), v.unknown())),
  headers: v.optional(stringRecord),
  timeout_s: v.optional(positiveNumber),
  idle_timeout_s: v.optional(positiveNumber),
  warmups: v.optional(bounded(0, MAX_REQUESTS)),
  thresholds: v.optional(numberRecord),
  save_generated_text: v.optional(v.boolean("true or false")),
  model_check: v.optional(v.boolean("true or false")),
  dataset_path: v.optional(v.string("a file path")),
  input_distribution: v.optional(distribution),
  output_distribution: v.optional(distribution),
  output_len: v.optional(tokenCount),
  num_prefix_groups: v.optional(positiveInt),
  prefix_len: v.optional(nonNegativeTokens),
  time_scale: v.optional(positiveNumber),
  sessions: v.optional(positiveInt),
  turns: v.optional(positiveInt),
  think_time_ms: v.optional(v.pipe(v.number("a number"), v.finite("a finite number"), v.minValue(0, "a number >= 0"))),
  shuffle: v.optional(v.boolean("true or false")),
  suffix_len: v.optional(nonNegativeTokens),
};

export const SCENARIO_KEYS = Object.keys(scenarioFields);

export const scenarioSchema = v.object(scenarioFields);

export const TOP_LEVEL_KEYS = ["name", "version", "description", "defaults", "scenarios", "thresholds", "plugins", "exporters", "exporter_options", "$schema"];

export const configFileSchema = v.object({
  name: v.optional(v.string("a string")),
  version: v.optional(v.string("a string")),
  description: v.optional(v.string("a string")),
  defaults: v.optional(scenarioSchema),
  scenarios: v.optional(v.array(scenarioSchema, "an array of scenarios")),
  thresholds: v.optional(numberRecord),
  plugins: v.optional(v.array(v.string("a file path"), "an array of file paths")),
  exporters: v.optional(commaList),
  exporter_options: v.optional(v.record(v.string(), v.record(v.string(), v.unknown()))),
});

export type ScenarioInput = v.InferOutput<typeof scenarioSchema>;
export type ConfigFile = v.InferOutput<typeof configFileSchema>;
