/**
 * What a scenario's records add to its summary beyond the metrics
 * (../results/metrics.ts): TTFT and E2EL by turn for multi-turn sessions,
 * cold against warm prefix groups, and the tokenizer's count of a sample of
 * generated texts (the server/tokenizer mismatch statistic).
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { SummaryExtras } from "../base/summary-types.ts";
import { computeStats } from "../results/stats.ts";
import type { Tokenizer } from "../workload/tokenizer.ts";

/**
 * Server-counted records whose text the tokenizer counts too, for the server/tokenizer mismatch statistic,
 * spread evenly over the run. The count runs on the main thread after the run, before the summary: ~55 µs a
 * 256-token text (a CPU profile of a 4096-stream run), so 100,000 of them held the summary back ~5.5 s, and
 * 1024-token outputs four times that; a sample of 10,000 puts the mean's standard error at 1% of the spread
 * of the per-request differences.
 */
export const MISMATCH_SAMPLE = 10_000;

/** The tokenizer's count of MISMATCH_SAMPLE evenly spread server-counted texts; texts not to be saved are dropped. */
export function sampleTokenizerCounts(records: readonly RequestRecord[], tokenizer: Tokenizer, saveGeneratedText: boolean): void {
  const comparable = (r: RequestRecord) => r.generatedText !== undefined && r.outputTokenSource === "server";
  let total = 0;
  for (const record of records) if (comparable(record)) total++;
  let seen = 0;
  for (const record of records) {
    if (comparable(record)) {
      // The j-th comparable text is counted when floor(j · SAMPLE / total) moves on: exactly SAMPLE of them
      // (every one when there are fewer), the first among them.
      const j = seen++;
      if (Math.floor((j * MISMATCH_SAMPLE) / total) !== Math.floor(((j - 1) * MISMATCH_SAMPLE) / total)) {
        record.tokenizerOutputTokens = tokenizer.encode(record.generatedText!).length;
      }
    }
    if (!saveGeneratedText) delete record.generatedText;
  }
}

/** TTFT and E2EL by turn: turn 5 against turn 1 shows prefix caching at work. */
export function perTurnStats(records: readonly RequestRecord[], percentiles: number[]): NonNullable<SummaryExtras["perTurn"]> {
  const byTurn = new Map<number, { ttft: number[]; e2el: number[] }>();
  for (const r of records) {
    if (!r.success || r.turn === undefined) continue;
    let series = byTurn.get(r.turn);
    if (!series) byTurn.set(r.turn, (series = { ttft: [], e2el: [] }));
    series.ttft.push(r.chunkAtMs[0]! - r.sentAtMs);
    series.e2el.push(r.endAtMs - r.sentAtMs);
  }
  return [...byTurn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([turn, s]) => ({ turn, ttftMs: computeStats(s.ttft, percentiles), e2elMs: computeStats(s.e2el, percentiles) }));
}

/** First request of each prefix group (cold) against the rest (a cache can hit), by send time. */
export function prefixGroupStats(records: readonly RequestRecord[], groupOf: (g: number) => number, percentiles: number[]): NonNullable<SummaryExtras["prefixGroups"]> {
  const seen = new Set<number>();
  const first: number[] = [];
  const repeat: number[] = [];
  const bySend = records.filter((r) => r.success).sort((a, b) => a.sentAtMs - b.sentAtMs);
  for (const r of bySend) {
    const group = groupOf(r.index);
    const ttft = r.chunkAtMs[0]! - r.sentAtMs;
    if (seen.has(group)) repeat.push(ttft);
    else {
      seen.add(group);
      first.push(ttft);
    }
  }
  return { groups: new Set(records.map((r) => groupOf(r.index))).size, firstTtftMs: computeStats(first, percentiles), repeatTtftMs: computeStats(repeat, percentiles) };
}
