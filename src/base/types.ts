/**
 * Domain types and the plugin contracts. Plugins import from here (or from the
 * `vbench/plugin` virtual module, which re-exports this file); the core never
 * imports a plugin.
 *
 * Units are in the names: `...Ms` milliseconds on the run's monotonic clock
 * (performance.now(), relative to the run's t0), `...S` seconds, `...Rps`
 * requests per second.
 */

/** Why a request failed (spec/metrics.md "Success"). */
export type FailureCategory = "connect" | "timeout" | "http" | "stream" | "truncated" | "cancelled";

export const FAILURE_CATEGORIES: readonly FailureCategory[] = [
  "connect",
  "timeout",
  "http",
  "stream",
  "truncated",
  "cancelled",
];

/** The four latency metrics vLLM reports. */
export type MetricName = "ttft" | "tpot" | "itl" | "e2el";
export const METRIC_NAMES: readonly MetricName[] = ["ttft", "tpot", "itl", "e2el"];

export type TokenSource = "server" | "tokenizer";

/** One chat message, as sent in `messages`. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One request of a workload, built when the request is about to be needed (src/engine/request-producer.ts). */
export interface WorkloadItem {
  /** The prompt text (for chat backends: the last user message). */
  prompt: string;
  /** Full conversation for chat backends (multi-turn); absent means one user message with `prompt`. */
  messages?: ChatMessage[];
  /** Prompt length in tokens by the run's tokenizer. */
  inputTokens: number;
  /** Requested output length in tokens. */
  outputTokens: number;
}

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/** What a backend needs to build one request body. */
export interface BuildRequestInput {
  item: WorkloadItem;
  /** The `model` field sent to the server (SERVED_MODEL_NAME or discovered). */
  model: string;
  /** True for synthetic workloads (random, synthetic): ask the server to ignore EOS. */
  ignoreEos: boolean;
  /** Sampling fields from the config (temperature, top_p, ...), passed through. */
  sampling: Readonly<Record<string, unknown>>;
  /** `extra_body` from the config, merged over the built body last. */
  extraBody: Readonly<Record<string, unknown>>;
}

/** Classification of one stream payload, returned by {@link ResponseParser.onPayload}. */
export const PayloadKind = {
  /** Not token-bearing (usage-only chunk, keep-alive, metadata). */
  Ignore: 0,
  /** A token-bearing message: the core stamps `chunkAt` for it. */
  Token: 1,
  /** The backend's end marker (`[DONE]`). */
  Done: 2,
  /** An error object or malformed data inside the stream; details in `state.error`. */
  Error: 3,
  /** A token-bearing message that is also the end marker (TGI's final event). */
  TokenAndDone: 4,
  /**
   * A token-bearing message that carried no generated text (a role-only
   * delta, an empty finish chunk): stamped like `Token` for vLLM's ITL, left
   * out of the content ITL. A parser that cannot tell returns `Token`.
   */
  TokenNoText: 5,
  /** `TokenNoText` that is also the end marker (a completions finish chunk with empty text and usage). */
  TokenNoTextAndDone: 6,
} as const;
export type PayloadKind = (typeof PayloadKind)[keyof typeof PayloadKind];

/** What a parser has learned from a response so far. Read by the core after the stream ends. */
export interface ParsedResponse {
  /** Server-reported output token count (usage.completion_tokens, details.generated_tokens). */
  outputTokens?: number;
  /** Server-reported prompt token count (usage.prompt_tokens). */
  promptTokens?: number;
  /** Generated text pieces, in order (joined only after the run, when needed). */
  textParts: string[];
  finishReason?: string;
  /** Set when the stream carried an error object or malformed data. */
  error?: string;
  /** True once the backend's end marker was seen. */
  ended: boolean;
}

/**
 * Per-request stream interpreter. Pure: no I/O, no clock reads, no logging.
 * `onPayload` gets each SSE `data:` payload (the text after `data:`), or the
 * whole body once for a non-streaming response.
 */
export interface ResponseParser {
  readonly state: ParsedResponse;
  onPayload(payload: string): PayloadKind;
}

