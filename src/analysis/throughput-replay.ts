/**
 * Bootstrap replicates of a run's throughputs from its per-request data.
 * A throughput is one number per run (tokens / duration), so it cannot be
 * resampled directly; instead each replicate draws the requests' outcomes
 * (latency, output and input tokens, success) with replacement and replays
 * them through the run's own load pattern: the same send times for a
 * rate-limited run, the same concurrency limit for a closed-loop one (a
 * request starts when its scheduled time has come and a slot is free, as
 * vbench's load generator does). Each replicate is the run's measured
 * throughput scaled by the replicate's tokens (or requests) and speed
 * relative to the replay of the original outcomes, so the model's
 * simplifications cancel and only the variation is kept: the last
 * requests' latencies (the drain) and, under a concurrency limit, the sum
 * of latencies along each slot.
 */
import type { Rng } from "../base/rng.ts";
import type { LoadedRun } from "./types.ts";

export const THROUGHPUT_KEYS = ["output_throughput", "request_throughput", "total_token_throughput"] as const;
export type ThroughputKey = (typeof THROUGHPUT_KEYS)[number];

/** The replay inputs of one run, or null when its load pattern cannot be rebuilt. */
interface Replayable {
  /** Scheduled start of request slot i, s (0 for a closed loop at rate inf), ascending. */
  scheduleS: Float64Array;
  /** Concurrency slots; Infinity without max_concurrency. */
  slots: number;
  /** Per request: duration in the run (s; 0 for failures), output tokens, input tokens, 1 for success. */
  durS: Float64Array;
  out: Float64Array;
  inp: Float64Array;
  ok: Float64Array;
  /** The run's own throughputs (output tok/s, req/s, total tok/s) and the original sums. */
  measured: { output: number; request: number; total: number };
  totals: { out: number; inp: number; ok: number };
  /** Replay duration of the original outcomes. */
  baseS: number;
}

function ratio(x: number, base: number): number {
  return base > 0 ? x / base : 1;
}

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);

/** Requests beyond which throughputs are left to the tolerance: their drain is a negligible part of the run. */
export const MAX_REPLAY_REQUESTS = 20_000;

/** Duration of one replay: request i (outcome pick(i)) starts at its scheduled time once a slot is free. */
function replayDuration(replay: Replayable, pick: (i: number) => number): number {
  const n = replay.scheduleS.length;
  const size = Number.isFinite(replay.slots) ? Math.min(replay.slots, n) : 0;
  // Min-heap of slot end times (size 0 = no limit).
  const heap = new Float64Array(size).fill(-Infinity);
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    let start = replay.scheduleS[i]!;
    if (size > 0) start = Math.max(start, heap[0]!);
    const end = start + replay.durS[pick(i)]!;
    if (size > 0) {
      // Replace the root (the slot just taken) and sift down.
      let k = 0;
      for (;;) {
        const a = 2 * k + 1;
        const b = a + 1;
        let m = k;
        let v = end;
        if (a < size && heap[a]! < v) (m = a), (v = heap[a]!);
        if (b < size && heap[b]! < v) m = b;
        if (m === k) break;
        heap[k] = heap[m]!;
        k = m;
      }
      heap[k] = end;
    }
    if (start < first) first = start;
    if (end > last) last = end;
  }
  return last - first;
}

/** The replay inputs of a run: null without per-request data, or send times for a rate-limited run. */
export function replayable(run: LoadedRun): Replayable | null {
  const d = run.requests;
  if (!d || d.success.length === 0 || d.success.length > MAX_REPLAY_REQUESTS) return null;
  const n = d.success.length;
  const slots = run.maxConcurrency ?? Infinity;
  const rateInf = run.requestRateRps === null || run.requestRateRps === Infinity;
  let scheduleS: Float64Array;
  if (rateInf) scheduleS = new Float64Array(n);
  else {
    const t0 = Math.min(...Array.from(d.startS).filter(Number.isFinite));
    if (!Number.isFinite(t0) || Array.from(d.startS).some((s) => !Number.isFinite(s))) return null;
    scheduleS = Float64Array.from(d.startS, (s) => s - t0).sort();
  }
  const r: Replayable = {
    scheduleS,
    slots: Number.isFinite(slots) && slots > 0 ? slots : Infinity,
    durS: Float64Array.from(d.e2elMs, (v) => (Number.isNaN(v) ? 0 : v / 1000)),
    out: Float64Array.from(d.outputTokens),
    inp: Float64Array.from(d.inputTokens, (v, i) => (d.success[i] && Number.isFinite(v) ? v : 0)),
    ok: Float64Array.from(d.success, (s) => (s ? 1 : 0)),
    measured: { output: run.outputThroughput ?? NaN, request: run.requestThroughput ?? NaN, total: run.totalTokenThroughput ?? NaN },
    totals: { out: 0, inp: 0, ok: 0 },
    baseS: 0,
  };
  r.totals = { out: sum(r.out), inp: sum(r.inp), ok: sum(r.ok) };
  r.baseS = replayDuration(r, (i) => i);
  const known = Number.isFinite(r.measured.output) && Number.isFinite(r.measured.request) && Number.isFinite(r.measured.total);
  return r.baseS > 0 && known ? r : null;
}

/** Replicates of the three throughputs of one run; null when it cannot be replayed. */
export function throughputReplicates(run: LoadedRun, resamples: number, rng: Rng): Record<ThroughputKey, Float64Array> | null {
  const r = replayable(run);
  if (r === null) return null;
  const out = { output_throughput: new Float64Array(resamples), request_throughput: new Float64Array(resamples), total_token_throughput: new Float64Array(resamples) };
  const n = r.durS.length;
  const drawn = new Int32Array(n);
  const pick = (i: number) => drawn[i]!;
  for (let b = 0; b < resamples; b++) {
    let tokens = 0, inputs = 0, done = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(0, n - 1);
      drawn[i] = j;
      tokens += r.out[j]!;
      inputs += r.inp[j]!;
      done += r.ok[j]!;
    }
    // Relative to the replay of the original outcomes, applied to the run's measured throughputs.
    const speed = r.baseS / replayDuration(r, pick);
    out.output_throughput[b] = r.measured.output * ratio(tokens, r.totals.out) * speed;
    out.request_throughput[b] = r.measured.request * ratio(done, r.totals.ok) * speed;
    out.total_token_throughput[b] = r.measured.total * ratio(tokens + inputs, r.totals.out + r.totals.inp) * speed;
  }
  return out;
}
