/**
 * Per-request records streamed to disk while the run goes (`requests.jsonl`
 * in the scenario's directory), so a crash or Ctrl-C never loses a finished
 * request. The hot path only pushes the record object; serialisation and the
 * write happen on a timer (at most FLUSH_INTERVAL_MS of records are in memory
 * only, and an interrupt flushes them before exiting).
 *
 * The timer serialises records for at most DRAIN_SLICE_MS per turn of the
 * event loop, not the whole batch at once: 250 records took 0.9 ms (up to
 * 2.8 ms) in one go at 1000 req/s, and every release due meanwhile went out
 * that much late (measured with bench/schedule.ts; docs/performance.md). A
 * record's cost varies with its stream: 32 records a turn took 0.34–0.38 ms
 * (p50) and up to 1.9 ms with 64 stamps each inside a pinned 1024-stream run
 * (stop 31), so the slice is bounded by time, not by a count.
 */
import type { RequestRecord } from "../base/request-types.ts";
import { RecordStream } from "../base/atomic-write.ts";

export const FLUSH_INTERVAL_MS = 250;
/** The time the drain may hold the event loop in one turn (ms); a turn writes at least one record. */
export const DRAIN_SLICE_MS = 0.25;

/** When the drain runs: the event loop's timers in a run; a test turns them by hand, so nothing races a clock. */
export interface DrainScheduler {
  /** Call `tick` every `ms`; the returned function stops it. */
  every(ms: number, tick: () => void): () => void;
  /** Run `step` on a later turn of the event loop. */
  later(step: () => void): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export const EVENT_LOOP: DrainScheduler = {
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
  later: (step) => void setImmediate(step),
  now: () => performance.now(),
};

/**
 * One record as a JSON line (times in ms on the run clock, relative to the schedule's t0), plus
 * `sent_epoch_ms`, the wall-clock send time (t0's wall-clock time + sent_ms), which lines up
 * records of different processes (shards) on one time axis.
 */
export function recordToJsonLine(r: RequestRecord, t0EpochMs = NaN): string {
  const sentEpochMs = t0EpochMs + r.sentAtMs;
  return JSON.stringify({
    index: r.index,
    request_id: r.requestId,
    success: r.success,
    error: r.error ?? null,
    scheduled_ms: r.scheduledAtMs,
    dispatched_ms: r.dispatchedAtMs,
    // Wait for a max_concurrency slot (0: one was free when it was due) and the engine thread that sent it.
    slot_wait_ms: r.slotWaitMs,
    worker: r.worker,
    sent_ms: r.sentAtMs,
    sent_epoch_ms: Number.isNaN(sentEpochMs) ? null : sentEpochMs,
    chunk_ms: Array.from(r.chunkAtMs),
    // Indexes into chunk_ms of messages without generated text (content ITL); left out when there were none.
    no_text_chunks: r.noTextChunks,
    end_ms: Number.isNaN(r.endAtMs) ? null : r.endAtMs,
    done_ms: r.doneAtMs,
    input_tokens: r.inputTokens,
    server_input_tokens: r.serverInputTokens ?? null,
    output_tokens: r.outputTokens,
    output_token_source: r.outputTokenSource,
    requested_output_tokens: r.requestedOutputTokens,
    finish_reason: r.finishReason ?? null,
    // Re-sent on a new connection (the kept-alive one closed before any response): sent_ms is the re-send.
    resent: r.resent,
    first_sent_ms: r.firstSentAtMs,
  });
}

export class RecordLog {
  private readonly stream = new RecordStream();
  private pending: RequestRecord[] = [];
  /** Records of `pending` already serialised (a drain in progress resumes here). */
  private drained = 0;
  private slicing = false;
  private stopTimer: (() => void) | null = null;
  /** Records handed to the stream so far. */
  written = 0;

  /** Wall-clock time (epoch ms) of the run clock's t0, for each line's sent_epoch_ms; set before the first record. */
  t0EpochMs = NaN;
  constructor(private readonly scheduler: DrainScheduler = EVENT_LOOP) {}

  async open(path: string): Promise<void> {
    await this.stream.open(path, { flushIntervalMs: FLUSH_INTERVAL_MS });
    this.stopTimer = this.scheduler.every(FLUSH_INTERVAL_MS, () => this.drainSlices());
  }

  /** Hot path: remember the record. */
  add(record: RequestRecord): void {
    this.pending.push(record);
  }

  /** Serialise pending records until `untilMs` on the scheduler's clock (at least one); true when none are left. */
  private drain(untilMs = Number.POSITIVE_INFINITY): boolean {
    const batch = this.pending;
    let i = this.drained;
    while (i < batch.length) {
      try {
        this.stream.write(recordToJsonLine(batch[i]!, this.t0EpochMs));
      } catch {
        // A failed write (disk full) is remembered by the stream and thrown by flush()/close().
      }
      i++;
      if (untilMs !== Number.POSITIVE_INFINITY && this.scheduler.now() >= untilMs) break;
    }
    this.written += i - this.drained;
    this.drained = i;
    if (i < batch.length) return false;
    this.pending = [];
    this.drained = 0;
    return true;
  }

  /** The timer's drain: one slice per turn of the event loop until nothing is pending. */
  private drainSlices(): void {
    if (this.slicing) return;
    const step = () => {
      this.slicing = !this.drain(this.scheduler.now() + DRAIN_SLICE_MS);
      if (this.slicing) this.scheduler.later(step);
    };
    step();
  }

  /** Serialise and write everything pending (Ctrl-C path and end of run). */
  async flush(): Promise<void> {
    this.drain();
    await this.stream.flush();
  }

  async close(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = null;
    this.drain();
    await this.stream.close();
  }
}
