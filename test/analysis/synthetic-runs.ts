/**
 * Synthetic per-request results for compare's tests: vLLM-format documents
 * with the detailed arrays vbench saves (`ttfts`, `itls`, `start_times`, ...),
 * drawn from a seed, so a test knows exactly what changed between two sides.
 *
 * The model is a closed loop (`concurrency` slots, each sending its next
 * request when the last one ends) against a server with a fixed TTFT and
 * token gap plus a small uniform jitter, on a machine that pauses now and
 * then. Pauses come in episodes, as measured on simulator runs
 * (time-blocks.ts): each half second is busy with probability 0.1 and then
 * has about 10 pauses of 1–5 ms, else about 1.5 of 0.5–2 ms. A pause
 * stretches every TTFT and gap in flight when it starts, so the slow values
 * of a run come in bursts that hit all streams at once: the noise that made
 * identical runs look like an ITL p99 regression. Calibration: the ITL p99
 * of 40 seeds of the default run (64 requests of 64 tokens at concurrency 8,
 * ITL 10 ms) spans 11.3–14.8 ms, median 12.2; 30 runs of the same shape
 * against `vbench mock` on a quiet machine gave 11.1–16.0 ms, median 11.9.
 */
import { createRng } from "../../src/base/rng.ts";
import { computeStats } from "../../src/results/stats.ts";
import { toLoadedRun } from "../../src/analysis/normalize.ts";
import type { LoadedRun } from "../../src/analysis/types.ts";

/** Pause episodes: each half second is busy with this probability (calibrated below). */
const EPISODE_MS = 500;
const BUSY_SHARE = 0.1;

export interface SyntheticOptions {
  seed: number;
  requests?: number;
  concurrency?: number;
  outputTokens?: number;
  ttftMs?: number;
  itlMs?: number;
  /** Uniform ± jitter on the TTFT and on every gap, ms. */
  jitterMs?: number;
  /** Machine pauses in episodes (default true). */
  pauses?: boolean;
  /** Multiplies every pause's length: a server whose stalls got longer (a tail-only change). */
  pauseScale?: number;
}

/** Pause start times (ms) and lengths over [0, horizonMs). */
function machinePauses(seed: number, horizonMs: number, scale: number): { atMs: number; lengthMs: number }[] {
  const rng = createRng(seed, "synthetic-pauses");
  const out: { atMs: number; lengthMs: number }[] = [];
  for (let w = 0; w * EPISODE_MS < horizonMs; w++) {
    const busy = rng.next() < BUSY_SHARE;
    const ratePerMs = (busy ? 20 : 3) / 1000;
    const end = (w + 1) * EPISODE_MS;
    for (let t = w * EPISODE_MS - Math.log(1 - rng.next()) / ratePerMs; t < end; t -= Math.log(1 - rng.next()) / ratePerMs) {
      out.push({ atMs: t, lengthMs: scale * (busy ? 1 + 4 * rng.next() : 0.5 + 1.5 * rng.next()) });
    }
  }
  return out;
}

/** Total pause time starting in [fromMs, toMs). */
function pausedMs(pauses: { atMs: number; lengthMs: number }[], fromMs: number, toMs: number): number {
  let sum = 0;
  for (const p of pauses) if (p.atMs >= fromMs && p.atMs < toMs) sum += p.lengthMs;
  return sum;
}

const statsKeys = (m: string, values: number[]) => {
  const s = computeStats(values, [99]);
  return { [`mean_${m}_ms`]: s.mean, [`median_${m}_ms`]: s.median, [`std_${m}_ms`]: s.std, [`p99_${m}_ms`]: s.percentiles.p99 };
};

/** A vLLM-format result document of one synthetic run. */
export function syntheticDoc(o: SyntheticOptions): Record<string, unknown> {
  const { seed, requests = 64, concurrency = 8, outputTokens = 64, ttftMs = 50, itlMs = 10, jitterMs = 0.5 } = o;
  const rng = createRng(seed, "synthetic-run");
  const horizonMs = ((requests / concurrency) * (ttftMs + outputTokens * itlMs) + 1000) * 2;
  const pauses = o.pauses === false ? [] : machinePauses(seed, horizonMs, o.pauseScale ?? 1);
  const jitter = () => jitterMs * (2 * rng.next() - 1);
  const slotFreeMs = new Array<number>(concurrency).fill(0);
  const ttfts: number[] = [], itls: number[][] = [], starts: number[] = [], ends: number[] = [];
  for (let i = 0; i < requests; i++) {
    const slot = slotFreeMs.indexOf(Math.min(...slotFreeMs));
    const startMs = slotFreeMs[slot]!;
    const nominalTtft = ttftMs + jitter();
    const ttft = nominalTtft + pausedMs(pauses, startMs, startMs + nominalTtft);
    let t = startMs + ttft;
    const gaps: number[] = [];
    for (let k = 1; k < outputTokens; k++) {
      const nominal = itlMs + jitter();
      const gap = nominal + pausedMs(pauses, t, t + nominal);
      gaps.push(gap);
      t += gap;
    }
    ttfts.push(ttft);
    itls.push(gaps);
    starts.push(startMs);
    ends.push(t);
    slotFreeMs[slot] = t;
  }
  const e2el = ttfts.map((v, i) => v + itls[i]!.reduce((a, b) => a + b, 0));
  const tpot = e2el.map((v, i) => (v - ttfts[i]!) / (outputTokens - 1));
  const durationS = Math.max(...ends) / 1000;
  return {
    date: "20260101-000000",
    backend: "openai-chat",
    model_id: "synthetic",
    label: "synthetic",
    request_rate: "inf",
    max_concurrency: concurrency,
    duration: durationS,
    completed: requests,
    failed: 0,
    total_input_tokens: requests * 32,
    total_output_tokens: requests * outputTokens,
    request_throughput: requests / durationS,
    output_throughput: (requests * outputTokens) / durationS,
    total_token_throughput: (requests * (outputTokens + 32)) / durationS,
    ...statsKeys("ttft", ttfts),
    ...statsKeys("tpot", tpot),
    ...statsKeys("itl", itls.flat()),
    ...statsKeys("e2el", e2el),
    input_lens: ttfts.map(() => 32),
    output_lens: ttfts.map(() => outputTokens),
    ttfts: ttfts.map((v) => v / 1000),
    itls: itls.map((g) => g.map((v) => v / 1000)),
    start_times: starts.map((v) => 1000 + v / 1000),
    errors: ttfts.map(() => ""),
  };
}

export function syntheticRun(o: SyntheticOptions): LoadedRun {
  return toLoadedRun(syntheticDoc(o), "vllm", `/synthetic/seed-${o.seed}.json`, 0);
}
