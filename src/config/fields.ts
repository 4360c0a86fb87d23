/**
 * The field table, part one: every scenario key (spec/config.md), with its
 * schema, text conversion, flag, environment variable, built-in default,
 * help text and unit. The scenario schema (./schema.ts), `vbench run --help`
 * (./cli-flags.ts), the environment mapping and the built-in defaults
 * (./precedence.ts) and the tables of docs/configuration.md
 * (scripts/config-table.ts) are all derived from it. Part two, the settings
 * of a run that are not scenario keys, is ./run-settings.ts.
 *
 * The order is the scenario schema's: "did you mean" ties go to the earlier key.
 */
import * as v from "valibot";
import { RUN_SETTINGS } from "./run-settings.ts";
import { SECTIONS, type Field } from "./field.ts";
import { bool, bounded, commaList, field, infOrPositive, MAX_REQUESTS, nonNegativeTokens, numberRecord, numberSchema, positiveInt, positiveNumber, str, stringRecord, tokenCount, wholeNumber } from "./field.ts";

/** vLLM's per-request timeout (6 hours): long enough for any real generation. */
export const DEFAULT_TIMEOUT_S = 6 * 3600;
/** A stream with no bytes for this long fails as `timeout` long before the overall limit. */
export const DEFAULT_IDLE_TIMEOUT_S = 300;
export const DEFAULT_BASE_URL = "http://localhost:8000";

const distribution = v.looseObject({ type: v.picklist(["fixed", "uniform", "normal", "lognormal"], "fixed, uniform, normal or lognormal") });
const samplingNumber = (help: string) => field({ schema: numberSchema(), section: "sampling", text: "number", help });