/** Discovery: how to ask a server which models it serves. */
export interface DiscoverySpec {
  /** GET path, e.g. `/v1/models` or `/info`. */
  path: string;
  /** Extract the served model ids from the parsed JSON body. */
  parseModels(body: unknown): string[];
}

export interface BackendPlugin {
  kind: "backend";
  name: string;
  description: string;
  /** Endpoint path used when the config gives none. */
  defaultEndpointPath: string;
  /** Returns a hint when a configured endpoint path is wrong for this backend, else undefined. */
  checkEndpointPath?(path: string): string | undefined;
  discovery: DiscoverySpec;
  /** Build the JSON body (an object; the core serialises it before the clock starts). */
  buildBody(input: BuildRequestInput): Record<string, unknown>;
  /** Extra headers this backend needs (besides Content-Type, Authorization, x-request-id). */
  headers?(): Record<string, string>;
  createParser(): ResponseParser;
}

// ---------------------------------------------------------------------------
// Records and results
// ---------------------------------------------------------------------------

export interface RequestFailure {
  category: FailureCategory;
  message: string;
  /** HTTP status for `http` failures. */
  status?: number;
  /** First 1 KiB of the response body for `http` failures. */
  body?: string;
}

/**
 * Everything measured about one request. Timestamps are ms on the run clock
 * (relative to the scenario's t0). A request that never got a slot has
 * dispatchedAtMs/sentAtMs = NaN.
 */
export interface RequestRecord {
  index: number;
  /** `x-request-id` sent with it. */
  requestId: string;
  scheduledAtMs: number;
  dispatchedAtMs: number;
  sentAtMs: number;
  /** Arrival of each token-bearing message. */
  chunkAtMs: Float64Array;
  /**
   * Indexes into chunkAtMs of the token-bearing messages that carried no
   * generated text (PayloadKind.TokenNoText); absent when there were none.
   */
  noTextChunks?: number[];
  /** Arrival of the last token-bearing message (NaN when none arrived). */
  endAtMs: number;
  /** When the request finished in any way (stream closed, error, cancel). */
  doneAtMs: number;
  success: boolean;
  error?: RequestFailure;
  /** Prompt length vbench built (the run's tokenizer), as vLLM's total_input_tokens counts it. */
  inputTokens: number;
  /** The server's own prompt count (usage.prompt_tokens), chat template included; absent when not reported. */
  serverInputTokens?: number;
  outputTokens: number;
  outputTokenSource: TokenSource;
  /** The local tokenizer's count of the generated text, when it was computed. */
  tokenizerOutputTokens?: number;
  /** Output length the workload asked for. */
  requestedOutputTokens: number;
  finishReason?: string;
  generatedText?: string;
  /**
   * Times the request was sent again on a new connection because the
   * kept-alive one it went out on closed before any byte of a response (at
   * most 1); absent when it was not. sentAtMs is then the re-send's time, so
   * TTFT and E2EL count from the request the server answered.
   */
  resent?: number;
  /** The first send's time, when the request was re-sent: `sentAtMs − firstSentAtMs` is the time the re-send cost. */
  firstSentAtMs?: number;
  /** Multi-turn workloads: session and turn index. */
  session?: number;
  turn?: number;
}

/** Statistics of one series (spec/metrics.md "Statistics"). Values in the series' unit. */
export interface SeriesStats {
  /** How many values the statistics were computed from. */
  count: number;
  mean: number;
  median: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  /** Keyed `p25`, `p99`, `p99.9`. */
  percentiles: Record<string, number>;
  /** False when computed from an HDR histogram instead of all values. */
  exact: boolean;
}

export interface FailureSummary {
  byCategory: Partial<Record<FailureCategory, number>>;
  /** The first few failures, for the report. */
  samples: { index: number; category: FailureCategory; message: string }[];
}

/** Run-level results in vLLM's terms plus vbench's extras. */
export interface Summary {
  completed: number;
  failed: number;
  /** completed + failed (requests that were scheduled). */
  total: number;
  durationS: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  requestThroughput: number;
  requestGoodput: number | null;
  outputThroughput: number;
  totalTokenThroughput: number;
  maxOutputTokensPerS: number;
  maxConcurrentRequests: number;
  /** Only the metrics selected by percentile_metrics are present; values in ms. */
  metrics: Partial<Record<MetricName, SeriesStats>>;
  failures: FailureSummary;
  extras: SummaryExtras;
}

