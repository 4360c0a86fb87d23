/**
 * The ClickHouse tables of the clickhouse exporter, as one column list per
 * table: name, type and how the value is taken from a result. CREATE TABLE and
 * the inserted rows come from the same list, so they cannot drift.
 *
 * `runs`: one row per scenario run holding every number of the standardized
 * document (flat columns; latency statistics in ms as `<metric>_<stat>_ms`),
 * with all computed percentiles also as parallel arrays (custom percentiles
 * such as 99.9 are kept). `requests`: one row per request (optional).
 *
 * Both tables are ReplacingMergeTree keyed by run: re-sending a run (e.g.
 * `vbench export raw.msgpack --format clickhouse`) replaces its rows when
 * parts merge; query with `FINAL` to see exactly one row per key at once.
 * Syntax checked against ClickHouse 18.16 (no DateTime64, no
 * input_format_defaults_for_omitted_fields: every column is always sent).
 */
import { finiteOrNull, objectOrEmpty, stringOrEmpty } from "../base/json-values.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { ScenarioResult } from "../base/scenario-types.ts";
import { buildStandardized } from "../results/standardized.ts";
import { percentileKey } from "../results/stats.ts";
import { requestLatencies } from "../results/result-docs.ts";

type Obj = Record<string, unknown>;
export interface Column<S> {
  name: string;
  type: string;
  value(source: S): unknown;
}

interface RunSource {
  doc: Obj;
  result: ScenarioResult;
  exportedAt: string;
}
interface RequestSource {
  record: RequestRecord;
  result: ScenarioResult;
}

const METRICS = ["ttft", "tpot", "itl", "e2el"] as const;
/** Flat percentile columns: the seed's metric_percentiles plus 99.9; null when not computed. */
export const FLAT_PERCENTILES = [25, 50, 75, 90, 95, 99, 99.9] as const;

