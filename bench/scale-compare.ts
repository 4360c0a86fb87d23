/**
 * Client minus wire at scale (issue #17 item 5), pure: the client's records
 * (requests.jsonl) set against the packets of a loopback capture
 * (src/wire/pcap.ts, src/results/wire-capture.ts), matched by x-request-id, message by message.
 *
 * Two kinds of figures:
 * - distribution minus distribution, as one would compare two clients: mean
 *   and p99 TTFT and p99 ITL as the client reports them minus the same
 *   statistic computed from the wire (request's last byte in → first token
 *   packet out; gaps between token-bearing packets);
 * - where the error comes from, on one time axis: the client's run clock is
 *   mapped to the wall clock with each record's `sent_epoch_ms` (vbench ties t0
 *   to the wall clock to within a few µs) and the capture's timestamps are wall
 *   clock too. Send lag = the request's last byte on the wire − the client's
 *   send stamp; receive lag = the client's stamp of a message − that message's
 *   packet on the wire. The receive lag of every message is what a busy event
 *   loop adds to a read: its distribution is the stall as the reads saw it.
 *   Both include one loopback transit (~10–50 µs). The two wall clocks agree
 *   only to a fraction of a millisecond (vbench reads the wall clock once, at
 *   t0, through Date.now()), so the client's times are shifted so that its
 *   quickest read of any message is 0 (`clockShiftMs`, printed): among
 *   thousands of messages some are read at once, and no read precedes its
 *   packet. The shift moves send and receive lags in opposite directions,
 *   never their sum, and never the TTFT and ITL comparisons.
 */
import { percentileOfSorted } from "../src/results/stats.ts";
import type { WireTiming } from "../src/wire/pcap.ts";

/** One line of requests.jsonl, the fields used here (run clock ms, plus the wall-clock send time). */
export interface ScaleRecord {
  requestId: string;
  success: boolean;
  sentAtMs: number;
  sentEpochMs: number;
  chunkAtMs: number[];
}

export function scaleRecordFromLine(line: string): ScaleRecord {
  const r = JSON.parse(line) as { request_id: string; success: boolean; sent_ms: number; sent_epoch_ms: number | null; chunk_ms: number[] };
  return { requestId: r.request_id, success: r.success, sentAtMs: r.sent_ms, sentEpochMs: r.sent_epoch_ms ?? NaN, chunkAtMs: r.chunk_ms };
}

export interface Dist {
  count: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
  min: number;
  /** Values above 1 ms. */
  over1Ms: number;
}

export function dist(values: number[]): Dist {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p99: NaN, max: NaN, min: NaN, over1Ms: 0 };
  let sum = 0;
  let over = 0;
  for (const v of sorted) {
    sum += v;
    if (v > 1) over++;
  }
  return { count: n, mean: sum / n, p50: percentileOfSorted(sorted, 50), p99: percentileOfSorted(sorted, 99), max: sorted[n - 1]!, min: sorted[0]!, over1Ms: over };
}

export interface ScaleComparison {
  /** Successful records found on the wire with a token. */
  matched: number;
  /** Successful records whose id the capture never showed. */
  missing: number;
  /** Matched records whose message count differs from the wire's (left out of the per-message figures). */
  messageCountMismatch: number;
  /** Token-bearing messages the client stamped (all successful records). */
  messages: number;
  clientTtftMs: Dist;
  wireTtftMs: Dist;
  /** Per request, client TTFT − wire TTFT. */
  ttftErrorMs: Dist;
  /** Gaps between consecutive token-bearing messages, pooled over the requests (chunk-level ITL). */
  clientItlMs: Dist;
  wireItlMs: Dist;
  /** Wire's last request byte − client's send stamp, per request (ms; needs sent_epoch_ms). */
  sendLagMs: Dist;
  /** Client's first-token stamp − wire's first token packet, per request. */
  firstTokenReceiveLagMs: Dist;
  /** Client's stamp − wire's packet, every token-bearing message of the matched records. */
  messageReceiveLagMs: Dist;
  /** Added to the client's wall-clock times so its quickest message read is 0 (see above); NaN without sent_epoch_ms. */
  clockShiftMs: number;
  /** The 100 ms windows (by the packet's time, from the first request on the wire) with the longest message receive lag, worst first. */
  worstWindows: { fromS: number; maxLagMs: number; messages: number }[];
}

