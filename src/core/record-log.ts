/**
 * Per-request records streamed to disk while the run goes (`requests.jsonl`
 * in the scenario's directory), so a crash or Ctrl-C never loses a finished
 * request. The hot path only pushes the record object; serialisation and the
 * write happen on a timer (at most FLUSH_INTERVAL_MS of records are in memory
 * only, and an interrupt flushes them before exiting).
 */
import type { RequestRecord } from "./types.ts";
import { RecordStream } from "./atomic-write.ts";

const FLUSH_INTERVAL_MS = 250;

/** One record as a JSON line (times in ms on the run clock, relative to the schedule's t0). */
export function recordToJsonLine(r: RequestRecord): string {
  return JSON.stringify({
    index: r.index,
    request_id: r.requestId,
    success: r.success,
    error: r.error ?? null,
    scheduled_ms: r.scheduledAtMs,
    dispatched_ms: r.dispatchedAtMs,
    sent_ms: r.sentAtMs,
    chunk_ms: Array.from(r.chunkAtMs),
    end_ms: Number.isNaN(r.endAtMs) ? null : r.endAtMs,
    done_ms: r.doneAtMs,
    input_tokens: r.inputTokens,
    input_token_source: r.inputTokenSource,
    output_tokens: r.outputTokens,
    output_token_source: r.outputTokenSource,
    requested_output_tokens: r.requestedOutputTokens,
    finish_reason: r.finishReason ?? null,
  });
}

export class RecordLog {
  private readonly stream = new RecordStream();
  private pending: RequestRecord[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Records handed to the stream so far. */
  written = 0;

  async open(path: string): Promise<void> {
    await this.stream.open(path, { flushIntervalMs: FLUSH_INTERVAL_MS });
    this.timer = setInterval(() => this.drain(), FLUSH_INTERVAL_MS);
  }

  /** Hot path: remember the record. */
  add(record: RequestRecord): void {
    this.pending.push(record);
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      for (const record of batch) this.stream.write(recordToJsonLine(record));
      this.written += batch.length;
    } catch {
      // A failed write (disk full) is remembered by the stream and thrown by flush()/close().
    }
  }

  /** Serialise and write everything pending (Ctrl-C path and end of run). */
  async flush(): Promise<void> {
    this.drain();
    await this.stream.flush();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.drain();
    await this.stream.close();
  }
}
