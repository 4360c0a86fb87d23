/**
 * The field table, part two: the settings of a run that are not scenario
 * keys (which file, which scenarios, sweeps, exporters, output directories,
 * shards, process tuning). Each is read by its own code, named in `note`;
 * the flag, variable, default and help text are written here only.
 */
import { optionName, setting, type Field } from "./field.ts";

export const RUN_SETTINGS = {
  config: setting({ section: "input", flag: "--config <file>", env: "CONFIG_PATH", help: "Scenario file", defaultText: "configs/vllm_benchmark.json if present, else one built-in scenario" }),
  scenario: setting({ section: "input", flag: "--scenario <name>", help: "Run only this scenario (repeatable)" }),
  plugin: setting({ section: "input", flag: "--plugin <file>", help: "Load a backend or exporter plugin file (repeatable)" }),
  header: setting({ section: "input", flag: "--header <header>", help: 'Extra request header "Name: value" (repeatable)', note: "added to the scenario's headers" }),
  api_key: setting({ section: "input", env: "OPENAI_API_KEY", help: "Bearer token (never written to logs or results)" }),
  concurrency_levels: setting({ section: "sweep", flag: "--concurrency-levels <list>", env: "CONCURRENCY_LEVELS", help: "Sweep: run every scenario at each max_concurrency" }),
  request_rates: setting({ section: "sweep", flag: "--request-rates <list>", help: 'Sweep: run every scenario at each request rate ("inf" allowed)' }),
  export: setting({ section: "output", flag: "--export <list>", help: "Exporters: json, csv, msgpack, prometheus, or a loaded plugin", defaultText: "the config's `exporters`, else json" }),
  clickhouse_url: setting({ section: "output", flag: "--clickhouse-url <url>", env: "CLICKHOUSE_URL", help: "ClickHouse HTTP URL for --export clickhouse (user/password: CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)" }),
  clickhouse_user: setting({ section: "output", env: "CLICKHOUSE_USER", help: "ClickHouse user (never printed)" }),
  clickhouse_password: setting({ section: "output", env: "CLICKHOUSE_PASSWORD", help: "ClickHouse password (never printed)" }),
  push_gateway: setting({ section: "output", flag: "--push-gateway <url>", env: "PUSHGATEWAY_URL", help: "Push the final metrics to this Prometheus Pushgateway (adds the pushgateway exporter)" }),
  metrics_port: setting({ section: "output", flag: "--metrics-port <port>", env: "METRICS_PORT", help: "Serve live Prometheus metrics at :PORT/metrics during the run (0 = a free port)" }),
  metrics_host: setting({ section: "output", flag: "--metrics-host <addr>", help: "Address the live metrics server binds", defaultText: "0.0.0.0" }),
  output_dir: setting({ section: "output", flag: "--output-dir <dir>", env: "OUTPUT_DIR", help: "Results directory", defaultText: "./benchmark_results", note: "the container image sets /app/results" }),
  parsed_dir: setting({ section: "output", flag: "--parsed-dir <dir>", env: "PARSED_DIR", help: "Standardized results directory", defaultText: "$OUTPUT_DIR/parsed" }),
  shard: setting({ section: "shard", flag: "--shard <i/n>", env: "VBENCH_SHARD", help: "Send only shard I of N of the global schedule (request i goes to shard i mod N); on a Kubernetes Indexed Job JOB_COMPLETION_INDEX with VBENCH_SHARDS=N" }),
  shards: setting({ section: "shard", env: "VBENCH_SHARDS", help: "Shard count N on a Kubernetes Indexed Job, which sets JOB_COMPLETION_INDEX in every pod" }),
  run_id: setting({ section: "shard", flag: "--run-id <id>", env: "VBENCH_RUN_ID", help: "Run id in every x-request-id and result; shards of one run share it", defaultText: "a random vb-xxxxxxxx" }),
  start_at: setting({ section: "shard", flag: "--start-at <time>", env: "VBENCH_START_AT", help: "Wait for this RFC 3339 UTC instant (e.g. 2026-12-02T16:30:00Z) before the first release; refuse if it has passed" }),
  workers: setting({ section: "process", flag: "--workers <n>", env: "VBENCH_WORKERS", help: 'Worker threads that run the load engine, every mode (see docs/performance.md, "Worker threads"); 0 runs it on the main thread. VBENCH_DISPATCH_THREADS, the older name, is still read', defaultText: "the CPUs vbench may use, at most 16; 0 with one CPU" }),
  default_slice: setting({ section: "process", env: "VBENCH_DEFAULT_SLICE", help: "1 keeps the kernel's default scheduler slice for the engine's threads" }),
  jit_top_tier: setting({ section: "process", env: "BUN_JSC_useFTLJIT", help: "The JavaScript engine's top compiler tier for run, search and calibrate: unset, vbench restarts itself with it off (false), measured better for timing; true keeps it (docs/performance.md, \"The JIT\")", defaultText: "false (set by vbench)" }),
} satisfies Record<string, Field<undefined>>;

export type RunSettingName = keyof typeof RUN_SETTINGS;

type Env = Record<string, string | undefined>;

/** A run setting's raw value: its flag (cac's parsed options), else its environment variable; undefined when neither is set. */
export function runSetting(name: RunSettingName, options: Record<string, unknown>, env: Env): unknown {
  const f: Field<undefined> = RUN_SETTINGS[name];
  return (f.flag ? options[optionName(f.flag)] : undefined) ?? (f.env ? env[f.env] : undefined);
}

/** The environment variable of a run setting, as the table names it. */
export function envOf(name: RunSettingName): string {
  return (RUN_SETTINGS[name] as Field<undefined>).env!;
}
