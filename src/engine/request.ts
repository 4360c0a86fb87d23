/**
 * One timed request: the HTTP response flows from the socket through the SSE
 * framer into the backend's parser; this object stamps the clock for every
 * token-bearing message and turns the outcome into a RequestRecord.
 *
 * Hot path (STYLE rule 3): per read, one clock value (taken by the HTTP
 * client) is shared by every event in that read; per token-bearing message
 * one store into a preallocated Float64Array; no logging, no JSON building.
 */
import type { BackendPlugin, ResponseParser } from "../base/plugin-types.ts";
import type { FailureCategory, RequestRecord } from "../base/request-types.ts";
import { PayloadKind } from "../base/plugin-types.ts";
import type { HttpClient, Origin, ResponseSink } from "./http.ts";
import { createSseFramer, type SseFramer } from "../wire/sse.ts";
import { latin1Slice } from "../wire/http-head.ts";
import { sanitizeForTerminal } from "../base/log.ts";
import { cur, TRACING } from "./stall-trace.ts";
import { giveStamps, takeStamps } from "./stamp-pool.ts";

/** A request ready to send: the bytes before and after its request id. */
export interface PreparedRequest {
  /** Request line and headers up to `x-request-id: `. */
  head: Uint8Array;
  /** `\r\n`, the remaining headers, the blank line and the body. */
  tail: Uint8Array;
  inputTokens: number;
  requestedOutputTokens: number;
}

const HTTP_BODY_KEEP = 1024;
/** A single SSE event or non-streaming body larger than this fails the request (a runaway server). */
export const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/** The runtime's UTF-8 writer into a byte array at an offset (Node's and Bun's Buffer method): no temporary array. */
const utf8Write = (Buffer.prototype as unknown as { utf8Write(this: Uint8Array, text: string, offset: number): number }).utf8Write;

/** Splice the request id into a prepared request: one copy, no string work. */
export function requestBytes(prepared: PreparedRequest, requestId: string): Uint8Array {
  const idBytes = Buffer.byteLength(requestId, "utf8");
  const out = new Uint8Array(prepared.head.byteLength + idBytes + prepared.tail.byteLength);
  out.set(prepared.head, 0);
  utf8Write.call(out, requestId, prepared.head.byteLength);
  out.set(prepared.tail, prepared.head.byteLength + idBytes);
  return out;
}

/** Send a timed request: its bytes are built first, then the send time is stamped and the bytes handed to the client. */
export function sendTimed(client: HttpClient, origin: Origin, request: TimedRequest, t0: number): void {
  const bytes = requestBytes(request.prepared, request.requestId);
  const sentAt = performance.now();
  request.markSent(sentAt - t0);
  const exchange = client.send(origin, bytes, request);
  if (TRACING) {
    cur.sendMs += performance.now() - sentAt;
    cur.sends++;
  }
  request.abortExchange = () => exchange.abort();
}

export class TimedRequest implements ResponseSink {
  /** Run-relative clock of the current read, shared by all events in it. */
  private nowMs = 0;
  private chunkAtMs: Float64Array;
  /** Indexes into chunkAtMs of messages that carried no generated text (PayloadKind.TokenNoText); made on the first. */
  private noTextChunks: number[] | null = null;
  private chunks = 0;
  private status = 0;
  private framer: SseFramer | null = null;
  private readonly parser: ResponseParser;
  sentAtMs = NaN;
  /** The first send's time when the request was re-sent (NaN otherwise). */
  private firstSentAtMs = NaN;
  private resends = 0;
  private plainBody: string[] | null = null;
  private plainBodyChars = 0;
  /** The first HTTP_BODY_KEEP bytes of a non-200 body, decoded once at the end (a character may span reads). */
  private errorBytes: Uint8Array[] = [];
  private errorByteCount = 0;
  private streamError: string | null = null;
  private finished = false;
  /** Run-relative time of the last byte, read by the timeout sweeper. */
  lastActivityMs: number;
  abortExchange: (() => void) | null = null;
  /** ms it waited for a max_concurrency slot after it was due (set by the units that send it). */
  slotWaitMs = 0;
  /** The engine thread that sent it (0: the main thread's, or the first worker's). */
  worker = 0;

