/**
 * LiveSnapshot → Prometheus text format 0.0.4, computed at scrape time.
 *
 * Latency summaries are incremental: each scrape folds in only the records
 * finished since the previous one (exact up to LIVE_VALUE_BUDGET values per
 * series, then an HDR histogram), so a scrape of a long run costs one sort of
 * a bounded array, not a pass over every token gap. Families are `vbench_live_*`
 * (the final results keep `vbench_*`), base units, counters end in `_total`.
 */
import type { MetricName } from "../core/types.ts";
import { SeriesBuilder } from "../core/stats.ts";
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

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  return String(n);
}

/** Series folded in so far for one scenario run. */
export class LiveAggregator {
  private key = "";
  private seen = 0;
  private series = new Map<MetricName, SeriesBuilder>();

  /** Fold in the records finished since the last call (resets when the scenario changed). */
  update(s: LiveSnapshot): Map<MetricName, SeriesBuilder> {
    const key = `${s.runId}\0${s.scenario}\0${s.variant}\0${s.t0Ms}`;
    if (key !== this.key || s.records.length < this.seen) {
      this.key = key;
      this.seen = 0;
      this.series = new Map(s.metrics.map((m) => [m, new SeriesBuilder({ valueBudget: LIVE_VALUE_BUDGET })]));
    }
    const ttft = this.series.get("ttft");
    const tpot = this.series.get("tpot");
    const itl = this.series.get("itl");
    const e2el = this.series.get("e2el");
    const end = s.records.length;
    for (let i = this.seen; i < end; i++) {
      const r = s.records[i]!;
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
function windowRates(s: LiveSnapshot, elapsedMs: number): { tokensPerS: number; requestsPerS: number } {
  const fromMs = elapsedMs - LIVE_WINDOW_S * 1000;
  let tokens = 0;
  let requests = 0;
  // Records are in finish order, so the window is a suffix of the array.
  for (let i = s.records.length - 1; i >= 0; i--) {
    const r = s.records[i]!;
    if (r.doneAtMs < fromMs) break;
    if (!r.success) continue;
    tokens += r.outputTokens;
    requests++;
  }
  const spanS = Math.min(LIVE_WINDOW_S, Math.max(elapsedMs / 1000, 1e-3));
  return { tokensPerS: tokens / spanS, requestsPerS: requests / spanS };
}

/** The exposition for one snapshot (null: no scenario has started yet). `nowMs` is performance.now(). */
export function renderLiveMetrics(s: LiveSnapshot | null, agg: LiveAggregator, nowMs = performance.now()): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter" | "summary", help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("vbench_live_scenario_running", "gauge", "1 while a scenario is being measured, 0 before the first and after each one.");
  if (!s) {
    out.push("vbench_live_scenario_running 0");
    return out.join("\n") + "\n";
  }
  const labelPairs: [string, string][] = [["scenario", s.scenario]];
  if (s.variant) labelPairs.push(["variant", s.variant]);
  labelPairs.push(["model", s.model], ["backend", s.backend]);
  const labels = (extra: [string, string][] = []) => `{${[...labelPairs, ...extra].map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
  const base = labels();
  const elapsedMs = s.running ? nowMs - s.t0Ms : lastDoneMs(s);
  const rates = windowRates(s, elapsedMs);

  out.push(`vbench_live_scenario_running${base} ${s.running ? 1 : 0}`);
  family("vbench_live_info", "gauge", "Identity of the scenario run being measured; the value is always 1.");
  out.push(`vbench_live_info${labels([["run_id", s.runId]])} 1`);
  family("vbench_live_elapsed_seconds", "gauge", "Time since the scenario's measured run started.");
  out.push(`vbench_live_elapsed_seconds${base} ${num(Math.max(0, elapsedMs) / 1000)}`);
  family("vbench_live_requests_in_flight", "gauge", "Requests sent and not finished yet.");
  out.push(`vbench_live_requests_in_flight${base} ${Math.max(0, s.dispatched - s.completed - s.failed)}`);
  const counters: [string, string, number][] = [
    ["vbench_live_requests_dispatched_total", "Requests sent so far.", s.dispatched],
    ["vbench_live_requests_completed_total", "Requests finished successfully so far.", s.completed],
    ["vbench_live_requests_failed_total", "Requests failed so far.", s.failed],
    ["vbench_live_output_tokens_total", "Output tokens of the successful requests finished so far.", s.outputTokens],
  ];
  for (const [name, help, value] of counters) {
    family(name, "counter", help);
    out.push(`${name}${base} ${value}`);
  }
  family("vbench_live_output_throughput_tokens_per_second", "gauge", `Output tokens of the requests finished in the last ${LIVE_WINDOW_S} s, per second.`);
  out.push(`vbench_live_output_throughput_tokens_per_second${base} ${num(rates.tokensPerS)}`);
  family("vbench_live_request_throughput_requests_per_second", "gauge", `Successful requests finished in the last ${LIVE_WINDOW_S} s, per second.`);
  out.push(`vbench_live_request_throughput_requests_per_second${base} ${num(rates.requestsPerS)}`);

  for (const [metric, series] of agg.update(s)) {
    const name = `vbench_live_${metric}_seconds`;
    family(name, "summary", HELP[metric]);
    const st = series.count > 0 ? series.stats(QUANTILES) : null;
    for (const p of QUANTILES) out.push(`${name}${labels([["quantile", String(p / 100)]])} ${st ? num(st.percentiles[`p${p}`]! / 1000) : "NaN"}`);
    out.push(`${name}_sum${base} ${st ? num((st.mean * st.count) / 1000) : 0}`);
    out.push(`${name}_count${base} ${series.count}`);
  }
  return out.join("\n") + "\n";
}

/** A finished scenario's elapsed time: its last finish (so the window rates describe its end, not a growing gap). */
function lastDoneMs(s: LiveSnapshot): number {
  let last = 0;
  for (let i = s.records.length - 1; i >= 0 && i >= s.records.length - 1000; i--) last = Math.max(last, s.records[i]!.doneAtMs);
  return last;
}