export function compareAtScale(records: Iterable<ScaleRecord>, wire: Iterable<WireTiming>): ScaleComparison {
  const byId = new Map<string, WireTiming>();
  for (const w of wire) if (w.tokenPackets > 0) byId.set(w.requestId, w);
  const clientTtft: number[] = [];
  const wireTtft: number[] = [];
  const ttftError: number[] = [];
  const clientItl: number[] = [];
  const wireItl: number[] = [];
  const sendLag: number[] = [];
  const firstLag: number[] = [];
  const messageLag: number[] = [];
  const messageWireAt: number[] = [];
  let originMs = Infinity; // the first measured request on the wire (warm-ups are on the wire too)
  let missing = 0;
  let mismatch = 0;
  let messages = 0;
  for (const r of records) {
    if (!r.success || r.chunkAtMs.length === 0) continue;
    messages += r.chunkAtMs.length;
    const w = byId.get(r.requestId);
    if (!w) {
      missing++;
      continue;
    }
    originMs = Math.min(originMs, w.requestAtMs);
    const ct = r.chunkAtMs[0]! - r.sentAtMs;
    const wt = w.firstTokenAtMs - w.requestAtMs;
    clientTtft.push(ct);
    wireTtft.push(wt);
    ttftError.push(ct - wt);
    pushGaps(clientItl, r.chunkAtMs);
    const wireTimes = w.tokenAtMs ?? [];
    pushGaps(wireItl, wireTimes);
    const toEpoch = r.sentEpochMs - r.sentAtMs; // run clock → wall clock
    if (Number.isNaN(toEpoch)) continue;
    sendLag.push(w.requestAtMs - r.sentEpochMs);
    firstLag.push(r.chunkAtMs[0]! + toEpoch - w.firstTokenAtMs);
    if (wireTimes.length !== r.chunkAtMs.length) {
      mismatch++;
      continue;
    }
    for (let k = 0; k < wireTimes.length; k++) {
      messageLag.push(r.chunkAtMs[k]! + toEpoch - wireTimes[k]!);
      messageWireAt.push(wireTimes[k]!);
    }
  }
  // Align the clocks: the quickest read of any message becomes 0 (see the file comment).
  let shift = Infinity;
  for (const v of messageLag) shift = Math.min(shift, v);
  for (const v of firstLag) shift = Math.min(shift, v);
  if (!Number.isFinite(shift)) shift = 0;
  const shifted = (values: number[], by: number) => values.map((v) => v + by);
  return {
    matched: ttftError.length,
    missing,
    messageCountMismatch: mismatch,
    messages,
    clientTtftMs: dist(clientTtft),
    wireTtftMs: dist(wireTtft),
    ttftErrorMs: dist(ttftError),
    clientItlMs: dist(clientItl),
    wireItlMs: dist(wireItl),
    sendLagMs: dist(shifted(sendLag, shift)),
    firstTokenReceiveLagMs: dist(shifted(firstLag, -shift)),
    messageReceiveLagMs: dist(shifted(messageLag, -shift)),
    clockShiftMs: sendLag.length ? -shift : NaN,
    worstWindows: worstWindows(messageWireAt, messageLag, shift, originMs),
  };
}

function pushGaps(out: number[], times: ArrayLike<number>): void {
  for (let k = 1; k < times.length; k++) out.push(times[k]! - times[k - 1]!);
}


/** The three 100 ms windows with the longest (clock-aligned) message receive lag. */
function worstWindows(wireAtMs: number[], lagMs: number[], shift: number, originMs: number): ScaleComparison["worstWindows"] {
  const windows = new Map<number, { fromS: number; maxLagMs: number; messages: number }>();
  for (let i = 0; i < lagMs.length; i++) {
    const k = Math.floor((wireAtMs[i]! - originMs) / 100);
    const w = windows.get(k) ?? { fromS: k / 10, maxLagMs: -Infinity, messages: 0 };
    w.maxLagMs = Math.max(w.maxLagMs, lagMs[i]! - shift);
    w.messages++;
    windows.set(k, w);
  }
  return [...windows.values()].sort((a, b) => b.maxLagMs - a.maxLagMs).slice(0, 3);
}
