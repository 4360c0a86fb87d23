/**
 * A run's statistics by the names thresholds, tables and charts use
 * (`ttft_median`, `e2el_p99`, `output_throughput`, `success_rate`): one
 * reading of a LoadedRun for summary, sweeps, compare, trend and html.
 */
import type { MetricName } from "../base/summary-types.ts";
import type { LoadedRun } from "./types.ts";

/** The value of a statistic of a run by name: `ttft_median`, `e2el_p99`, `output_throughput`, `success_rate`. */
export function runValue(run: LoadedRun, key: string): number | null {
  switch (key) {
    case "output_throughput":
      return run.outputThroughput;
    case "request_throughput":
      return run.requestThroughput;
    case "total_token_throughput":
      return run.totalTokenThroughput;
    case "success_rate":
      return run.successRate;
  }
  const [m, stat] = key.split("_") as [MetricName, string];
  const s = run.metrics[m];
  // Without a successful request vLLM writes 0 for every latency statistic: not a measurement.
  if (!s || run.completed === 0 || s.count === 0) return null;
  if (stat === "mean") return s.mean;
  if (stat === "median") return s.median ?? s.percentiles.p50 ?? null;
  return s.percentiles[stat] ?? null;
}
