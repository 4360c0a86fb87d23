/**
 * The accumulators of summarize()'s single pass over the records
 * (src/results/metrics.ts): each takes one record at a time into scalar
 * fields and typed-array series, so a million records summarise without
 * per-record objects.
 */
import { SeriesBuilder } from "./stats.ts";
import type { FailureCategory, RequestRecord } from "../base/request-types.ts";
import type { FailureSummary, SummaryExtras } from "../base/summary-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";

/** How many failures of each category the summary keeps verbatim. */
export const FAILURE_SAMPLES = 3;

/** Successful requests and their ITL gaps: the capacities the series are sized to. */
export function countSuccesses(records: readonly RequestRecord[]): { completed: number; itlGaps: number } {
  let completed = 0;
  let itlGaps = 0;
  for (const r of records) {
    if (!r.success) continue;
    completed++;
    if (r.chunkAtMs.length > 1) itlGaps += r.chunkAtMs.length - 1;
  }
  return { completed, itlGaps };
}

/** When every request (successful or not) left the client: queueing, send lag, re-sends. */
export class DispatchTally {
  readonly queue: SeriesBuilder;
  readonly sendLag: SeriesBuilder;
  readonly resentWait: SeriesBuilder;
  dispatched = 0;
  lastDispatchMs = -Infinity;

  constructor(records: number, valueBudget: number | undefined) {
    this.queue = new SeriesBuilder({ capacity: records, valueBudget });
    this.sendLag = new SeriesBuilder({ capacity: records, valueBudget });
    this.resentWait = new SeriesBuilder({ capacity: 16, valueBudget });
  }

  add(r: RequestRecord): void {
    const dispatchedAt = r.dispatchedAtMs;
    if (dispatchedAt === dispatchedAt) {
      this.dispatched++;
      if (dispatchedAt > this.lastDispatchMs) this.lastDispatchMs = dispatchedAt;
      this.queue.push(dispatchedAt - r.scheduledAtMs);
      // A re-sent request's wait before the re-send is the connection's, not the client's lateness: counted on its own.
      if (r.sentAtMs === r.sentAtMs) this.sendLag.push((r.firstSentAtMs ?? r.sentAtMs) - dispatchedAt);
    }
    if (r.resent) this.resentWait.push(r.sentAtMs - (r.firstSentAtMs ?? r.sentAtMs));
  }
}

/** The vLLM-named latencies, token totals and goodput of the successful requests. */
export class LatencyTally {
  readonly ttft: SeriesBuilder;
  readonly tpot: SeriesBuilder;
  readonly itl: SeriesBuilder;
  readonly e2el: SeriesBuilder;
  readonly e2elInclQueue: SeriesBuilder;
  /** Send and last-chunk times of the requests with chunks, `[0, spans)`: the concurrency peak's input. */
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  spans = 0;
  /** Requests within every goodput SLO. */
  good = 0;
  inputTokens = 0;
  outputTokens = 0;
  firstSentMs = Infinity;
  lastChunkMs = -Infinity;
  readonly hasGoodput: boolean;

  constructor(
    completed: number,
    itlGaps: number,
    private readonly slo: ResolvedScenario["goodput"],
    valueBudget: number | undefined,
  ) {
    const series = (capacity: number) => new SeriesBuilder({ capacity, valueBudget });
    this.ttft = series(completed);
    this.tpot = series(completed);
    this.itl = series(itlGaps);
    this.e2el = series(completed);
    this.e2elInclQueue = series(completed);
    this.starts = new Float64Array(completed);
    this.ends = new Float64Array(completed);
    this.hasGoodput = slo.ttft !== undefined || slo.tpot !== undefined || slo.e2el !== undefined;
  }

  /** A successful record. */
  add(r: RequestRecord): void {
    const chunks = r.chunkAtMs;
    const sent = r.sentAtMs;
    const out = r.outputTokens;
    this.inputTokens += r.inputTokens;
    this.outputTokens += out;
    if (chunks.length === 0) return; // not a success by the rules; never let it poison the series
    const ttftMs = chunks[0]! - sent;
    const e2elMs = r.endAtMs - sent;
    // vLLM: TPOT only for outputs longer than one token; for goodput such a request has TPOT 0.
    const tpotMs = out > 1 ? (e2elMs - ttftMs) / (out - 1) : 0;
    this.ttft.push(ttftMs);
    this.e2el.push(e2elMs);
    if (out > 1) this.tpot.push(tpotMs);
    this.itl.pushGaps(chunks);
    this.e2elInclQueue.push(r.endAtMs - r.scheduledAtMs);
    const slo = this.slo;
    if (
      this.hasGoodput &&
      (slo.ttft === undefined || ttftMs <= slo.ttft) &&
      (slo.tpot === undefined || tpotMs <= slo.tpot) &&
      (slo.e2el === undefined || e2elMs <= slo.e2el)
    ) {
      this.good++;
    }
    this.starts[this.spans] = sent;
    this.ends[this.spans] = r.endAtMs;
    this.spans++;
    if (sent < this.firstSentMs) this.firstSentMs = sent;
    if (chunks[chunks.length - 1]! > this.lastChunkMs) this.lastChunkMs = chunks[chunks.length - 1]!;
  }
}

/** Where the output token counts came from, and how far the tokenizer's count is from the server's. */
export class TokenSourceTally {
  private server = 0;
  private tokenizer = 0;
  private compared = 0;
  private mismatched = 0;
  private mismatchAbs = 0;

  /** A successful record. */
  add(r: RequestRecord): void {
    if (r.outputTokenSource !== "server") {
      this.tokenizer++;
      return;
    }
    this.server++;
    // Compared only where both counts exist: a tokenizer count of 0 means no text came back to count.
    if (r.tokenizerOutputTokens !== undefined && r.tokenizerOutputTokens > 0) {
      this.compared++;
      const diff = Math.abs(r.outputTokens - r.tokenizerOutputTokens);
      this.mismatchAbs += diff;
      if (diff !== 0) this.mismatched++;
    }
  }

  result(): SummaryExtras["tokenSources"] {
    return {
      server: this.server,
      tokenizer: this.tokenizer,
      mismatchMeanAbs: this.compared > 0 ? this.mismatchAbs / this.compared : null,
      mismatchCount: this.mismatched,
      mismatchCompared: this.compared,
    };
  }
}

/**
 * Failures by category, and the first few of each category (by request
 * index), so a rare category is never hidden behind a common one. Sorts
 * `failed` in place.
 */
export function summarizeFailures(failed: RequestRecord[]): FailureSummary {
  const failures: FailureSummary = { byCategory: {}, samples: [] };
  for (const r of failed) {
    const category: FailureCategory = r.error?.category ?? "stream";
    failures.byCategory[category] = (failures.byCategory[category] ?? 0) + 1;
  }
  failed.sort((a, b) => a.index - b.index);
  const perCategory = new Map<string, number>();
  for (const r of failed) {
    const category = r.error?.category ?? "stream";
    const seen = perCategory.get(category) ?? 0;
    if (seen >= FAILURE_SAMPLES) continue;
    perCategory.set(category, seen + 1);
    failures.samples.push({ index: r.index, category, message: r.error?.message ?? "failed without a recorded error" });
  }
  return failures;
}
