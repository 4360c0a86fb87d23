/**
 * Arrival schedule, vLLM-compatible (spec/metrics.md "Arrival schedule").
 * Pure: offsets in ms from the run's t0, from the seed. The load generator
 * releases request i at t0 + at(i).
 *
 * A rate schedule is generated in order as it is walked, a chunk at a time,
 * by each thread that walks it (the dispatcher, each dispatch thread, each
 * release clock), from the same plain {@link ScheduleSpec}: a run of a
 * billion requests holds a few chunks of CHUNK offsets, not a billion.
 */
import type { RampUp } from "../base/scenario-types.ts";
import { createRng, type Rng } from "../base/rng.ts";

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
 * Without a ramp-up, vLLM rescales the cumulative gaps so the last arrival
 * falls at exactly N/r. That needs every gap drawn once before the run: up to
 * this many requests it is (about 2.5 s at 10M Poisson gaps); beyond it the
 * gaps are not rescaled, and the achieved rate differs from the configured
 * one by about 1/sqrt(N·burstiness), under 0.03%.
 */
export const RESCALE_LIMIT = 10_000_000;

/** Plain data from which any thread generates the same schedule. */
export type ScheduleSpec =
  | { type: "array"; offsetsMs: Float64Array }
  | { type: "start"; count: number }
  | { type: "rate"; count: number; rateRps: number; burstiness: number; rampUp: RampUp | null; seed: number; factor: number }
  | { type: "strided"; inner: ScheduleSpec; first: number; step: number };

/**
 * A run's releases: request i (the i-th this process sends) at t0 + at(i)
 * ms. Callers walk it forward; a rate schedule keeps the chunks from the
 * lowest index not forgotten.
 */
export interface Schedule {
  readonly count: number;
  /** Offset of release i, ms from t0; never less than at(i − 1). */
  at(i: number): number;
  /** The caller will not ask for releases below i again. */
  forgetBelow(i: number): void;
  /** Every release is at t0: nothing to wait for, no release clock. */
  readonly allAtStart: boolean;
  /** What another thread needs to walk the same schedule. */
  readonly spec: ScheduleSpec;
  /** Every offset as one array: for short schedules only (multi-turn session starts, tests). */
  offsets(): Float64Array;
}

function materialize(this: Schedule): Float64Array {
  return Float64Array.from({ length: this.count }, (_, i) => this.at(i));
}

export function arraySchedule(offsetsMs: Float64Array): Schedule {
  const count = offsetsMs.length;
  return { count, at: (i) => offsetsMs[i]!, forgetBelow() {}, allAtStart: count === 0 || offsetsMs[count - 1]! <= 0, spec: { type: "array", offsetsMs }, offsets: () => offsetsMs };
}

/** `count` releases at t0. */
export function atStart(count: number): Schedule {
  return { count, at: () => 0, forgetBelow() {}, allAtStart: true, spec: { type: "start", count }, offsets: materialize };
}

/**
 * Offsets generated this many at a time: a chunk of Poisson gaps takes about 60 µs once compiled (and a
 * few times that in a thread's first moments), so no walker stalls on one; 4096 took 1 ms, and the
 * first chunks of a fresh release clock delayed the run's first releases by up to 15 ms.
 */
const CHUNK = 256;

/** The gap before request i, in seconds. */
function gapS(spec: Extract<ScheduleSpec, { type: "rate" }>, rng: Rng, i: number): number {
  const rate = spec.rampUp ? rampRate(spec.rampUp, i, spec.count) : spec.rateRps;
  if (!Number.isFinite(rate)) return 0;
  if (!Number.isFinite(spec.burstiness)) return 1 / rate;
  return rng.gamma(spec.burstiness, 1 / (rate * spec.burstiness));
}

