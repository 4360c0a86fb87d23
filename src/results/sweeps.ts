/**
 * Time-sweep computations over a run's records, kept apart from metrics.ts so
 * each stays one job: peak concurrency, peak token rate, and which requests
 * found a free concurrency slot (for the dispatcher-lateness extra).
 * All pure; inputs are typed arrays or records, nothing per record is allocated.
 */
import type { RequestRecord } from "../base/request-types.ts";

/**
 * Exact maximum number of overlapping half-open intervals [start, end).
 * On equal times a departure is processed before an arrival, so back-to-back
 * requests (one ends at t, the next starts at t) never count as concurrent.
 * Sorts its arguments in place.
 */
export function peakOverlap(starts: Float64Array, ends: Float64Array): number {
  starts.sort();
  ends.sort();
  let peak = 0;
  let departed = 0;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    while (departed < ends.length && ends[departed]! <= t) departed++;
    const open = i + 1 - departed;
    if (open > peak) peak = open;
  }
  return peak;
}

/**
 * Peak output tokens per second: tokens falling in 1-second bins counted from
 * `originMs` (the first sentAt of a successful request); the fullest bin.
 *
 * A stream message may carry several tokens and the server reports only the
 * request's total, so a request's `outputTokens` are spread evenly over its
 * token-bearing messages (each message gets outputTokens / messages, a
 * fraction). This counts tokens, not messages as vLLM does, so servers that
 * batch tokens into one message are not under-reported.
 */
export function peakTokensPerSecond(records: readonly RequestRecord[], originMs: number, lastMs: number): number {
  if (!(lastMs >= originMs)) return 0;
  const bins = new Float64Array(Math.floor((lastMs - originMs) / 1000) + 1);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const chunks = r.chunkAtMs;
    if (!r.success || chunks.length === 0) continue;
    const perMessage = r.outputTokens / chunks.length;
    for (let k = 0; k < chunks.length; k++) {
      const bin = Math.floor((chunks[k]! - originMs) / 1000);
      if (bin >= 0 && bin < bins.length) bins[bin]! += perMessage;
    }
  }
  let peak = 0;
  for (let b = 0; b < bins.length; b++) if (bins[b]! > peak) peak = bins[b]!;
  return peak;
}

/**
 * For each record, whether a concurrency slot was free at its scheduled time,
 * i.e. any wait before dispatch was the dispatcher's own lateness rather than
 * `max_concurrency` queueing.
 *
 * The records do not say whether a request waited, so it is reconstructed:
 * with a FIFO semaphore of `maxConcurrency` slots, request i finds a free slot
 * iff the demand at its scheduled time, the requests released before it
 * (scheduled earlier, or at the same time with a lower index) that have not
 * finished yet (doneAt > scheduledAt_i; holding a slot or queued ahead of i),
 * is below maxConcurrency. A request that never finished (doneAt NaN) holds its
 * place to the end. O(n log n); returns a flag per record index position.
 */
export function foundFreeSlot(records: readonly RequestRecord[], maxConcurrency: number): Uint8Array {
  const n = records.length;
  const free = new Uint8Array(n);
  const order = releaseOrder(records);
  const departures = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const done = records[i]!.doneAtMs;
    departures[i] = done === done ? done : Infinity;
  }
  departures.sort();
  let departed = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const t = records[i]!.scheduledAtMs;
    while (departed < n && departures[departed]! <= t) departed++;
    const demand = Math.max(0, k - departed);
    if (demand < maxConcurrency) free[i] = 1;
  }
  return free;
}

/** Record positions ordered by (scheduledAt, index); the identity when already in that order (the usual case). */
function releaseOrder(records: readonly RequestRecord[]): Uint32Array {
  const n = records.length;
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && before(records[i]!, records[i - 1]!)) sorted = false;
  }
  if (!sorted) order.sort((a, b) => (before(records[a]!, records[b]!) ? -1 : before(records[b]!, records[a]!) ? 1 : 0));
  return order;
}

function before(a: RequestRecord, b: RequestRecord): boolean {
  return a.scheduledAtMs < b.scheduledAtMs || (a.scheduledAtMs === b.scheduledAtMs && a.index < b.index);
}
