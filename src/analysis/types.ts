/**
 * What the analysis commands (analyze, compare, aggregate, report) work on:
 * one saved run, whatever wrote it (vbench's benchmark_results.json, vLLM's
 * saved result, or a standardized document), normalised into LoadedRun.
 */
import type { MetricName } from "../core/types.ts";
import type { FlatVerdict } from "../core/flat-thresholds.ts";

/** Which kind of file a run was read from. */
export type RunSourceKind = "vbench" | "vllm" | "standardized";

/** Statistics of one latency metric, ms, as saved in the result. */
export interface RunMetricStats {
  /** Values the statistics were computed from; null when the file does not say. */
  count: number | null;
  mean: number;
  median: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** Keyed `p25`, `p99`, `p99.9`, ascending by percentile. */
  percentiles: Record<string, number>;
}

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

export interface LoadedRun {
  /** run_id when the file has one, else the source path: identifies the run across files. */
  id: string;
  sourcePath: string;
  kind: RunSourceKind;
  /** The scenario label (name plus sweep variant): what runs are grouped and matched by. */
  scenario: string;
  /** The scenario's name in its config (without the variant), for looking up config thresholds. */
  scenarioName: string;
  model: string | null;
  backend: string | null;
  /** ISO 8601 UTC, or null when the file carries no date. */
  timestamp: string | null;
  /** Ordering key, ms since the epoch (the file's mtime when it has no date). */
  timeMs: number;
  completed: number;
  failed: number;
  /** completed / (completed + failed); 0 when nothing ran. */
  successRate: number;
  durationS: number;
  requestThroughput: number | null;
  outputThroughput: number | null;
  totalTokenThroughput: number | null;
  maxOutputTokensPerS: number | null;
  maxConcurrentRequests: number | null;
  metrics: Partial<Record<MetricName, RunMetricStats>>;
  /** The vLLM flat keys (no detailed arrays): what threshold keys are evaluated against. */
  flat: Record<string, unknown>;
  /** Threshold verdicts stored with the run (empty when it was run without thresholds). */
  thresholds: FlatVerdict[];
  /** Detailed per-request data, or null for summary-only files. */
  requests: PerRequestData | null;
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