function rateSchedule(spec: Extract<ScheduleSpec, { type: "rate" }>): Schedule {
  const chunks = new Map<number, Float64Array>();
  let rng = createRng(spec.seed, "schedule");
  let cumulativeS = 0;
  let generated = 0;
  const chunkOf = (k: number): Float64Array => {
    const kept = chunks.get(k);
    if (kept) return kept;
    // Asked for a chunk already forgotten: generate again from the start (callers walk forward, so this is rare).
    if (k * CHUNK < generated) {
      rng = createRng(spec.seed, "schedule");
      cumulativeS = 0;
      generated = 0;
    }
    let chunk = new Float64Array(0);
    while (generated <= k * CHUNK) {
      chunk = new Float64Array(Math.min(CHUNK, spec.count - generated));
      for (let j = 0; j < chunk.length; j++) {
        cumulativeS += gapS(spec, rng, generated + j);
        // The same operations in the same order as the whole-array computation: the same bits.
        chunk[j] = cumulativeS * 1000 * spec.factor;
      }
      chunks.set(generated / CHUNK, chunk);
      generated += chunk.length;
    }
    return chunk;
  };
  return {
    count: spec.count,
    at: (i) => chunkOf(Math.floor(i / CHUNK))[i % CHUNK]!,
    forgetBelow(i) {
      for (const k of chunks.keys()) if ((k + 1) * CHUNK <= i) chunks.delete(k);
    },
    allAtStart: false,
    spec,
    offsets: materialize,
  };
}

/** The schedule of a spec, in this thread. */
export function openSchedule(spec: ScheduleSpec): Schedule {
  switch (spec.type) {
    case "array":
      return arraySchedule(spec.offsetsMs);
    case "start":
      return atStart(spec.count);
    case "rate":
      return rateSchedule(spec);
    case "strided":
      return strided(openSchedule(spec.inner), { first: spec.first, step: spec.step });
  }
}

/** A rate spec: without a ramp-up the gaps are drawn once here for vLLM's rescaling (see RESCALE_LIMIT). */
function rateSpec(options: ScheduleOptions): Extract<ScheduleSpec, { type: "rate" }> {
  const spec = { type: "rate" as const, count: options.count, rateRps: options.rateRps, burstiness: options.burstiness, rampUp: options.rampUp, seed: options.seed, factor: 1 };
  if (options.rampUp || options.count === 0 || options.count > RESCALE_LIMIT) return spec;
  const rng = createRng(options.seed, "schedule");
  let cumulativeS = 0;
  for (let i = 0; i < options.count; i++) cumulativeS += gapS(spec, rng, i);
  const lastMs = cumulativeS * 1000;
  return lastMs > 0 ? { ...spec, factor: ((options.count / options.rateRps) * 1000) / lastMs } : spec;
}

/** The run's schedule: the trace's offsets when given, else the rate schedule (see buildSchedule). */
export function runSchedule(options: ScheduleOptions, traceOffsetsMs?: Float64Array): Schedule {
  if (traceOffsetsMs) return arraySchedule(traceOffsetsMs);
  if (options.rampUp && options.durationS) return arraySchedule(buildTimedRamp(options.rampUp, options.durationS, options.burstiness, options.seed));
  if (!options.rampUp && !Number.isFinite(options.rateRps)) return atStart(options.count);
  return rateSchedule(rateSpec(options));
}

/**
 * Offsets (ms) of each request's release, as one array. Like vLLM, the first
 * request also waits one drawn gap, and without a ramp-up the cumulative gaps
 * are rescaled so the last arrival falls at exactly N/r: the achieved rate
 * then equals the configured one for every seed.
 */
export function buildSchedule(options: ScheduleOptions): Float64Array {
  return runSchedule(options).offsets();
}

/** Every `step`-th release from `first` (a shard's share, ./shard.ts): release i is s's release first + i·step. */
export function strided(s: Schedule, map: { first: number; step: number } | undefined): Schedule {
  if (!map || (map.first === 0 && map.step === 1)) return s;
  const { first, step } = map;
  const count = s.count > first ? Math.ceil((s.count - first) / step) : 0;
  if (s.allAtStart) return atStart(count);
  return { count, at: (i) => s.at(first + i * step), forgetBelow: (i) => s.forgetBelow(first + i * step), allAtStart: false, spec: { type: "strided", inner: s.spec, first, step }, offsets: materialize };
}

/** Releases due by `nowMs`: the first index from `from` whose offset is later. */
export function releasedBy(s: Schedule, nowMs: number, from: number): number {
  if (s.allAtStart) return nowMs >= 0 ? s.count : from;
  let i = from;
  while (i < s.count && s.at(i) <= nowMs) i++;
  return i;
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
 * over), and arrivals stop at the duration. Held as an array: its length is
 * bounded by the duration, not by num_prompts.
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
