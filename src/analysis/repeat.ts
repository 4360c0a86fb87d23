/**
 * Statistics over repeated runs of one scenario (`vbench run --repeat N`):
 * for each run-level number and latency statistic, the mean across runs
 * with a 95% confidence interval from Student's t with n − 1 degrees of
 * freedom (mean ± t·s/√n, s the sample standard deviation). One run has no
 * interval (NaN).
 */
import { METRIC_NAMES, type MetricName, type Summary } from "../base/summary-types.ts";
import { studentTQuantile } from "./student-t.ts";
import { successRate } from "../results/thresholds.ts";
import { cell, formatTable } from "./table.ts";

export const REPEAT_CONFIDENCE = 0.95;

export interface RepeatRow {
  /** `output_throughput`, `ttft_mean_ms`, `e2el_p99_ms`, ... */
  key: string;
  label: string;
  /** One value per run, in run order. */
  values: number[];
  mean: number;
  /** Sample standard deviation (n − 1); NaN for one run. */
  std: number;
  /** Half-width of the interval: t · std / √n; NaN for one run. */
  halfWidth: number;
  ciLow: number;
  ciHigh: number;
}

export interface RepeatSummary {
  runs: number;
  confidence: number;
  /** The t quantile used (NaN for one run). */
  tCritical: number;
  rows: RepeatRow[];
}

const LABEL: Record<MetricName, string> = { ttft: "TTFT", tpot: "TPOT", itl: "ITL", e2el: "E2EL" };

/** The numbers summarised: run-level ones, then mean/median/percentiles of every metric all runs report. */
function series(summaries: Summary[]): { key: string; label: string; values: number[] }[] {
  const out: { key: string; label: string; values: number[] }[] = [];
  const add = (key: string, label: string, f: (s: Summary) => number) => out.push({ key, label, values: summaries.map(f) });
  add("completed", "Successful requests", (s) => s.completed);
  add("failed", "Failed requests", (s) => s.failed);
  add("success_rate", "Success rate", (s) => successRate(s) || 0);
  add("duration_s", "Benchmark duration (s)", (s) => s.durationS);
  add("request_throughput", "Request throughput (req/s)", (s) => s.requestThroughput);
  add("output_throughput", "Output token throughput (tok/s)", (s) => s.outputThroughput);
  add("total_token_throughput", "Total token throughput (tok/s)", (s) => s.totalTokenThroughput);
  add("max_output_tokens_per_s", "Peak output token throughput (tok/s)", (s) => s.maxOutputTokensPerS);
  for (const m of METRIC_NAMES) {
    if (!summaries.every((s) => s.metrics[m])) continue;
    add(`${m}_mean_ms`, `Mean ${LABEL[m]} (ms)`, (s) => s.metrics[m]!.mean);
    add(`${m}_median_ms`, `Median ${LABEL[m]} (ms)`, (s) => s.metrics[m]!.median);
    const keys = Object.keys(summaries[0]!.metrics[m]!.percentiles).filter((k) => summaries.every((s) => k in s.metrics[m]!.percentiles));
    for (const k of keys) add(`${m}_${k}_ms`, `${k.toUpperCase()} ${LABEL[m]} (ms)`, (s) => s.metrics[m]!.percentiles[k]!);
  }
  return out;
}

/** Mean and (1 − alpha) Student-t interval of `values`. */
export function meanInterval(values: number[], confidence = REPEAT_CONFIDENCE): Omit<RepeatRow, "key" | "label" | "values"> {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { mean, std: NaN, halfWidth: NaN, ciLow: NaN, ciHigh: NaN };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const halfWidth = (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * std) / Math.sqrt(n);
  return { mean, std, halfWidth, ciLow: mean - halfWidth, ciHigh: mean + halfWidth };
}