export interface SummaryExtras {
  clientQueueMs: SeriesStats;
  /** sentAt − dispatchedAt. */
  sendLagMs: SeriesStats;
  /** dispatchedAt − scheduledAt for requests that did not wait for a slot: lateness of the dispatcher itself. */
  dispatchLagMs: SeriesStats;
  e2elInclQueueMs: SeriesStats;
  configuredRateRps: number | "inf";
  /** Requests dispatched / dispatch window; null with fewer than 2 requests. */
  achievedRateRps: number | null;
  tokenSources: { server: number; tokenizer: number; mismatchMeanAbs: number | null; mismatchCount: number };
  eventLoopLagMs: { p50: number; p99: number; max: number; samples: number };
  clientCpuS: number;
  /** True when the client's own lag exceeded the documented bound. */
  clientBound: boolean;
  clientBoundReason?: string;
  /**
   * The server's prompt-token count (usage.prompt_tokens) beside the built
   * prompt lengths, over the successful requests that reported one; absent
   * when none did. `total − builtTotal` is what the server added (the chat
   * template).
   */
  serverInputTokens?: { total: number; requests: number; builtTotal: number };
  /**
   * Gaps (ms) between consecutive token-bearing messages that carried
   * generated text: vLLM's ITL without role-only or empty finish messages.
   * Absent in results written before it existed.
   */
  contentItlMs?: SeriesStats;
  /** Token-bearing messages of successful requests that carried no generated text. */
  noTextMessages?: number;
  /**
   * Successful requests whose output was shorter than requested, by the
   * server's finish_reason (`stop`/`eos_token`: the model ended it; `length`:
   * a limit such as a full context; `unknown` when none was sent), and the
   * smallest output/requested ratio of any successful request (null when
   * none finished).
   */
  shortOutputs?: { count: number; byFinishReason: Record<string, number>; minRatio: number | null };
  /**
   * Requests re-sent on a new connection because their kept-alive one closed
   * before any response (successes and failures), and the time each re-send
   * cost (re-send − first send, ms; count 0 when none). Absent in results
   * written before it existed.
   */
  resent?: { requests: number; waitMs: SeriesStats };
  /** Time from the last dispatch to the last finish (time-bound runs report it). */
  drainS: number;
  /** Multi-turn runs: TTFT and E2EL by turn index (0-based), successful requests only. */
  perTurn?: { turn: number; ttftMs: SeriesStats; e2elMs: SeriesStats }[];
  /**
   * Shared-prefix workloads: TTFT of each group's first request (the server
   * has not seen the prefix) against the group's later ones (a prefix cache
   * can hit).
   */
  prefixGroups?: { groups: number; firstTtftMs: SeriesStats; repeatTtftMs: SeriesStats };
}

// ---------------------------------------------------------------------------
// Scenarios (resolved configuration)
// ---------------------------------------------------------------------------

export type RampUp = { strategy: "linear" | "exponential"; startRps: number; endRps: number };

/** A scenario after precedence was applied: every field resolved. Frozen. */
export interface ResolvedScenario {
  name: string;
  description: string;
  backend: string;
  endpointPath: string;
  baseUrl: string;
  /** Model id for labels (MODEL_NAME or discovered). Empty until discovery fills it. */
  model: string;
  /** The `model` field sent (SERVED_MODEL_NAME, MODEL_NAME or discovered). */
  servedModel: string;
  tokenizer: string;
  datasetType: string;
  /** Dataset-specific options (dataset_path, distributions, sessions...). */
  dataset: Readonly<Record<string, unknown>>;
  maxConcurrency: number | null;
  numPrompts: number;
  requestRate: number; // Infinity for inf
  burstiness: number;
  rampUp: RampUp | null;
  durationS: number | null;
  randomInputLen: number;
  randomOutputLen: number;
  randomRangeRatio: number;
  randomPrefixLen: number;
  percentileMetrics: MetricName[];
  metricPercentiles: number[];
  /** SLOs in ms by metric. */
  goodput: Partial<Record<"ttft" | "tpot" | "e2el", number>>;
  seed: number;
  sampling: Record<string, unknown>;
  extraBody: Record<string, unknown>;
  headers: Record<string, string>;
  timeoutS: number;
  idleTimeoutS: number;
  warmups: number;
  thresholds: Record<string, number>;
  exporters: string[];
  saveGeneratedText: boolean;
  /** False (`model_check: false`, --no-model-check): send the model name even when the server does not list it. */
  modelCheck: boolean;
}

