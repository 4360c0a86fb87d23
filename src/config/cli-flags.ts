/**
 * The flags of `vbench run` / `vbench validate`: one table gives each flag's
 * scenario key, environment variable and default, so `--help`, precedence
 * and the README cannot drift apart.
 */
import type { ConfigSources } from "./config.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";

export interface RunFlag {
  /** cac syntax, e.g. `--max-concurrency <n>`. */
  syntax: string;
  /** Option name as cac camel-cases it. */
  option: string;
  /** Scenario key it sets (flag > env > scenario > defaults > built-in), if any. */
  key?: string;
  env?: string;
  defaultText?: string;
  description: string;
}

const flag = (syntax: string, description: string, extra: Partial<RunFlag> = {}): RunFlag => {
  const name = syntax.split(" ")[0]!.replace(/^--/, "");
  return { syntax, option: name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), description, ...extra };
};

export const RUN_FLAGS: RunFlag[] = [
  flag("--config <file>", "Scenario file", { env: "CONFIG_PATH", defaultText: "configs/vllm_benchmark.json if present, else one built-in scenario" }),
  flag("--scenario <name>", "Run only this scenario (repeatable)"),
  flag("--base-url <url>", "Server base URL", { key: "base_url", env: "MODEL_ENDPOINT", defaultText: "http://localhost:8000" }),
  flag("--backend <name>", "Backend plugin: openai-chat, openai, tgi, or a loaded plugin", { key: "backend", defaultText: "openai-chat" }),
  flag("--endpoint <path>", "Endpoint path", { key: "endpoint_path", defaultText: "the backend's (/v1/chat/completions, /v1/completions, /generate_stream)" }),
  flag("--model <id>", "Model identifier for labels (and the request when no served name is set)", { key: "model", env: "MODEL_NAME", defaultText: "from /v1/models or /info" }),
  flag("--served-model-name <id>", "The `model` field sent to the server", { key: "served_model_name", env: "SERVED_MODEL_NAME", defaultText: "MODEL_NAME, else discovered" }),
  flag("--tokenizer <spec>", "gpt2 (built in) or a path to a Hugging Face tokenizer.json", { key: "tokenizer", env: "TOKENIZER", defaultText: "gpt2" }),
  flag("--dataset-type <type>", "random, synthetic, sharegpt, jsonl, trace, prefix", { key: "dataset_type", defaultText: "random" }),
  flag("--dataset-path <file>", "Dataset file for sharegpt, jsonl and trace", { key: "dataset_path" }),
  flag("--num-prompts <n>", "Requests per scenario", { key: "num_prompts", defaultText: "max_concurrency when set, else 1000" }),
  flag("--max-concurrency <n>", "Concurrent requests at most (client-side semaphore)", { key: "max_concurrency", defaultText: "unlimited" }),
  flag("--request-rate <rps>", 'Arrival rate in requests/s, or "inf"', { key: "request_rate", env: "REQUEST_RATE", defaultText: "inf" }),
  flag("--burstiness <b>", 'Gamma shape of arrival gaps: 1 = Poisson, "inf" = constant', { key: "burstiness", defaultText: "1.0" }),
  flag("--duration <s>", "Time-bound run: dispatch for this many seconds, then drain", { key: "duration", env: "DURATION" }),
  flag("--ramp-up-strategy <s>", "linear or exponential ramp of the request rate", { key: "ramp_up_strategy" }),
  flag("--ramp-up-start-rps <rps>", "Ramp-up start rate", { key: "ramp_up_start_rps" }),
  flag("--ramp-up-end-rps <rps>", "Ramp-up end rate", { key: "ramp_up_end_rps" }),
  flag("--random-input-len <n>", "Prompt length in tokens (random dataset)", { key: "random_input_len", defaultText: "1024" }),
  flag("--random-output-len <n>", "Output length in tokens (random dataset)", { key: "random_output_len", defaultText: "128" }),
  flag("--random-range-ratio <r>", "Lengths uniform in [L(1-r), L(1+r)]", { key: "random_range_ratio", defaultText: "0" }),
  flag("--random-prefix-len <n>", "Shared prefix tokens before every prompt", { key: "random_prefix_len", defaultText: "0" }),
  flag("--percentile-metrics <list>", "Metrics to report: ttft,tpot,itl,e2el", { key: "percentile_metrics", defaultText: "ttft,tpot,itl,e2el" }),
  flag("--metric-percentiles <list>", "Percentiles to report", { key: "metric_percentiles", defaultText: "25,50,75,90,95,99" }),
  flag("--goodput <slos>", 'SLOs in ms for goodput, e.g. "ttft:200,tpot:50"', { key: "goodput" }),
  flag("--seed <n>", "Seed of every random draw (prompts, lengths, arrivals)", { key: "seed", defaultText: "0" }),
  flag("--temperature <t>", "Sampling temperature sent to the server", { key: "temperature" }),
  flag("--timeout-s <s>", "Per-request limit", { key: "timeout_s", defaultText: "21600 (6 h, as vLLM)" }),
  flag("--idle-timeout-s <s>", "Fail a request whose stream is silent this long", { key: "idle_timeout_s", defaultText: "300" }),
  flag("--warmups <n>", "Unmeasured requests before the run", { key: "warmups", defaultText: "0" }),
  flag("--save-generated-text", "Keep generated texts in benchmark_results.json", { key: "save_generated_text" }),
  flag("--no-model-check", "Send the model name even when the server does not list it (llama-server lists a file path)", { key: "model_check", option: "modelCheck" }),
  flag("--concurrency-levels <list>", "Sweep: run every scenario at each max_concurrency", { env: "CONCURRENCY_LEVELS" }),
  flag("--request-rates <list>", 'Sweep: run every scenario at each request rate ("inf" allowed)'),
  flag("--export <list>", "Exporters: json, csv, msgpack, prometheus, or a loaded plugin", { defaultText: "the config's `exporters`, else json" }),
  flag("--clickhouse-url <url>", "ClickHouse HTTP URL for --export clickhouse (user/password: CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)", { env: "CLICKHOUSE_URL" }),
  flag("--push-gateway <url>", "Push the final metrics to this Prometheus Pushgateway (adds the pushgateway exporter)", { env: "PUSHGATEWAY_URL" }),
  flag("--metrics-port <port>", "Serve live Prometheus metrics at :PORT/metrics during the run (0 = a free port)", { env: "METRICS_PORT" }),
  flag("--metrics-host <addr>", "Address the live metrics server binds", { defaultText: "0.0.0.0" }),
  flag("--output-dir <dir>", "Results directory", { env: "OUTPUT_DIR", defaultText: "./benchmark_results" }),
  flag("--parsed-dir <dir>", "Standardized results directory", { env: "PARSED_DIR", defaultText: "$OUTPUT_DIR/parsed" }),
  flag("--shard <i/n>", "Send only shard I of N of the global schedule (request i goes to shard i mod N); on a Kubernetes Indexed Job JOB_COMPLETION_INDEX with VBENCH_SHARDS=N", { env: "VBENCH_SHARD" }),
  flag("--run-id <id>", "Run id in every x-request-id and result; shards of one run share it", { env: "VBENCH_RUN_ID", defaultText: "a random vb-xxxxxxxx" }),
  flag("--start-at <time>", "Wait for this RFC 3339 UTC instant (e.g. 2026-12-02T16:30:00Z) before the first release; refuse if it has passed", { env: "VBENCH_START_AT" }),
  flag("--plugin <file>", "Load a backend or exporter plugin file (repeatable)"),
  flag("--header <header>", 'Extra request header "Name: value" (repeatable)'),
];