export const SCENARIO_FIELDS = {
  name: field({ schema: v.pipe(str(), v.minLength(1, "a non-empty name")), section: "scenario", help: "Scenario name, unique in the file", defaultText: "default (without a file)" }),
  description: field({ schema: str(), section: "scenario", help: "Free text, carried into the results" }),
  backend: field({ schema: str("a backend name"), section: "scenario", flag: "--backend <name>", default: "openai-chat", help: "Backend plugin: openai-chat, openai, tgi, or a loaded plugin" }),
  endpoint_path: field({ schema: v.pipe(str("a path"), v.startsWith("/", 'a path starting with "/"')), section: "scenario", flag: "--endpoint <path>", help: "Endpoint path", defaultText: "the backend's (/v1/chat/completions, /v1/completions, /generate_stream)" }),
  base_url: field({ schema: v.pipe(str("a URL"), v.url("an http(s) URL")), section: "scenario", flag: "--base-url <url>", env: "MODEL_ENDPOINT", default: DEFAULT_BASE_URL, help: "Server base URL" }),
  model: field({ schema: str(), section: "scenario", flag: "--model <id>", env: "MODEL_NAME", help: "Model identifier for labels (and the request when no served name is set)", defaultText: "from /v1/models or /info" }),
  served_model_name: field({ schema: str(), section: "scenario", flag: "--served-model-name <id>", env: "SERVED_MODEL_NAME", help: "The `model` field sent to the server", defaultText: "MODEL_NAME, else discovered" }),
  tokenizer: field({ schema: str(), section: "scenario", flag: "--tokenizer <spec>", env: "TOKENIZER", default: "gpt2", help: "gpt2 (built in) or a path to a Hugging Face tokenizer.json" }),
  dataset_type: field({ schema: str("a dataset type"), section: "scenario", flag: "--dataset-type <type>", default: "random", help: "random, synthetic, sharegpt, jsonl, trace, prefix" }),
  max_concurrency: field({ schema: v.nullable(positiveInt), section: "scenario", flag: "--max-concurrency <n>", text: "number", unit: "requests", help: "Concurrent requests at most (client-side semaphore)", defaultText: "unlimited" }),
  num_prompts: field({ schema: positiveInt, section: "scenario", flag: "--num-prompts <n>", text: "number", unit: "requests", help: "Requests per scenario", defaultText: "max_concurrency when set, else 1000" }),
  request_rate: field({ schema: infOrPositive, section: "scenario", flag: "--request-rate <rps>", env: "REQUEST_RATE", text: "number", unit: "requests/s", default: "inf", help: 'Arrival rate in requests/s, or "inf"', note: "the seed's script used 1.0" }),
  burstiness: field({ schema: infOrPositive, section: "scenario", flag: "--burstiness <b>", text: "number", default: 1, defaultText: "1.0", help: 'Gamma shape of arrival gaps: 1 = Poisson, "inf" = constant' }),
  duration: field({ schema: positiveNumber, section: "scenario", flag: "--duration <s>", env: "DURATION", text: "number", unit: "s", help: "Time-bound run: dispatch for this many seconds, then drain" }),
  ramp_up_strategy: field({ schema: v.picklist(["linear", "exponential"], "linear or exponential"), section: "scenario", flag: "--ramp-up-strategy <s>", help: "linear or exponential ramp of the request rate" }),
  ramp_up_start_rps: field({ schema: positiveNumber, section: "scenario", flag: "--ramp-up-start-rps <rps>", text: "number", unit: "requests/s", help: "Ramp-up start rate" }),
  ramp_up_end_rps: field({ schema: positiveNumber, section: "scenario", flag: "--ramp-up-end-rps <rps>", text: "number", unit: "requests/s", help: "Ramp-up end rate" }),
  random_input_len: field({ schema: tokenCount, section: "scenario", flag: "--random-input-len <n>", text: "number", unit: "tokens", default: 1024, help: "Prompt length in tokens (random dataset)" }),
  random_output_len: field({ schema: tokenCount, section: "scenario", flag: "--random-output-len <n>", text: "number", unit: "tokens", default: 128, help: "Output length in tokens (random dataset)" }),
  random_range_ratio: field({ schema: v.pipe(numberSchema(), v.minValue(0, "a number in [0, 1)"), v.ltValue(1, "a number in [0, 1)")), section: "scenario", flag: "--random-range-ratio <r>", text: "number", default: 0, help: "Lengths uniform in [L(1-r), L(1+r)]" }),
  random_prefix_len: field({ schema: nonNegativeTokens, section: "scenario", flag: "--random-prefix-len <n>", text: "number", unit: "tokens", default: 0, help: "Shared prefix tokens before every prompt" }),
  percentile_metrics: field({ schema: commaList, section: "scenario", flag: "--percentile-metrics <list>", text: "text", default: "ttft,tpot,itl,e2el", help: "Metrics to report: ttft,tpot,itl,e2el" }),
  metric_percentiles: field({ schema: commaList, section: "scenario", flag: "--metric-percentiles <list>", text: "text", default: "25,50,75,90,95,99", help: "Percentiles to report" }),
  goodput: field({ schema: v.union([v.string(), v.array(v.string()), numberRecord], 'SLOs as "ttft:200,tpot:50" or {"ttft": 200}'), section: "scenario", flag: "--goodput <slos>", text: "text", unit: "ms", help: 'SLOs in ms for goodput, e.g. "ttft:200,tpot:50"' }),
  seed: field({ schema: v.pipe(wholeNumber, v.safeInteger("a whole number within ±(2^53 - 1)")), section: "scenario", flag: "--seed <n>", text: "number", default: 0, help: "Seed of every random draw (prompts, lengths, arrivals)" }),
  temperature: field({ schema: numberSchema(), section: "sampling", flag: "--temperature <t>", text: "number", help: "Sampling temperature sent to the server" }),
  top_p: samplingNumber("Sent to the server as is"),
  top_k: samplingNumber("Sent to the server as is"),
  min_p: samplingNumber("Sent to the server as is"),
  repetition_penalty: samplingNumber("Sent to the server as is"),
  frequency_penalty: samplingNumber("Sent to the server as is"),
  presence_penalty: samplingNumber("Sent to the server as is"),
  stop: field({ schema: v.union([v.string(), v.array(v.string())], "a string or an array of strings"), section: "sampling", help: "Stop strings, sent to the server as is" }),
  extra_body: field({ schema: v.record(v.string(), v.unknown()), section: "scenario", help: "Merged over every request body last (e.g. ignore_eos)" }),
  headers: field({ schema: stringRecord, section: "scenario", help: "Extra request headers; --header adds to them", note: "values are never printed" }),
  timeout_s: field({ schema: positiveNumber, section: "scenario", flag: "--timeout-s <s>", text: "number", unit: "s", default: DEFAULT_TIMEOUT_S, defaultText: "21600 (6 h, as vLLM)", help: "Per-request limit" }),
  idle_timeout_s: field({ schema: positiveNumber, section: "scenario", flag: "--idle-timeout-s <s>", text: "number", unit: "s", default: DEFAULT_IDLE_TIMEOUT_S, help: "Fail a request whose stream is silent this long" }),
  warmups: field({ schema: bounded(0, MAX_REQUESTS), section: "scenario", flag: "--warmups <n>", text: "number", unit: "requests", default: 0, help: "Unmeasured requests before the run" }),
  thresholds: field({ schema: numberRecord, section: "scenario", help: "Pass/fail gates (ttft_p95_ms, success_rate...), merged over the file's" }),
  save_generated_text: field({ schema: bool(), section: "scenario", flag: "--save-generated-text", text: "boolean", help: "Keep generated texts in benchmark_results.json" }),
  model_check: field({ schema: bool(), section: "scenario", flag: "--no-model-check", text: "boolean", help: "Send the model name even when the server does not list it (llama-server lists a file path)", note: "false = --no-model-check" }),
  dataset_path: field({ schema: str("a file path"), section: "dataset", flag: "--dataset-path <file>", help: "Dataset file for sharegpt, jsonl and trace" }),
  input_distribution: field({ schema: distribution, section: "dataset", help: "synthetic: prompt lengths ({type: fixed, uniform, normal or lognormal, ...})", defaultText: "fixed at random_input_len" }),
  output_distribution: field({ schema: distribution, section: "dataset", help: "synthetic: output lengths, as input_distribution", defaultText: "fixed at random_output_len" }),
  output_len: field({ schema: tokenCount, section: "dataset", text: "number", unit: "tokens", help: "jsonl, sharegpt, trace: output length of items without their own", defaultText: "random_output_len" }),
  num_prefix_groups: field({ schema: positiveInt, section: "dataset", text: "number", help: "prefix: groups of requests sharing a prefix", defaultText: "1" }),
  prefix_len: field({ schema: nonNegativeTokens, section: "dataset", text: "number", unit: "tokens", help: "prefix: tokens of each group's shared prefix", defaultText: "random_prefix_len, else 256" }),
  time_scale: field({ schema: positiveNumber, section: "dataset", text: "number", help: "trace: offsets are divided by this (2 replays twice as fast)", defaultText: "1" }),
  sessions: field({ schema: positiveInt, section: "dataset", text: "number", help: "Multi-turn chat sessions (with turns)" }),
  turns: field({ schema: positiveInt, section: "dataset", text: "number", help: "User turns per session (with sessions)" }),
  think_time_ms: field({ schema: v.pipe(numberSchema(), v.finite("a finite number"), v.minValue(0, "a number >= 0")), section: "dataset", text: "number", unit: "ms", help: "Pause between an answer and the session's next turn" }),
  shuffle: field({ schema: bool(), section: "dataset", help: "jsonl: false takes lines in file order instead of a seeded sample", defaultText: "true" }),
  suffix_len: field({ schema: nonNegativeTokens, section: "dataset", text: "number", unit: "tokens", help: "prefix: mean tokens of each request's own suffix", defaultText: "random_input_len" }),
};

export type ScenarioKey = keyof typeof SCENARIO_FIELDS;

/** One row of the whole table: a scenario key (`key` set) or a run setting, named. */
export interface FieldRow {
  name: string;
  key?: ScenarioKey;
  field: Field;
}

/** Every setting, scenario keys and run settings, grouped by section: the order of `run --help` and of the documentation. */
export const FIELD_TABLE: FieldRow[] = SECTIONS.flatMap((section) => [
  ...(Object.entries(SCENARIO_FIELDS) as [ScenarioKey, Field][]).filter(([, f]) => f.section === section).map(([key, f]) => ({ name: key, key, field: f })),
  ...Object.entries(RUN_SETTINGS).filter(([, f]) => f.section === section).map(([name, f]) => ({ name, field: f as Field })),
]);