/**
 * Interval at level 1 − alpha of mean(candidate) − mean(baseline) from one
 * value per run (`vbench compare` with repeated runs): the variation between
 * runs is measured, not assumed, so machine-load changes from run to run are
 * in it. Both sides with two or more runs: Welch's t (unequal variances,
 * Welch–Satterthwaite degrees of freedom). One side with a single run: that
 * run is judged against the other side's spread, s·√(1/n + 1) with n − 1
 * degrees of freedom (the single run is assumed to vary as much as the
 * repeated ones). Null when neither side has two runs.
 */
export function differenceInterval(baseline: number[], candidate: number[], alpha: number): { interval: [number, number]; df: number } | null {
  const [b, c] = [meanInterval(baseline), meanInterval(candidate)];
  const diff = c.mean - b.mean;
  const [nb, nc] = [baseline.length, candidate.length];
  let se: number;
  let df: number;
  if (nb >= 2 && nc >= 2) {
    const [vb, vc] = [b.std ** 2 / nb, c.std ** 2 / nc];
    se = Math.sqrt(vb + vc);
    // Welch–Satterthwaite; two constant sides have no spread at all (a zero-width interval).
    df = se === 0 ? nb + nc - 2 : (vb + vc) ** 2 / (vb ** 2 / (nb - 1) + vc ** 2 / (nc - 1));
  } else if ((nb >= 2 && nc === 1) || (nb === 1 && nc >= 2)) {
    const many = nb >= 2 ? b : c;
    const n = Math.max(nb, nc);
    se = many.std * Math.sqrt(1 / n + 1);
    df = n - 1;
  } else return null;
  const half = se === 0 ? 0 : studentTQuantile(1 - alpha / 2, df) * se;
  return { interval: [diff - half, diff + half], df };
}

export function summarizeRepeats(summaries: Summary[], confidence = REPEAT_CONFIDENCE): RepeatSummary {
  const n = summaries.length;
  return {
    runs: n,
    confidence,
    tCritical: n >= 2 ? studentTQuantile(1 - (1 - confidence) / 2, n - 1) : NaN,
    rows: series(summaries).map((s) => ({ key: s.key, label: s.label, values: s.values, ...meanInterval(s.values, confidence) })),
  };
}

/** The table printed after the last repetition (stderr). */
export function formatRepeatTable(summary: RepeatSummary, title = "Repeated runs"): string {
  const pct = `${Math.round(summary.confidence * 100)}% CI`;
  const rows = summary.rows.map((r) => {
    const digits = r.key === "success_rate" ? 4 : 2;
    return [r.label, cell(r.mean, digits), Number.isNaN(r.halfWidth) ? "-" : `± ${cell(r.halfWidth, digits)}`, Number.isNaN(r.ciLow) ? "-" : `[${cell(r.ciLow, digits)}, ${cell(r.ciHigh, digits)}]`, cell(r.std, digits)];
  });
  const head = `${title}: ${summary.runs} run${summary.runs === 1 ? "" : "s"}, mean with ${pct} (Student t, ${summary.runs - 1} df${Number.isNaN(summary.tCritical) ? "" : `, t = ${summary.tCritical.toFixed(3)}`})\n`;
  const note = summary.runs < 2 ? "  (one run: no interval; use --repeat 2 or more)\n" : "";
  return head + formatTable(["", "mean", "±", pct, "std"], rows, { align: ["l", "r", "r", "r", "r"] }) + note;
}

/** The summary as JSON (for a repeat_summary.json next to the runs). */
export function repeatJson(summary: RepeatSummary): Record<string, unknown> {
  return {
    schema: "vbench.repeat/1",
    runs: summary.runs,
    confidence: summary.confidence,
    t_critical: Number.isNaN(summary.tCritical) ? null : summary.tCritical,
    statistics: summary.rows.map((r) => ({
      key: r.key,
      values: r.values,
      mean: r.mean,
      std: Number.isNaN(r.std) ? null : r.std,
      ci_low: Number.isNaN(r.ciLow) ? null : r.ciLow,
      ci_high: Number.isNaN(r.ciHigh) ? null : r.ciHigh,
    })),
  };
}
