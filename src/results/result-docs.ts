/**
 * The vLLM-compatible `benchmark_results.json` document (spec/output.md), the
 * per-request numbers derived from raw records, and the JSON formatting both
 * result documents use. The standardized document lives in standardized.ts,
 * which builds on this one.
 *
 * Units follow vLLM's saved result: latency statistics in ms
 * (`mean_ttft_ms`), detailed arrays in seconds (`ttfts`, `itls`).
 */
import { redactHeaders, redactUrl } from "../base/redact.ts";
import { responseExtrasJson } from "./response-extras.ts";
import type { MetricName, SeriesStats, Summary } from "../base/summary-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import { withFlatDataset } from "../base/dataset-types.ts";
import type { ResolvedScenario, ScenarioResult, ThresholdVerdict } from "../base/scenario-types.ts";

export const RESULT_SCHEMA = "vbench.result/1";

/** Per-request latencies of a successful request, ms; NaN where not defined. */
export interface RequestLatencies {
  ttftMs: number;
  /** NaN unless outputTokens > 1 (spec/metrics.md). */
  tpotMs: number;
  e2elMs: number;
  /** Gaps between consecutive token-bearing messages. */
  itlMs: number[];
}

const NO_LATENCIES: RequestLatencies = { ttftMs: NaN, tpotMs: NaN, e2elMs: NaN, itlMs: [] };

/** vLLM's per-request definitions; failures have no latencies. */
export function requestLatencies(r: RequestRecord): RequestLatencies {
  if (!r.success || r.chunkAtMs.length === 0) return NO_LATENCIES;
  const ttftMs = r.chunkAtMs[0] - r.sentAtMs;
  const e2elMs = r.endAtMs - r.sentAtMs;
  const tpotMs = r.outputTokens > 1 ? (e2elMs - ttftMs) / (r.outputTokens - 1) : NaN;
  const itlMs: number[] = [];
  for (let k = 1; k < r.chunkAtMs.length; k++) itlMs.push(r.chunkAtMs[k] - r.chunkAtMs[k - 1]);
  return { ttftMs, tpotMs, e2elMs, itlMs };
}

/** `p` key of a percentile as vLLM spells it: 99 → "99", 99.9 → "99.9". */
export function percentileWord(p: number): string {
  return String(p);
}

/** The label of a scenario run everywhere (file names, reports, grouping): the name plus the sweep variant. */
export function runLabel(name: string, variant: string): string {
  return variant ? `${name}_${variant}` : name;
}

export function scenarioLabel(result: ScenarioResult): string {
  return runLabel(result.scenario.name, result.run.variant);
}

/** vLLM's run-level result keys (tokens, throughputs, peaks), shared by the JSON document and summary.csv. */
export function runLevelFields(sum: Summary): Record<string, number | null> {
  return {
    total_input_tokens: sum.totalInputTokens,
    total_output_tokens: sum.totalOutputTokens,
    request_throughput: sum.requestThroughput,
    request_goodput: sum.requestGoodput,
    output_throughput: sum.outputThroughput,
    total_token_throughput: sum.totalTokenThroughput,
    max_output_tokens_per_s: sum.maxOutputTokensPerS,
    max_concurrent_requests: sum.maxConcurrentRequests,
  };
}

/** The resolved scenario as stored in results: secrets in headers redacted, the dataset as `datasetType` and `dataset` (its options). */
export function scenarioForOutput(scenario: ResolvedScenario): Record<string, unknown> {
  return withFlatDataset({ ...scenario, baseUrl: redactUrl(scenario.baseUrl), headers: redactHeaders(scenario.headers) });
}

function metricKeys(out: Record<string, unknown>, metric: MetricName, stats: SeriesStats | undefined, percentiles: number[]): void {
  out[`mean_${metric}_ms`] = stats?.mean ?? 0;
  out[`median_${metric}_ms`] = stats?.median ?? 0;
  out[`std_${metric}_ms`] = stats?.std ?? 0;
  for (const p of percentiles) {
    const word = percentileWord(p);
    out[`p${word}_${metric}_ms`] = stats?.percentiles[`p${word}`] ?? 0;
  }
}

