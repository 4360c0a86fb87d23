/**
 * Arrival schedule, vLLM-compatible (spec/metrics.md "Arrival schedule").
 * Pure: offsets in ms from the run's t0, computed from the seed before the
 * clock starts. The load generator releases request i at t0 + offsets[i].
 */
import type { RampUp } from "./types.ts";
import { createRng } from "./rng.ts";

export interface ScheduleOptions {
  count: number;
  /** Requests per second; Infinity releases everything at t0. */
  rateRps: number;
  /** Gamma shape: 1 is Poisson, larger is more regular, Infinity is constant gaps. */
  burstiness: number;
  rampUp: RampUp | null;
  seed: number;
  /** Time-bound runs with a ramp-up: the rate follows time (t / duration) and arrivals stop at the duration. */
  durationS?: number | null;
}

/** Request i's rate under a ramp-up, interpolated by i/(N−1) as vLLM does. */
export function rampRate(rampUp: RampUp, index: number, count: number): number {
  const progress = index / Math.max(count - 1, 1);
  if (rampUp.strategy === "linear") return rampUp.startRps + (rampUp.endRps - rampUp.startRps) * progress;
  return rampUp.startRps * Math.pow(rampUp.endRps / rampUp.startRps, progress);
}

/**
 * Offsets (ms) of each request's release. Like vLLM, the first request also
 * waits one drawn gap, and without a ramp-up the cumulative gaps are rescaled
 * so the last arrival falls at exactly N/r: the achieved rate then equals the
 * configured one for every seed.
 */
export function buildSchedule(options: ScheduleOptions): Float64Array {
  const { count, rateRps, burstiness, rampUp, seed } = options;
  if (rampUp && options.durationS) return buildTimedRamp(rampUp, options.durationS, burstiness, seed);
  const offsetsMs = new Float64Array(count);
  if (count === 0) return offsetsMs;
  if (!rampUp && !Number.isFinite(rateRps)) return offsetsMs;

  const rng = createRng(seed, "schedule");
  let cumulativeS = 0;
  for (let i = 0; i < count; i++) {
    const rate = rampUp ? rampRate(rampUp, i, count) : rateRps;
    let gapS: number;
    if (!Number.isFinite(rate)) gapS = 0;
    else if (!Number.isFinite(burstiness)) gapS = 1 / rate;
    else gapS = rng.gamma(burstiness, 1 / (rate * burstiness));
    cumulativeS += gapS;
    offsetsMs[i] = cumulativeS * 1000;
  }

  const lastMs = offsetsMs[count - 1]!;
  if (!rampUp && lastMs > 0) {
    const factor = ((count / rateRps) * 1000) / lastMs;
    for (let i = 0; i < count; i++) offsetsMs[i]! *= factor;
  }
  return offsetsMs;
}

/** Requests a time-bound run at a finite rate schedules so arrivals span `durationS`. */
export function countForDuration(rateRps: number, durationS: number): number {
  return Math.max(1, Math.round(rateRps * durationS));
}

/** Linear or exponential rate at time t of a ramp spread over durationS. */
export function rampRateAt(rampUp: RampUp, tS: number, durationS: number): number {
  const progress = Math.min(1, tS / durationS);
  if (rampUp.strategy === "linear") return rampUp.startRps + (rampUp.endRps - rampUp.startRps) * progress;
  return rampUp.startRps * Math.pow(rampUp.endRps / rampUp.startRps, progress);
}

/**
 * A time-bound ramp: with `--duration`, the rate is interpolated by elapsed
 * time rather than by request index (there is no request count to spread
 * over), and arrivals stop at the duration.
 */
function buildTimedRamp(rampUp: RampUp, durationS: number, burstiness: number, seed: number): Float64Array {
  const rng = createRng(seed, "schedule");
  const offsets: number[] = [];
  let tS = 0;
  for (;;) {
    const rate = rampRateAt(rampUp, tS, durationS);
    tS += Number.isFinite(burstiness) ? rng.gamma(burstiness, 1 / (rate * burstiness)) : 1 / rate;
    if (tS > durationS) break;
    offsets.push(tS * 1000);
  }
  return Float64Array.from(offsets);
}