/** A Float64 that may be infinite or NaN: ClickHouse's JSONEachRow reads the strings "inf" and "nan". */
function float(v: unknown): number | string {
  if (v === "inf" || v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return typeof v === "number" && Number.isNaN(v) ? "nan" : (finiteOrNull(v) ?? 0);
}
const count = (v: unknown): number => finiteOrNull(v) ?? 0;
const flag = (v: unknown): number => (v === true ? 1 : 0);

/** ISO 8601 → ClickHouse DateTime text (UTC, whole seconds: 18.16 has no DateTime64). */
export function clickhouseDateTime(iso: string): string {
  const d = new Date(iso);
  return (Number.isNaN(d.getTime()) ? new Date(0) : d).toISOString().slice(0, 19).replace("T", " ");
}

const params = (s: RunSource): Obj => objectOrEmpty(s.doc.parameters);
const metric = (s: RunSource, m: string): Obj => objectOrEmpty(objectOrEmpty(s.doc.metrics)[m]);
/** A percentile in a column name: 99.9 → "p99_9" (a dot is not allowed there). */
const percentileColumn = (p: number): string => `p${String(p).replace(".", "_")}`;

function sortedPercentiles(stats: Obj): number[] {
  return Object.keys(stats).filter((k) => /^p\d+(\.\d+)?$/.test(k)).map((k) => Number(k.slice(1))).sort((a, b) => a - b);
}

export const RUN_COLUMNS: Column<RunSource>[] = [
  { name: "run_id", type: "String", value: (s) => s.result.run.runId },
  { name: "scenario", type: "String", value: (s) => stringOrEmpty(s.doc.scenario) },
  { name: "variant", type: "String", value: (s) => stringOrEmpty(s.doc.variant) },
  { name: "started_at", type: "DateTime('UTC')", value: (s) => clickhouseDateTime(stringOrEmpty(s.doc.timestamp) || s.result.run.startedAtIso) },
  { name: "exported_at", type: "DateTime('UTC')", value: (s) => s.exportedAt },
  { name: "task_name", type: "String", value: (s) => stringOrEmpty(s.doc.task_name) },
  { name: "description", type: "String", value: (s) => stringOrEmpty(s.doc.description) },
  { name: "model", type: "String", value: (s) => stringOrEmpty(s.doc.model) },
  { name: "backend", type: "String", value: (s) => stringOrEmpty(s.doc.backend) },
  { name: "endpoint", type: "String", value: (s) => stringOrEmpty(s.doc.endpoint) },
  { name: "tool_version", type: "String", value: (s) => stringOrEmpty(objectOrEmpty(s.doc.source).tool_version) },
  { name: "host", type: "String", value: (s) => s.result.run.host.hostname },
  { name: "dataset_type", type: "String", value: (s) => stringOrEmpty(params(s).dataset_type) },
  { name: "num_prompts", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).num_prompts) },
  { name: "request_rate", type: "Float64", value: (s) => float(params(s).request_rate) },
  { name: "burstiness", type: "Float64", value: (s) => float(s.result.scenario.burstiness) },
  { name: "max_concurrency", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).max_concurrency) },
  { name: "duration_limit_s", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).duration_s) },
  { name: "random_input_len", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).random_input_len) },
  { name: "random_output_len", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).random_output_len) },
  { name: "random_range_ratio", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).random_range_ratio) },
  { name: "random_prefix_len", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).random_prefix_len) },
  { name: "seed", type: "Nullable(Float64)", value: (s) => finiteOrNull(params(s).seed) },
  { name: "tokenizer", type: "String", value: (s) => stringOrEmpty(params(s).tokenizer) },
  { name: "duration_s", type: "Float64", value: (s) => count(s.doc.duration_s) },
  { name: "completed", type: "UInt64", value: (s) => count(s.doc.completed) },
  { name: "failed", type: "UInt64", value: (s) => count(s.doc.failed) },
  { name: "success_rate", type: "Float64", value: (s) => count(s.doc.success_rate) },
  { name: "total_input_tokens", type: "UInt64", value: (s) => count(s.doc.total_input_tokens) },
  { name: "total_output_tokens", type: "UInt64", value: (s) => count(s.doc.total_output_tokens) },
  { name: "request_throughput", type: "Float64", value: (s) => count(s.doc.request_throughput) },
  { name: "request_goodput", type: "Nullable(Float64)", value: (s) => finiteOrNull(s.doc.request_goodput) },
  { name: "output_throughput", type: "Float64", value: (s) => count(s.doc.output_throughput) },
  { name: "total_token_throughput", type: "Float64", value: (s) => count(s.doc.total_token_throughput) },
  { name: "max_output_tokens_per_s", type: "Float64", value: (s) => count(s.doc.max_output_tokens_per_s) },
  { name: "max_concurrent_requests", type: "Float64", value: (s) => count(s.doc.max_concurrent_requests) },
  ...METRICS.flatMap((m): Column<RunSource>[] => [
    { name: `${m}_mean_ms`, type: "Nullable(Float64)", value: (s) => finiteOrNull(metric(s, m).mean) },
    { name: `${m}_median_ms`, type: "Nullable(Float64)", value: (s) => finiteOrNull(metric(s, m).median) },
    { name: `${m}_std_ms`, type: "Nullable(Float64)", value: (s) => finiteOrNull(metric(s, m).std) },
    ...FLAT_PERCENTILES.map((p): Column<RunSource> => ({ name: `${m}_${percentileColumn(p)}_ms`, type: "Nullable(Float64)", value: (s) => finiteOrNull(metric(s, m)[percentileKey(p)]) })),
    { name: `${m}_percentiles`, type: "Array(Float64)", value: (s) => sortedPercentiles(metric(s, m)) },
    { name: `${m}_percentile_values_ms`, type: "Array(Float64)", value: (s) => sortedPercentiles(metric(s, m)).map((p) => finiteOrNull(metric(s, m)[percentileKey(p)]) ?? 0) },
  ]),
  { name: "passed", type: "UInt8", value: (s) => flag(s.doc.passed) },
  { name: "threshold_keys", type: "Array(String)", value: (s) => s.result.thresholds.map((t) => t.key) },
  { name: "threshold_limits", type: "Array(Float64)", value: (s) => s.result.thresholds.map((t) => float(t.limit)) },
  { name: "threshold_measured", type: "Array(Float64)", value: (s) => s.result.thresholds.map((t) => float(t.measured)) },
  { name: "threshold_passed", type: "Array(UInt8)", value: (s) => s.result.thresholds.map((t) => flag(t.passed)) },
  { name: "failure_categories", type: "Array(String)", value: (s) => Object.keys(s.result.summary.failures.byCategory) },
  { name: "failure_counts", type: "Array(UInt64)", value: (s) => Object.values(s.result.summary.failures.byCategory).map(count) },
  { name: "client_bound", type: "UInt8", value: (s) => flag(s.result.summary.extras.clientBound) },
  { name: "interrupted", type: "UInt8", value: (s) => flag(s.result.run.interrupted) },
];