function verdictJson(v: ThresholdVerdict): Record<string, unknown> {
  return { key: v.key, limit: v.limit, measured: v.measured, comparison: v.comparison, passed: v.passed, ...(v.implicit ? { implicit: true } : {}) };
}

/**
 * benchmark_results.json: exactly vLLM's keys (plus `failed`, which newer
 * vLLM also writes), then vbench's additions in `vbench`. Records appear in
 * request order. `start_times` are each request's sentAt in seconds on the
 * run clock (vLLM writes perf_counter() values, also only meaningful
 * relative to each other).
 */
export function buildBenchmarkResults(result: ScenarioResult, opts: { detailed?: boolean } = {}): Record<string, unknown> {
  const { scenario: s, summary: sum, run } = result;
  const records = [...result.records].sort((a, b) => a.index - b.index);
  const doc: Record<string, unknown> = {
    date: run.timestamp.replace("_", "-"),
    backend: s.backend,
    label: scenarioLabel(result),
    model_id: s.model,
    tokenizer_id: s.tokenizer,
    num_prompts: s.numPrompts,
    request_rate: Number.isFinite(s.requestRate) ? s.requestRate : "inf",
    burstiness: s.burstiness,
    max_concurrency: s.maxConcurrency,
    duration: sum.durationS,
    completed: sum.completed,
    failed: sum.failed,
    ...runLevelFields(sum),
  };
  for (const m of s.percentileMetrics) metricKeys(doc, m, sum.metrics[m], s.metricPercentiles);

  if (opts.detailed !== false) addDetailedArrays(doc, records, s.saveGeneratedText);
  doc.vbench = vbenchObject(result);
  return doc;
}

/** vLLM's --save-detailed arrays, one entry per request in request order. */
function addDetailedArrays(doc: Record<string, unknown>, records: RequestRecord[], saveGeneratedText: boolean): void {
  const lat = records.map(requestLatencies);
  // vLLM's conventions for failures: input length kept, 0 output tokens, ttft 0, no itls.
  doc.input_lens = records.map((r) => r.inputTokens);
  doc.output_lens = records.map((r) => (r.success ? r.outputTokens : 0));
  doc.ttfts = lat.map((l) => (Number.isNaN(l.ttftMs) ? 0 : l.ttftMs / 1000));
  doc.itls = lat.map((l) => l.itlMs.map((g) => g / 1000));
  doc.start_times = records.map((r) => (Number.isNaN(r.sentAtMs) ? null : r.sentAtMs / 1000));
  doc.errors = records.map((r) => (r.success ? "" : r.error ? `${r.error.category}: ${r.error.message}` : "failed"));
  if (saveGeneratedText) doc.generated_texts = records.map((r) => r.generatedText ?? "");
}