  constructor(
    readonly index: number,
    readonly requestId: string,
    readonly prepared: PreparedRequest,
    backend: BackendPlugin,
    private readonly t0: number,
    readonly scheduledAtMs: number,
    readonly dispatchedAtMs: number,
    private readonly done: (request: TimedRequest, record: RequestRecord) => void,
  ) {
    this.parser = backend.createParser();
    this.chunkAtMs = takeStamps(prepared.requestedOutputTokens + 2);
    this.lastActivityMs = dispatchedAtMs;
  }

  /** Just before the bytes are written (vLLM's start_time). */
  markSent(sentAtMs: number): void {
    this.sentAtMs = sentAtMs;
    this.lastActivityMs = sentAtMs;
  }

  /**
   * Sent again on a new connection (the kept-alive one closed before any
   * response): TTFT and E2EL count from this send, the one the server
   * answered; the first send's time stays on the record.
   */
  onResend(now: number): void {
    if (this.resends++ === 0) this.firstSentAtMs = this.sentAtMs;
    this.markSent(now - this.t0);
  }

  onHead(status: number, contentType: string, now: number): void {
    this.status = status;
    this.lastActivityMs = now - this.t0;
    if (status !== 200) return;
    if (contentType.includes("text/event-stream")) this.framer = createSseFramer(this.onPayload, this.parser.onPayloadBytes ? this.onPayloadBytes : null);
    else this.plainBody = [];
  }

  onBody(bytes: Uint8Array, start: number, end: number, now: number): void {
    this.nowMs = now - this.t0;
    this.lastActivityMs = this.nowMs;
    if (this.framer) {
      this.framer.push(bytes, start, end);
      if (this.framer.bufferedBytes > MAX_EVENT_CHARS) this.fail("stream", `a single stream event exceeded ${MAX_EVENT_CHARS / 1048576} MiB`);
    } else if (this.plainBody) {
      this.plainBodyChars += end - start;
      if (this.plainBodyChars > MAX_EVENT_CHARS) return this.fail("stream", `response body exceeded ${MAX_EVENT_CHARS / 1048576} MiB`);
      this.plainBody.push(latin1Slice.call(bytes, start, end));
    } else if (this.errorByteCount < HTTP_BODY_KEEP) {
      const kept = bytes.slice(start, Math.min(end, start + HTTP_BODY_KEEP - this.errorByteCount));
      this.errorBytes.push(kept);
      this.errorByteCount += kept.byteLength;
    }
  }

  /** Bound once: the framer calls it per event. */
  private readonly onPayload = (payload: string): void => {
    if (this.finished) return;
    let kind: PayloadKind;
    try {
      kind = this.parser.onPayload(payload);
    } catch (error) {
      return this.parserFailed(error);
    }
    this.onKind(kind);
  };

  /** The framer's offer of a payload as bytes (ResponseParser.onPayloadBytes): true when the parser took it. */
  private readonly onPayloadBytes = (bytes: Uint8Array, start: number, end: number): boolean => {
    if (this.finished) return true;
    let kind: PayloadKind | undefined;
    try {
      kind = this.parser.onPayloadBytes!(bytes, start, end);
    } catch (error) {
      this.parserFailed(error);
      return true;
    }
    if (kind === undefined) return false;
    this.onKind(kind);
    return true;
  };