export function runFlagHelp(f: RunFlag): string {
  const env = f.env ? ` [env ${f.env}]` : "";
  const def = f.defaultText ? ` (default: ${f.defaultText})` : "";
  return `${f.description}${env}${def}`;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Flags → config sources (scenario keys typed later by the config's coercion and schema). */
export function flagsToSources(options: Record<string, unknown>, env: Record<string, string | undefined>): ConfigSources {
  const flags: Record<string, unknown> = {};
  for (const f of RUN_FLAGS) {
    if (!f.key) continue;
    const value = options[f.option];
    if (value === undefined) continue;
    // cac gives a `--no-...` flag's option true unless it was passed: only its false overrides the config.
    if (f.syntax.startsWith("--no-") && value !== false) continue;
    // cac turns numeric text into numbers and repeated flags into arrays: keep the last, as text for lists.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    flags[f.key] = f.key === "percentile_metrics" || f.key === "metric_percentiles" || f.key === "goodput" ? String(last) : last;
  }
  const headers = list(options.header);
  if (headers.length) {
    const parsed: Record<string, string> = {};
    for (const h of headers) {
      const colon = h.indexOf(":");
      if (colon <= 0) {
        throw new VbenchError("bad_header", `--header "${h.slice(0, 40)}": expected "Name: value"`, { hint: 'For example --header "X-Team: inference".', exitCode: ExitCode.config });
      }
      parsed[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    flags.headers = parsed;
  }
  const exporters = options.export === undefined ? undefined : list(options.export).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  // A Pushgateway URL (flag or environment) is enough to push: the exporter joins whichever list applies.
  const extraExporters = options.pushGateway !== undefined || env.PUSHGATEWAY_URL ? ["pushgateway"] : [];
  const sweep = (v: unknown) => (v === undefined ? undefined : list(v).join(","));
  return {
    configPath: options.config === undefined ? undefined : String(options.config),
    flags,
    env,
    select: list(options.scenario),
    exporters,
    extraExporters,
    concurrencyLevels: sweep(options.concurrencyLevels),
    requestRates: sweep(options.requestRates),
    plugins: list(options.plugin),
  };
}

export function outputDirs(options: Record<string, unknown>, env: Record<string, string | undefined>): { outputDir: string; parsedDir: string } {
  const outputDir = String(options.outputDir ?? env.OUTPUT_DIR ?? "./benchmark_results");
  const parsedDir = String(options.parsedDir ?? env.PARSED_DIR ?? `${outputDir.replace(/\/+$/, "")}/parsed`);
  return { outputDir, parsedDir };
}

/** Exporter options from flags or the environment (flag > environment > the file's `exporter_options`). */
export function exporterOptionsFromFlags(options: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const clickhouseUrl = options.clickhouseUrl ?? env.CLICKHOUSE_URL;
  if (clickhouseUrl) out.clickhouse = { url: String(clickhouseUrl) };
  const pushUrl = options.pushGateway ?? env.PUSHGATEWAY_URL;
  if (pushUrl) out.pushgateway = { url: String(pushUrl) };
  return out;
}

/** --metrics-port / METRICS_PORT; undefined when live metrics are off. */
export function metricsPort(options: Record<string, unknown>, env: Record<string, string | undefined>): number | undefined {
  const raw = options.metricsPort ?? env.METRICS_PORT;
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VbenchError("metrics_port", `--metrics-port must be a port number 0-65535, got ${String(raw)}`, { hint: "0 picks a free port.", exitCode: ExitCode.config });
  }
  return port;
}
