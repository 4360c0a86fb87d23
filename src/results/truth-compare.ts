/**
 * Measured versus true: the client's per-request timings set against the
 * simulator's own record of what it sent (GET /_truth), matched by
 * `x-request-id`. Used by `vbench calibrate` and the bench/ scripts.
 *
 * Both sides are durations on their own process's monotonic clock, so no
 * clock mapping is needed: measured TTFT = first chunk's arrival − send
 * (client), true TTFT = first chunk written − request received (server). The
 * difference is the two loopback transits plus any time the client was late
 * reading its sockets: exactly the client's contribution to the figure.
 */
import { percentileOfSorted } from "./stats.ts";

/** One request as the client measured it (run clock, ms). */
export interface MeasuredTiming {
  requestId: string;
  success: boolean;
  sentAtMs: number;
  /** Arrival of each token-bearing message. */
  chunkAtMs: ArrayLike<number>;
}

/** The fields of the simulator's TruthRecord this needs (server clock, ms). */
export interface TrueTiming {
  requestId: string;
  receivedAtMs: number;
  chunkAtMs: readonly number[];
}

export interface ErrorStats {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface TruthComparison {
  /** Successful measured requests found in the truth with the same number of chunks. */
  matched: number;
  /** Successful measured requests whose id the simulator never saw. */
  missingFromTruth: number;
  /** Matched ids whose chunk counts differ (left out of every figure). */
  chunkCountMismatch: number;
  /** Gaps pooled into the ITL means. */
  gaps: number;
  measuredMeanTtftMs: number;
  trueMeanTtftMs: number;
  measuredMeanItlMs: number;
  trueMeanItlMs: number;
  /** measured − true TTFT per request. */
  ttftErrorMs: ErrorStats;
  /** Mean measured ITL − mean true ITL (pooled over every gap). */
  itlErrorMs: number;
  /**
   * How much later than the first chunk each later chunk reached the client,
   * relative to the server's sending: (arrival_k − arrival_0) − (sent_k − sent_0),
   * over every chunk after the first. A client falling behind its sockets grows this.
   */
  chunkDelayErrorMs: ErrorStats;
}

/** Mean, p50, p99 and max of a set of errors (the project's percentile definition, results/stats.ts); NaN when empty. */
export function errorStats(values: Float64Array): ErrorStats {
  if (values.length === 0) return { mean: NaN, p50: NaN, p99: NaN, max: NaN };
  const sorted = values.slice().sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return { mean: sum / sorted.length, p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99), max: sorted[sorted.length - 1]! };
}

export function compareWithTruth(measured: Iterable<MeasuredTiming>, truth: Iterable<TrueTiming>): TruthComparison {
  const byId = new Map<string, TrueTiming>();
  for (const t of truth) if (t.requestId) byId.set(t.requestId, t);

  const ttftErrors: number[] = [];
  const delayErrors: number[] = [];
  let missing = 0;
  let mismatch = 0;
  let gaps = 0;
  let mTtftSum = 0;
  let tTtftSum = 0;
  let mSpanSum = 0;
  let tSpanSum = 0;
  for (const m of measured) {
    if (!m.success || m.chunkAtMs.length === 0) continue;
    const t = byId.get(m.requestId);
    if (!t) {
      missing++;
      continue;
    }
    const n = m.chunkAtMs.length;
    if (t.chunkAtMs.length !== n) {
      mismatch++;
      continue;
    }
    const mFirst = m.chunkAtMs[0]!;
    const tFirst = t.chunkAtMs[0]!;
    const mTtft = mFirst - m.sentAtMs;
    const tTtft = tFirst - t.receivedAtMs;
    mTtftSum += mTtft;
    tTtftSum += tTtft;
    ttftErrors.push(mTtft - tTtft);
    for (let k = 1; k < n; k++) delayErrors.push(m.chunkAtMs[k]! - mFirst - (t.chunkAtMs[k]! - tFirst));
    // Pooled mean gap = Σ(last − first) / Σ(n − 1): identical to averaging every gap.
    mSpanSum += m.chunkAtMs[n - 1]! - mFirst;
    tSpanSum += t.chunkAtMs[n - 1]! - tFirst;
    gaps += n - 1;
  }
  const matched = ttftErrors.length;
  const measuredMeanItlMs = gaps > 0 ? mSpanSum / gaps : NaN;
  const trueMeanItlMs = gaps > 0 ? tSpanSum / gaps : NaN;
  return {
    matched,
    missingFromTruth: missing,
    chunkCountMismatch: mismatch,
    gaps,
    measuredMeanTtftMs: matched > 0 ? mTtftSum / matched : NaN,
    trueMeanTtftMs: matched > 0 ? tTtftSum / matched : NaN,
    measuredMeanItlMs,
    trueMeanItlMs,
    ttftErrorMs: errorStats(Float64Array.from(ttftErrors)),
    itlErrorMs: measuredMeanItlMs - trueMeanItlMs,
    chunkDelayErrorMs: errorStats(Float64Array.from(delayErrors)),
  };
}

/** One line of requests.jsonl → the fields compared here. */
export function timingFromJsonLine(line: string): MeasuredTiming {
  const r = JSON.parse(line) as { request_id: string; success: boolean; sent_ms: number; chunk_ms: number[] };
  return { requestId: r.request_id, success: r.success, sentAtMs: r.sent_ms, chunkAtMs: r.chunk_ms };
}

/** Page through the simulator's GET /_truth (a 4096-stream run is tens of MB as one document). */
export async function fetchTruth(baseUrl: string, pageSize = 2000): Promise<TrueTiming[]> {
  const out: TrueTiming[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const response = await fetch(`${baseUrl}/_truth?offset=${offset}&limit=${pageSize}`);
    if (!response.ok) throw new Error(`GET ${baseUrl}/_truth: HTTP ${response.status}`);
    const page = (await response.json()) as TrueTiming[];
    for (const t of page) out.push({ requestId: t.requestId, receivedAtMs: t.receivedAtMs, chunkAtMs: t.chunkAtMs });
    if (page.length < pageSize) return out;
  }
}

/** Forget what the simulator recorded so far (between calibration levels). */
export async function clearTruth(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/_truth`, { method: "DELETE" });
  if (!response.ok) throw new Error(`DELETE ${baseUrl}/_truth: HTTP ${response.status}`);
}