  /** A plugin parser that throws fails this request, never the run. */
  private parserFailed(error: unknown): void {
    this.fail("stream", `backend parser failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  private onKind(kind: PayloadKind): void {
    if (kind === PayloadKind.Token || kind === PayloadKind.TokenAndDone) {
      if (this.chunks === this.chunkAtMs.length) this.grow();
      this.chunkAtMs[this.chunks++] = this.nowMs;
    } else if (kind === PayloadKind.TokenNoText || kind === PayloadKind.TokenNoTextAndDone) {
      if (this.chunks === this.chunkAtMs.length) this.grow();
      (this.noTextChunks ??= []).push(this.chunks);
      this.chunkAtMs[this.chunks++] = this.nowMs;
    } else if (kind === PayloadKind.Error && this.streamError === null) {
      this.streamError = this.parser.state.error ?? "error event in stream";
    }
  }

  private grow(): void {
    const grown = new Float64Array(this.chunkAtMs.length * 2);
    grown.set(this.chunkAtMs);
    this.chunkAtMs = grown;
  }

  onEnd(now: number): void {
    if (this.finished) return;
    this.nowMs = now - this.t0;
    if (this.framer) this.framer.end();
    else if (this.plainBody) {
      const body = Buffer.from(this.plainBody.join(""), "latin1").toString("utf8");
      this.onPayload(body);
    }
    if (this.status !== 200) {
      return this.fail("http", this.httpMessage());
    }
    if (this.streamError !== null) return this.fail("stream", this.streamError);
    if (!this.parser.state.ended) return this.fail("truncated", "the stream ended before the backend's end marker");
    if (this.chunks === 0) return this.fail("stream", "the response carried no token-bearing message");
    this.complete(true, undefined);
  }

  onFail(kind: "connect" | "truncated", message: string, now: number): void {
    if (this.finished) return;
    this.nowMs = now - this.t0;
    // A cut connection: an unfinished last line is a fragment, not an event.
    if (this.framer) this.framer.end({ truncated: true });
    // A stream that ended its protocol properly and then lost the connection is still complete.
    if (kind === "truncated" && this.status === 200 && this.parser.state.ended && this.streamError === null && this.chunks > 0) {
      return this.complete(true, undefined);
    }
    if (this.status !== 0 && this.status !== 200) return this.fail("http", this.httpMessage());
    if (this.streamError !== null) return this.fail("stream", this.streamError);
    this.fail(kind, message);
  }

  private errorBody(): string {
    // A character cut at the 1 KiB limit becomes U+FFFD rather than being dropped silently.
    return new TextDecoder().decode(Buffer.concat(this.errorBytes));
  }

  private httpMessage(): string {
    return `HTTP ${this.status}: ${this.errorBody().slice(0, 200).trim()}`;
  }

  /** Fail from outside (timeout sweeper, cancellation): stops the exchange first. */
  abort(category: FailureCategory, message: string, nowMs: number): void {
    if (this.finished) return;
    this.abortExchange?.();
    this.nowMs = nowMs;
    this.fail(category, message);
  }

  private fail(category: FailureCategory, message: string): void {
    if (this.finished) return;
    if (category !== "http" && category !== "connect") this.abortExchange?.();
    this.complete(false, category, message);
  }

  private complete(success: boolean, category?: FailureCategory, message = ""): void {
    // Once: a parser that throws on the last event fails the request inside onEnd, before its checks.
    if (this.finished) return;
    this.finished = true;
    const state = this.parser.state;
    // A copy, never a view: every record lives to the end of the run, and a surviving typed-array
    // view costs the collector far more than a small array of its own (bench/gc-cost.ts (b):
    // eden collection per 1024 requests 0.65–0.94 ms against 1.09–1.38 ms with views).
    const chunkAtMs = this.chunkAtMs.slice(0, this.chunks);
    // Finished (no message is stamped after this): the array serves the next request.
    giveStamps(this.chunkAtMs);
    const record: RequestRecord = {
      index: this.index,
      requestId: this.requestId,
      scheduledAtMs: this.scheduledAtMs,
      dispatchedAtMs: this.dispatchedAtMs,
      slotWaitMs: this.slotWaitMs,
      worker: this.worker,
      sentAtMs: this.sentAtMs,
      chunkAtMs,
      endAtMs: this.chunks > 0 ? chunkAtMs[this.chunks - 1]! : NaN,
      doneAtMs: this.nowMs,
      success,
      // vLLM's total_input_tokens counts the prompt lengths the client built; the server's count
      // (chat template included) is kept beside it, never in its place.
      inputTokens: this.prepared.inputTokens,
      outputTokens: state.outputTokens ?? 0,
      outputTokenSource: "server",
      requestedOutputTokens: this.prepared.requestedOutputTokens,
    };
    if (this.noTextChunks) record.noTextChunks = this.noTextChunks;
    if (this.resends > 0) {
      record.resent = this.resends;
      record.firstSentAtMs = this.firstSentAtMs;
    }
    if (state.promptTokens !== undefined) record.serverInputTokens = state.promptTokens;
    if (state.outputTokens === undefined) record.outputTokenSource = "tokenizer";
    if (state.finishReason !== undefined) record.finishReason = state.finishReason;
    if (state.textParts.length) record.generatedText = state.textParts.join("");
    if (category) {
      // The message often quotes the server (error events, bodies): no control sequences in any file or terminal.
      // The raw body stays in `error.body` (JSON-escaped in requests.jsonl).
      record.error = { category, message: sanitizeForTerminal(message) };
      if (category === "http") {
        record.error.status = this.status;
        record.error.body = this.errorBody();
      }
    }
    this.done(this, record);
  }
}
