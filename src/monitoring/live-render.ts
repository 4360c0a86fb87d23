/**
 * LiveSnapshot → Prometheus text format 0.0.4, computed at scrape time.
 *
 * Latency summaries are incremental: each scrape folds in only the records
 * finished since the previous one (exact up to LIVE_VALUE_BUDGET values per
 * series, then an HDR histogram), so a scrape of a long run costs one sort of
 * a bounded array, not a pass over every token gap. Families are `vbench_live_*`
 * (the final results keep `vbench_*`), base units, counters end in `_total`.
 * The text is written by prom-text.ts, as the prometheus exporter's.
 */
import type { MetricName } from "../base/summary-types.ts";
import { SeriesBuilder } from "../results/stats.ts";
import { PromText, summaryOfStats, type Labels } from "./prom-text.ts";
import type { LiveSnapshot } from "./live-state.ts";

/** Values kept exactly per series before switching to the histogram (keeps a scrape's sort small). */
export const LIVE_VALUE_BUDGET = 100_000;
/** Window of the "current" throughput gauges. */
export const LIVE_WINDOW_S = 10;
const QUANTILES = [50, 90, 95, 99];

const HELP: Record<MetricName, string> = {
  ttft: "Time to first token of the successful requests finished so far, seconds.",
  tpot: "Time per output token (excluding the first) of the successful requests finished so far, seconds.",
  itl: "Inter-token latency of the successful requests finished so far, seconds.",
  e2el: "End-to-end latency of the successful requests finished so far, seconds.",
};

/** Series folded in so far for one scenario run. */
export class LiveAggregator {
  private key = "";
  private seen = 0;
  private series = new Map<MetricName, SeriesBuilder>();

  /** Fold in the records finished since the last call (resets when the scenario changed). */
  update(snapshot: LiveSnapshot): Map<MetricName, SeriesBuilder> {
    const key = `${snapshot.runId}\0${snapshot.scenario}\0${snapshot.variant}\0${snapshot.t0Ms}`;
    if (key !== this.key || snapshot.records.length < this.seen) {
      this.key = key;
      this.seen = 0;
      this.series = new Map(snapshot.metrics.map((m) => [m, new SeriesBuilder({ valueBudget: LIVE_VALUE_BUDGET })]));
    }
    const ttft = this.series.get("ttft");
    const tpot = this.series.get("tpot");
    const itl = this.series.get("itl");
    const e2el = this.series.get("e2el");
    const end = snapshot.records.length;
    for (let i = this.seen; i < end; i++) {
      const r = snapshot.records[i]!;
      const chunks = r.chunkAtMs;
      if (!r.success || chunks.length === 0) continue;
      const ttftMs = chunks[0]! - r.sentAtMs;
      const e2elMs = r.endAtMs - r.sentAtMs;
      ttft?.push(ttftMs);
      e2el?.push(e2elMs);
      if (r.outputTokens > 1) tpot?.push((e2elMs - ttftMs) / (r.outputTokens - 1));
      itl?.pushGaps(chunks);
    }
    this.seen = end;
    return this.series;
  }
}

/** Output tokens and completions of requests finished within the last LIVE_WINDOW_S, per second. */
function windowRates(snapshot: LiveSnapshot, elapsedMs: number): { tokensPerS: number; requestsPerS: number } {
  const fromMs = elapsedMs - LIVE_WINDOW_S * 1000;
  let tokens = 0;
  let requests = 0;
  // Records are in finish order, so the window is a suffix of the array.
  for (let i = snapshot.records.length - 1; i >= 0; i--) {
    const r = snapshot.records[i]!;
    if (r.doneAtMs < fromMs) break;
    if (!r.success) continue;
    tokens += r.outputTokens;
    requests++;
  }
  const spanS = Math.min(LIVE_WINDOW_S, Math.max(elapsedMs / 1000, 1e-3));
  return { tokensPerS: tokens / spanS, requestsPerS: requests / spanS };
}

/** The exposition for one snapshot (null: no scenario has started yet). `nowMs` is performance.now(). */
export function renderLiveMetrics(snapshot: LiveSnapshot | null, agg: LiveAggregator, nowMs = performance.now()): string {
  const out = new PromText();
  const running = "1 while a scenario is being measured, 0 before the first and after each one.";
  if (!snapshot) {
    out.gauge("vbench_live_scenario_running", running, [], 0);
    return out.render();
  }
  const base: Labels = [["scenario", snapshot.scenario]];
  if (snapshot.variant) base.push(["variant", snapshot.variant]);
  base.push(["model", snapshot.model], ["backend", snapshot.backend]);
  const elapsedMs = snapshot.running ? nowMs - snapshot.t0Ms : lastDoneMs(snapshot);
  const rates = windowRates(snapshot, elapsedMs);

  out.gauge("vbench_live_scenario_running", running, base, snapshot.running ? 1 : 0);
  out.gauge("vbench_live_info", "Identity of the scenario run being measured; the value is always 1.", [...base, ["run_id", snapshot.runId]], 1);
  out.gauge("vbench_live_elapsed_seconds", "Time since the scenario's measured run started.", base, Math.max(0, elapsedMs) / 1000);
  out.gauge("vbench_live_requests_in_flight", "Requests sent and not finished yet.", base, Math.max(0, snapshot.dispatched - snapshot.completed - snapshot.failed));
  out.counter("vbench_live_requests_dispatched_total", "Requests sent so far.", base, snapshot.dispatched);
  out.counter("vbench_live_requests_completed_total", "Requests finished successfully so far.", base, snapshot.completed);
  out.counter("vbench_live_requests_failed_total", "Requests failed so far.", base, snapshot.failed);
  out.counter("vbench_live_output_tokens_total", "Output tokens of the successful requests finished so far.", base, snapshot.outputTokens);
  out.gauge("vbench_live_output_throughput_tokens_per_second", `Output tokens of the requests finished in the last ${LIVE_WINDOW_S} s, per second.`, base, rates.tokensPerS);
  out.gauge("vbench_live_request_throughput_requests_per_second", `Successful requests finished in the last ${LIVE_WINDOW_S} s, per second.`, base, rates.requestsPerS);
  for (const [metric, series] of agg.update(snapshot)) {
    out.summary(`vbench_live_${metric}_seconds`, HELP[metric], base, summaryOfStats(series.count > 0 ? series.stats(QUANTILES) : null, QUANTILES));
  }
  return out.render();
}

/** A finished scenario's elapsed time: its last finish (so the window rates describe its end, not a growing gap). */
function lastDoneMs(snapshot: LiveSnapshot): number {
  let last = 0;
  for (let i = snapshot.records.length - 1; i >= 0 && i >= snapshot.records.length - 1000; i--) last = Math.max(last, snapshot.records[i]!.doneAtMs);
  return last;
}
