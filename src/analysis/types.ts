/**
 * What the analysis commands (analyze, compare, aggregate, report) work on:
 * one saved run, whatever wrote it (vbench's benchmark_results.json, vLLM's
 * saved result, or a standardized document), normalised into LoadedRun.
 */
import type { FailureCategory } from "../base/request-types.ts";
import type { MetricName } from "../base/summary-types.ts";
import type { ThresholdVerdict } from "../base/scenario-types.ts";
import type { MeasuredStats } from "../results/thresholds.ts";

/** Which kind of file a run was read from. */
export type RunSourceKind = "vbench" | "vllm" | "standardized";

/** Statistics of one latency metric, ms, as saved in the result (null where the file does not say). */
export type RunMetricStats = MeasuredStats;

/**
 * Per-request values derived from the detailed arrays (vLLM's
 * `--save-detailed`, kept by default by vbench), one entry per request in
 * request order. Latencies in ms, NaN for failed requests (and TPOT for
 * requests with one output token).
 */
export interface PerRequestData {
  success: boolean[];
  /** When the request was sent, s, on the run's own clock (only differences are meaningful); NaN when unknown. */
  startS: Float64Array;
  ttftMs: Float64Array;
  tpotMs: Float64Array;
  e2elMs: Float64Array;
  /** Gaps between token-bearing messages of each request, ms (empty for failures). */
  itlMs: Float64Array[];
  outputTokens: Float64Array;
  /** Prompt tokens per request (NaN when the file has no input_lens). */
  inputTokens: Float64Array;
  /** Error text per request, "" for successes. */
  errors: string[];
}

/**
 * One finished scenario run (one sweep point of one scenario of one
 * `vbench run`), whatever file it was read from. Its identity is
 * `key` = run id + scenario + sweep point (runKey in load.ts), never the run
 * id alone: one run writes a result per scenario and per sweep point. It is
 * also the ThresholdSubject the one evaluator judges (src/results/thresholds.ts).
 */
export interface LoadedRun {
  /** Identity across files: run id, scenario name, variant and shard (a vLLM file: what it and its standardized copy share). */
  key: string;
  /** vbench's run_id (shared by every scenario and sweep point of one run); null for vLLM's files. */
  runId: string | null;
  sourcePath: string;
  kind: RunSourceKind;
  /** The scenario label (name plus sweep variant): what runs are grouped and matched by. */
  scenario: string;
  /** The scenario's name in its config (without the variant), for looking up config thresholds. */
  scenarioName: string;
  /** The sweep point (`c8`, `r10`, `c8-rep2`), "" when none. */
  variant: string;
  /** `2/4` for one shard's share of a sharded run (`vbench run --shard`), null otherwise (a merged or unsharded result). */
  shard: string | null;
  /** Configured max_concurrency (null: unlimited or unknown). */
  maxConcurrency: number | null;
  /** Configured request rate, req/s (Infinity for "inf"; null when unknown). */
  requestRateRps: number | null;
  model: string | null;
  backend: string | null;
  /** ISO 8601 UTC, or null when the file carries no date. */
  timestamp: string | null;
  /** Ordering key, ms since the epoch (the file's mtime when it has no date). */
  timeMs: number;
  completed: number;
  /** Failed requests, cancelled ones included (vLLM's `failed`). */
  failed: number;
  /** Failures by category as vbench stored them (empty for other files). */
  failures: { byCategory: Partial<Record<FailureCategory, number>> };
  /** completed / (completed + failed), cancelled requests left out (results/thresholds.ts successRate); 0 when nothing finished. */
  successRate: number;
  durationS: number;
  requestThroughput: number | null;
  outputThroughput: number | null;
  totalTokenThroughput: number | null;
  maxOutputTokensPerS: number | null;
  maxConcurrentRequests: number | null;
  metrics: Partial<Record<MetricName, RunMetricStats>>;
  /** The vLLM flat keys (no detailed arrays). */
  flat: Record<string, unknown>;
  /** Threshold verdicts stored with the run (empty when it was run without thresholds). */
  thresholds: ThresholdVerdict[];
  /** vbench's response extras a threshold can judge (`output_ratio_min`); null ratio: not stored. */
  extras: { shortOutputs: { minRatio: number | null } };
  /** Detailed per-request data, or null for summary-only files. */
  requests: PerRequestData | null;
  /** vbench.client.steal_ms: steal time of the client's CPUs during the run (ms); null where the file has none. */
  stealMs: number | null;
  /** The standardized document: the one read for this run, else derived from the result file. */
  standardized: Record<string, unknown>;
}

/** Runs that share scenario, model and backend: one trend line. */
export interface RunGroup {
  key: string;
  scenario: string;
  model: string | null;
  backend: string | null;
  /** Oldest first. */
  runs: LoadedRun[];
}