const latency = (s: RequestSource) => requestLatencies(s.record);

export const REQUEST_COLUMNS: Column<RequestSource>[] = [
  { name: "run_id", type: "String", value: (s) => s.result.run.runId },
  { name: "scenario", type: "String", value: (s) => s.result.scenario.name },
  { name: "variant", type: "String", value: (s) => s.result.run.variant },
  { name: "request_index", type: "UInt64", value: (s) => s.record.index },
  { name: "started_at", type: "DateTime('UTC')", value: (s) => clickhouseDateTime(s.result.run.startedAtIso) },
  { name: "request_id", type: "String", value: (s) => s.record.requestId },
  { name: "success", type: "UInt8", value: (s) => flag(s.record.success) },
  { name: "error_category", type: "String", value: (s) => s.record.error?.category ?? "" },
  { name: "error_message", type: "String", value: (s) => s.record.error?.message ?? "" },
  { name: "http_status", type: "UInt16", value: (s) => s.record.error?.status ?? 0 },
  { name: "scheduled_ms", type: "Float64", value: (s) => count(s.record.scheduledAtMs) },
  { name: "dispatched_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(s.record.dispatchedAtMs) },
  { name: "sent_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(s.record.sentAtMs) },
  { name: "done_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(s.record.doneAtMs) },
  { name: "ttft_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(latency(s).ttftMs) },
  { name: "tpot_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(latency(s).tpotMs) },
  { name: "e2el_ms", type: "Nullable(Float64)", value: (s) => finiteOrNull(latency(s).e2elMs) },
  { name: "chunks", type: "UInt64", value: (s) => s.record.chunkAtMs.length },
  { name: "input_tokens", type: "UInt64", value: (s) => s.record.inputTokens },
  { name: "output_tokens", type: "UInt64", value: (s) => s.record.outputTokens },
  { name: "output_token_source", type: "String", value: (s) => s.record.outputTokenSource },
  { name: "finish_reason", type: "String", value: (s) => s.record.finishReason ?? "" },
];

/** ORDER BY keys: the identity of a row, so a re-sent run replaces its rows. */
export const RUN_KEY = ["run_id", "scenario", "variant"];
export const REQUEST_KEY = ["run_id", "scenario", "variant", "request_index"];

/** `CREATE TABLE IF NOT EXISTS` for a column list; `table` is a quoted `db`.`table`. */
export function createTableSql<S>(table: string, columns: Column<S>[], key: string[]): string {
  const cols = columns.map((c) => `  ${c.name} ${c.type}`).join(",\n");
  // exported_at as the version: of two sends of one run, the later one survives a merge.
  const version = columns.some((c) => c.name === "exported_at") ? "exported_at" : "";
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${cols}\n) ENGINE = ReplacingMergeTree(${version}) PARTITION BY toYYYYMM(started_at) ORDER BY (${key.join(", ")})`;
}

function row<S>(columns: Column<S>[], source: S): Obj {
  const out: Obj = {};
  for (const c of columns) out[c.name] = c.value(source);
  return out;
}

/** The `runs` row of one scenario run. `exportedAt` is a ClickHouse DateTime text. */
export function runRow(result: ScenarioResult, exportedAt: string): Obj {
  return row(RUN_COLUMNS, { doc: buildStandardized(result), result, exportedAt });
}

export function requestRows(result: ScenarioResult): Obj[] {
  return result.records.map((record) => row(REQUEST_COLUMNS, { record, result }));
}
