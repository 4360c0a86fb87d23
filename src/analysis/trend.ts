/**
 * Trends over runs of one scenario (same model and backend), oldest first:
 * per metric the first, last, best and worst value and the change from
 * first to last, with a text sparkline for terminals.
 */
import type { MetricName } from "../base/summary-types.ts";
import { METRIC_NAMES } from "../base/summary-types.ts";
import type { RunGroup } from "./types.ts";
import { metricLabel } from "./summary.ts";
import { runValue } from "./run-value.ts";
import { cell, clean, formatTable, percentCell, sparkline } from "./table.ts";

export interface TrendRow {
  /** `ttft_median`, `output_throughput`, ... (see runValue). */
  key: string;
  label: string;
  /** True when smaller is better (latencies). */
  lowerIsBetter: boolean;
  /** One value per run, oldest first (null when a run lacks the statistic). */
  values: (number | null)[];
  first: number | null;
  last: number | null;
  best: number | null;
  worst: number | null;
  /** last − first. */
  change: number | null;
  /** (last − first) / first. */
  changeRelative: number | null;
}

const LATENCY_STATS = ["mean", "median", "p99"] as const;

/** The statistics a trend table shows: mean, median and p99 of each latency metric, throughputs, success rate. */
export function trendKeys(group: RunGroup): { key: string; label: string; lowerIsBetter: boolean }[] {
  const keys: { key: string; label: string; lowerIsBetter: boolean }[] = [];
  for (const m of METRIC_NAMES as MetricName[]) {
    if (!group.runs.some((r) => r.metrics[m])) continue;
    for (const s of LATENCY_STATS) keys.push({ key: `${m}_${s}`, label: `${metricLabel(m)} ${s} (ms)`, lowerIsBetter: true });
  }
  keys.push({ key: "output_throughput", label: "Output tok/s", lowerIsBetter: false });
  keys.push({ key: "request_throughput", label: "Requests/s", lowerIsBetter: false });
  keys.push({ key: "success_rate", label: "Success rate", lowerIsBetter: false });
  return keys;
}

export function computeTrend(group: RunGroup): TrendRow[] {
  return trendKeys(group).map(({ key, label, lowerIsBetter }) => {
    const values = group.runs.map((r) => runValue(r, key));
    const present = values.filter((v): v is number => v !== null);
    const first = present.length > 0 ? present[0]! : null;
    const last = present.length > 0 ? present[present.length - 1]! : null;
    const lo = present.length > 0 ? Math.min(...present) : null;
    const hi = present.length > 0 ? Math.max(...present) : null;
    const change = first !== null && last !== null ? last - first : null;
    return {
      key,
      label,
      lowerIsBetter,
      values,
      first,
      last,
      best: lowerIsBetter ? lo : hi,
      worst: lowerIsBetter ? hi : lo,
      change,
      changeRelative: change !== null && first !== null && first !== 0 ? change / first : null,
    };
  });
}

/** The trend table for stderr; the sparkline column only when `sparklines` (a TTY). */
export function formatTrend(group: RunGroup, rows: TrendRow[], sparklines: boolean): string {
  const header = ["statistic", "first", "last", "best", "worst", "change", ...(sparklines ? ["runs"] : [])];
  const digits = (key: string) => (key === "success_rate" ? 4 : 2);
  const body = rows.map((r) => [
    r.label,
    cell(r.first, digits(r.key)),
    cell(r.last, digits(r.key)),
    cell(r.best, digits(r.key)),
    cell(r.worst, digits(r.key)),
    percentCell(r.changeRelative),
    ...(sparklines ? [sparkline(r.values)] : []),
  ]);
  const title = `  trend of ${clean(group.scenario)} over ${group.runs.length} runs (${clean(group.runs[0]!.timestamp ?? "?")} → ${clean(group.runs[group.runs.length - 1]!.timestamp ?? "?")}):\n`;
  return title + formatTable(header, body, { align: ["l", "r", "r", "r", "r", "r", "l"], indent: "    " });
}

export function trendJson(group: RunGroup, rows: TrendRow[]): Record<string, unknown> {
  return {
    scenario: group.scenario,
    model: group.model,
    backend: group.backend,
    runs: group.runs.map((r) => ({ source: r.sourcePath, timestamp: r.timestamp })),
    statistics: rows.map((r) => ({
      key: r.key,
      lower_is_better: r.lowerIsBetter,
      values: r.values,
      first: r.first,
      last: r.last,
      best: r.best,
      worst: r.worst,
      change: r.change,
      change_relative: r.changeRelative,
    })),
  };
}