function vbenchObject(result: ScenarioResult): Record<string, unknown> {
  const { scenario: s, summary: sum, run } = result;
  const x = sum.extras;
  const metricStats: Record<string, unknown> = {};
  for (const m of s.percentileMetrics) {
    const st = sum.metrics[m];
    if (st) metricStats[m] = { count: st.count, min: st.min, max: st.max, exact: st.exact };
  }
  return {
    schema: RESULT_SCHEMA,
    tool_version: run.toolVersion,
    scenario: s.name,
    variant: run.variant,
    description: s.description,
    run_id: run.runId,
    started_at: run.startedAtIso,
    timestamp: run.timestamp,
    endpoint: redactUrl(s.baseUrl) + s.endpointPath,
    thresholds: result.thresholds.map(verdictJson),
    passed: result.thresholds.every((v) => v.passed),
    interrupted: run.interrupted,
    metric_stats: metricStats,
    client: {
      client_queue_ms: x.clientQueueMs,
      send_lag_ms: x.sendLagMs,
      dispatch_lag_ms: x.dispatchLagMs,
      e2el_incl_queue_ms: x.e2elInclQueueMs,
      configured_rate_rps: x.configuredRateRps,
      achieved_rate_rps: x.achievedRateRps,
      event_loop_lag_ms: x.eventLoopLagMs,
      ...(x.readStalls ? { read_stalls: { reads: x.readStalls.reads, over_1ms: x.readStalls.over1Ms, over_5ms: x.readStalls.over5Ms, max_ms: x.readStalls.maxMs } } : {}),
      client_cpu_s: x.clientCpuS,
      steal_ms: x.stealMs ?? null,
      client_bound: x.clientBound,
      client_bound_reason: x.clientBoundReason ?? null,
      ...(x.prefixGroups ? { prefix_groups: { groups: x.prefixGroups.groups, first_ttft_ms: x.prefixGroups.firstTtftMs, repeat_ttft_ms: x.prefixGroups.repeatTtftMs } } : {}),
      ...(x.perTurn ? { per_turn: x.perTurn.map((t) => ({ turn: t.turn, ttft_ms: t.ttftMs, e2el_ms: t.e2elMs })) } : {}),
      drain_s: x.drainS,
    },
    token_sources: {
      server: x.tokenSources.server,
      tokenizer: x.tokenSources.tokenizer,
      mismatch_mean_abs: x.tokenSources.mismatchMeanAbs,
      mismatch_count: x.tokenSources.mismatchCount,
      mismatch_compared: x.tokenSources.mismatchCompared,
    },
    ...responseExtrasJson(x),
    resent_requests: x.resent ? { count: x.resent.requests, wait_ms: x.resent.waitMs } : null,
    failures: { by_category: sum.failures.byCategory, samples: sum.failures.samples },
    host: run.host,
    seed: s.seed,
    ...(run.t0EpochMs !== undefined ? { t0_epoch_ms: run.t0EpochMs } : {}),
    ...(run.shard ? { shard: { index: run.shard.index, count: run.shard.count, run_id: run.runId, config_hash: run.shard.configHash, seed: s.seed, start_at: run.shard.startAtIso } } : {}),
    ...(run.merge ? { merge: mergeJson(run.merge) } : {}),
    config: scenarioForOutput(s),
  };
}

function mergeJson(merge: NonNullable<ScenarioResult["run"]["merge"]>): Record<string, unknown> {
  return { shards: merge.count, config_hash: merge.configHash, start_at: merge.startAtIso, merged: merge.merged, missing: merge.missing, partial: merge.partial, records_only: merge.recordsOnly, client_bound_shards: merge.clientBound };
}

/** JSON has no Infinity/NaN: infinite numbers become "inf"/"-inf" (vLLM's request_rate), NaN null. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) {
    if (Number.isNaN(value)) return null;
    return value > 0 ? "inf" : "-inf";
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, jsonSafe);
  return value;
}

function isFlat(a: unknown[]): boolean {
  return a.every((v) => v === null || typeof v !== "object" || (Array.isArray(v) && v.every((w) => w === null || typeof w !== "object")));
}

/** Fast path for arrays of primitives or of arrays of primitives (millions of ITL values). */
function flatArray(a: unknown[]): string {
  const parts = new Array<string>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v === "number") parts[i] = Number.isFinite(v) ? String(v) : JSON.stringify(jsonSafe(v));
    else if (Array.isArray(v)) parts[i] = flatArray(v);
    else parts[i] = JSON.stringify(jsonSafe(v)) ?? "null";
  }
  return `[${parts.join(",")}]`;
}

function formatValue(value: unknown, indent: string): string {
  value = jsonSafe(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    // Detailed arrays (itls of 1000 requests) stay one line each: readable and small.
    if (isFlat(value)) return flatArray(value);
    return `[\n${value.map((v) => inner + formatValue(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatValue(v, inner)}`).join(",\n")}\n${indent}}`;
}

/** Deterministic JSON text for result files: 2-space indent, flat arrays on one line, trailing newline. */
export function formatJson(value: unknown): string {
  return formatValue(value, "") + "\n";
}

/** The document as a JSON parser would see it (Infinity → "inf", NaN → null, typed arrays → arrays). */
export function toJsonValue<T = unknown>(value: unknown): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => jsonSafe(v))) as T;
}
