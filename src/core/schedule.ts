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

/**
 * A run's releases: request i (the i-th this process sends) at t0 + at(i)
 * ms. A schedule that releases everything at t0 (rate inf, warmups) holds no
 * array, so its length costs no memory.
 */
export interface Schedule {
  readonly count: number;
  /** Offset of release i, ms from t0; never less than at(i − 1). */
  at(i: number): number;
  /** Every release is at t0: nothing to wait for, no release clock. */
  readonly allAtStart: boolean;
  /** The offsets as one array, for threads that walk the schedule on their own (release clocks, dispatch threads). */
  offsets(): Float64Array;
}

export function arraySchedule(offsetsMs: Float64Array): Schedule {
  const count = offsetsMs.length;
  return { count, at: (i) => offsetsMs[i]!, allAtStart: count === 0 || offsetsMs[count - 1]! <= 0, offsets: () => offsetsMs };
}

/** `count` releases at t0. */
export function atStart(count: number): Schedule {
  return { count, at: () => 0, allAtStart: true, offsets: () => new Float64Array(count) };
}

/** The run's schedule: the trace's offsets when given, else the rate schedule (see buildSchedule). */
export function runSchedule(options: ScheduleOptions, traceOffsetsMs?: Float64Array): Schedule {
  if (traceOffsetsMs) return arraySchedule(traceOffsetsMs);
  if (!options.rampUp && !Number.isFinite(options.rateRps)) return atStart(options.count);
  return arraySchedule(buildSchedule(options));
}

/** Every `step`-th release from `first` (a shard's share, ./shard.ts): release i is s's release first + i·step. */
export function strided(s: Schedule, map: { first: number; step: number } | undefined): Schedule {
  if (!map || (map.first === 0 && map.step === 1)) return s;
  const { first, step } = map;
  const count = s.count > first ? Math.ceil((s.count - first) / step) : 0;
  if (s.allAtStart) return atStart(count);
  return arraySchedule(Float64Array.from({ length: count }, (_, i) => s.at(first + i * step)));
}

/** Releases due by `nowMs`: the first index from `from` whose offset is later. */
export function releasedBy(s: Schedule, nowMs: number, from: number): number {
  if (s.allAtStart) return nowMs >= 0 ? s.count : from;
  let i = from;
  while (i < s.count && s.at(i) <= nowMs) i++;
  return i;
}
