/**
 * requests.jsonl read back: the inverse of recordToJsonLine (./record-log.ts),
 * for `vbench merge`, which must work from the records a shard streamed to
 * disk even when the shard died before writing its results. A test round-trips
 * records through both functions, so the two cannot drift apart unnoticed.
 *
 * JSON has no NaN: the line writes null for a time that never happened, and
 * it comes back as NaN.
 */
import type { FailureCategory, RequestRecord, TokenSource } from "../base/request-types.ts";

type Line = Record<string, unknown>;

const time = (v: unknown): number => (typeof v === "number" ? v : NaN);

/** One parsed line: the record and its wall-clock send time (epoch ms; NaN when the line has none). */
export interface RecordLine {
  record: RequestRecord;
  sentEpochMs: number;
}

/** One line → a record; null when the line is not a record (a torn last line of a killed process). */
export function parseRecordLine(text: string): RecordLine | null {
  let o: Line;
  try {
    o = JSON.parse(text) as Line;
  } catch {
    return null;
  }
  if (!o || typeof o !== "object" || typeof o.index !== "number" || typeof o.request_id !== "string" || !Array.isArray(o.chunk_ms)) return null;
  const record: RequestRecord = {
    index: o.index,
    requestId: o.request_id,
    scheduledAtMs: time(o.scheduled_ms),
    dispatchedAtMs: time(o.dispatched_ms),
    sentAtMs: time(o.sent_ms),
    chunkAtMs: Float64Array.from(o.chunk_ms as number[]),
    endAtMs: time(o.end_ms),
    doneAtMs: time(o.done_ms),
    success: o.success === true,
    inputTokens: Number(o.input_tokens ?? 0),
    outputTokens: Number(o.output_tokens ?? 0),
    outputTokenSource: (o.output_token_source === "tokenizer" ? "tokenizer" : "server") as TokenSource,
    requestedOutputTokens: Number(o.requested_output_tokens ?? 0),
  };
  const error = o.error as { category?: FailureCategory; message?: string; status?: number; body?: string } | null;
  if (error && typeof error === "object") {
    record.error = { category: error.category ?? "stream", message: String(error.message ?? "") };
    if (error.status !== undefined) record.error.status = error.status;
    if (error.body !== undefined) record.error.body = error.body;
  }
  if (typeof o.slot_wait_ms === "number") record.slotWaitMs = o.slot_wait_ms;
  if (typeof o.worker === "number") record.worker = o.worker;
  if (typeof o.server_input_tokens === "number") record.serverInputTokens = o.server_input_tokens;
  if (typeof o.finish_reason === "string") record.finishReason = o.finish_reason;
  if (Array.isArray(o.no_text_chunks) && o.no_text_chunks.length > 0) record.noTextChunks = o.no_text_chunks as number[];
  if (typeof o.resent === "number" && o.resent > 0) {
    record.resent = o.resent;
    record.firstSentAtMs = time(o.first_sent_ms);
  }
  return { record, sentEpochMs: time(o.sent_epoch_ms) };
}
