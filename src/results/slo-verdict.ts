/**
 * One search step's verdict from its records: the share of requests meeting
 * every goodput SLO (vLLM's definitions, spec/metrics.md) and the tail
 * latencies the search curve reports. Failed requests count as misses, so a
 * server that starts dropping requests fails its step.
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { Summary } from "../base/summary-types.ts";
import { computeStats } from "./stats.ts";

export interface StepFigures {
  total: number;
  completed: number;
  failed: number;
  /** Requests meeting every SLO. */
  good: number;
  /** good / total (0 when nothing ran). */
  goodFraction: number;
  goodputRps: number;
  throughputRps: number;
  meanTtftMs: number;
  p95TtftMs: number;
  p95TpotMs: number;
  achievedRateRps: number | null;
  clientBound: boolean;
  durationS: number;
}

export function stepFigures(records: readonly RequestRecord[], slo: ResolvedScenario["goodput"], summary: Summary): StepFigures {
  const ttfts: number[] = [];
  const tpots: number[] = [];
  let good = 0;
  let completed = 0;
  for (const r of records) {
    if (!r.success || r.chunkAtMs.length === 0) continue;
    completed++;
    const ttftMs = r.chunkAtMs[0]! - r.sentAtMs;
    const e2elMs = r.endAtMs - r.sentAtMs;
    // vLLM: TPOT over outputs longer than one token; for goodput a one-token output has TPOT 0.
    const tpotMs = r.outputTokens > 1 ? (e2elMs - ttftMs) / (r.outputTokens - 1) : 0;
    ttfts.push(ttftMs);
    if (r.outputTokens > 1) tpots.push(tpotMs);
    if ((slo.ttft === undefined || ttftMs <= slo.ttft) && (slo.tpot === undefined || tpotMs <= slo.tpot) && (slo.e2el === undefined || e2elMs <= slo.e2el)) good++;
  }
  const ttft = computeStats(ttfts, [95]);
  const tpot = computeStats(tpots, [95]);
  const total = records.length;
  const perS = (n: number) => (summary.durationS > 0 ? n / summary.durationS : 0);
  return {
    total,
    completed,
    failed: total - completed,
    good,
    goodFraction: total > 0 ? good / total : 0,
    goodputRps: perS(good),
    throughputRps: perS(completed),
    meanTtftMs: ttft.count > 0 ? ttft.mean : NaN,
    p95TtftMs: ttft.count > 0 ? ttft.percentiles.p95! : NaN,
    p95TpotMs: tpot.count > 0 ? tpot.percentiles.p95! : NaN,
    achievedRateRps: summary.extras.achievedRateRps,
    clientBound: summary.extras.clientBound,
    durationS: summary.durationS,
  };
}