/** One finished scenario run, handed to exporters. */
export interface ScenarioResult {
  scenario: ResolvedScenario;
  records: RequestRecord[];
  summary: Summary;
  run: RunInfo;
  thresholds: ThresholdVerdict[];
}

export interface RunInfo {
  runId: string;
  toolVersion: string;
  /** Wall-clock start, ISO 8601 UTC. */
  startedAtIso: string;
  /** `YYYYMMDD_HHMMSS` local time, used in file names. */
  timestamp: string;
  /** Directory of this scenario's result files. */
  scenarioDir: string;
  outputDir: string;
  parsedDir: string;
  /** Label distinguishing sweep points (e.g. `c8`, `r10`), empty otherwise. */
  variant: string;
  host: { hostname: string; platform: string; arch: string; cpus: number; runtime: string };
  interrupted: boolean;
  /** Wall-clock time (epoch ms) of the run clock's t0: a record time + this = its wall-clock time. */
  t0EpochMs?: number;
  /** This run is one shard of a sharded run (src/config/shard.ts). */
  shard?: ShardRunInfo;
  /** This result was merged from shards by `vbench merge`. */
  merge?: MergeRunInfo;
}

/** Identity of one shard: what `vbench merge` checks before it combines shards. */
export interface ShardRunInfo {
  index: number;
  count: number;
  /** configHash() of the resolved scenario (src/config/shard.ts). */
  configHash: string;
  /** The common start (--start-at), ISO 8601 UTC; null when the shard started on its own. */
  startAtIso: string | null;
}

/** How a merged result came about. */
export interface MergeRunInfo {
  count: number;
  configHash: string;
  startAtIso: string | null;
  /** Shard indexes merged, and those missing (only with --allow-partial). */
  merged: number[];
  missing: number[];
  partial: boolean;
  /** Shards without a result file (they died or were killed): merged from requests.jsonl alone. */
  recordsOnly: number[];
  /** Shards whose own result flagged the client as the bottleneck. */
  clientBound: number[];
}

export interface ThresholdVerdict {
  key: string;
  limit: number;
  /** NaN when it could not be measured (null in the JSON files). */
  measured: number;
  /** `<=` for latencies, `>=` for throughput_min and success_rate. */
  comparison: "<=" | ">=";
  passed: boolean;
  /** The implicit `success_rate >= 1` of a run with failed requests and no success_rate threshold (src/results/thresholds.ts). */
  implicit?: boolean;
}

// ---------------------------------------------------------------------------
// Exporters
// ---------------------------------------------------------------------------

export interface ExportContext {
  /** Directory the scenario's files go in (created by the core). */
  scenarioDir: string;
  outputDir: string;
  parsedDir: string;
  /** Exporter options from the config/flags (`exporter_options.<name>`). */
  options: Readonly<Record<string, unknown>>;
  /** Log a line for humans (stderr and the main log). */
  log(message: string): void;
}

export interface ExporterPlugin {
  kind: "exporter";
  name: string;
  description: string;
  /** Check the destination before any traffic; throw a VbenchError when it is unusable. */
  preflight?(ctx: ExportContext): Promise<void>;
  /** Write one scenario's results after it finished (off the hot path). Returns paths written. */
  write(result: ScenarioResult, ctx: ExportContext): Promise<string[]>;
  /** Called once after all scenarios (e.g. one summary row per scenario). */
  finish?(results: ScenarioResult[], ctx: ExportContext): Promise<string[]>;
}

export type Plugin = BackendPlugin | ExporterPlugin;
