/**
 * csv exporter: requests.csv (one row per request) per scenario and, after all
 * scenarios, summary.csv (one row per scenario or sweep point) in OUTPUT_DIR.
 * RFC 4180 via papaparse: header row, CRLF, quotes only where needed; plain
 * numbers without units, empty cells where a value does not apply.
 */
import { join } from "node:path";
import Papa from "papaparse";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { requestLatencies } from "../../src/results/result-docs.ts";
import { percentileOfSorted } from "../../src/results/stats.ts";
import { summaryColumns, summaryRow, sweepPoints } from "./_csv-summary.ts";
import { METRIC_NAMES } from "../../src/base/summary-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";

export const REQUESTS_FILE = "requests.csv";
export const SUMMARY_FILE = "summary.csv";

/**
 * One cell: integers as is, other numbers rounded to 6 decimals (sub-µs for
 * ms columns) with trailing zeros dropped, so re-rendering is byte-identical;
 * NaN/null/undefined → empty; ±Infinity → "inf"/"-inf".
 */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v !== "number") return String(v);
  if (Number.isNaN(v)) return "";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v)) return String(v);
  const s = v.toFixed(6).replace(/\.?0+$/, "");
  return s === "-0" ? "0" : s;
}

/** Percentile p of unsorted values by the project's one definition (results/stats.ts); NaN (an empty cell) when there are none. */
function percentile(values: number[], p: number): number {
  return values.length === 0 ? NaN : percentileOfSorted(Float64Array.from(values).sort(), p);
}

export const REQUEST_COLUMNS = [
  "scenario", "variant", "index", "request_id", "success", "error_category", "error_message",
  "input_tokens", "output_tokens", "token_source", "ttft_ms", "tpot_ms", "e2el_ms",
  "itl_mean_ms", "itl_p50_ms", "itl_max_ms", "queue_ms", "sent_offset_s",
] as const;

/**
 * Text from servers (error messages) in a cell: a leading = + - @ would make
 * a spreadsheet run it as a formula (CSV injection), so it gets a leading
 * apostrophe, OWASP's advice. Numbers are never touched.
 */
function textCell(text: string | undefined): string | undefined {
  return text !== undefined && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function renderRequestsCsv(result: ScenarioResult): string {
  const records = [...result.records].sort((a, b) => a.index - b.index);
  const data = records.map((r) => {
    const l = requestLatencies(r);
    const itlMean = l.itlMs.length ? l.itlMs.reduce((a, b) => a + b, 0) / l.itlMs.length : NaN;
    return [
      result.scenario.name, result.run.variant, r.index, r.requestId, r.success,
      r.error?.category, textCell(r.error?.message), r.inputTokens, r.outputTokens, r.outputTokenSource,
      l.ttftMs, l.tpotMs, l.e2elMs, itlMean, percentile(l.itlMs, 50), l.itlMs.length ? l.itlMs.reduce((a, b) => Math.max(a, b), -Infinity) : NaN,
      r.dispatchedAtMs - r.scheduledAtMs, r.sentAtMs / 1000,
    ].map(cell);
  });
  return Papa.unparse({ fields: [...REQUEST_COLUMNS], data }, { newline: "\r\n" }) + "\r\n";
}

export function renderSummaryCsv(results: ScenarioResult[]): string {
  const columns = summaryColumns(results);
  const sweeps = sweepPoints(results);
  const data = results.map((r) => {
    const row = summaryRow(r, sweeps.get(r));
    return columns.map((c) => cell(row[c]));
  });
  return Papa.unparse({ fields: columns, data }, { newline: "\r\n" }) + "\r\n";
}

export default defineExporter({
  name: "csv",
  description: `requests.csv per scenario and summary.csv in OUTPUT_DIR (${METRIC_NAMES.join("/")} columns in ms)`,
  async preflight(ctx) {
    await checkWritableDir(ctx.scenarioDir, { create: true });
    await checkWritableDir(ctx.outputDir, { create: true });
  },
  async write(result, ctx) {
    const path = join(ctx.scenarioDir, REQUESTS_FILE);
    await writeFileAtomic(path, renderRequestsCsv(result));
    return [path];
  },
  async finish(results, ctx) {
    const path = join(ctx.outputDir, SUMMARY_FILE);
    await writeFileAtomic(path, renderSummaryCsv(results));
    return [path];
  },
});
