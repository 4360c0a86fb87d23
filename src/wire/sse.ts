/**
 * Server-sent events framing: response body bytes in, one callback per event
 * with its `data` out (WHATWG "event stream interpretation", reduced to the
 * `data` field, which is all a benchmark needs).
 *
 * Hot path: thousands of concurrent streams, ~100k events/s on one core. Each
 * push is decoded to a string once, straight from the range of the read it
 * came in (no view of it, no TextDecoder: measured on loopback reads of one
 * stream message, a view plus decode took 1.3–1.8 µs, decoding the range
 * 0.4–0.5 µs; a UTF-8 character split across reads is carried over by hand),
 * and scanned with indexOf; the only strings allocated are the payloads
 * themselves and the carried-over partial line. With a byte taker (a parser's
 * onPayloadBytes), whole single-line events are offered as bytes first and
 * one it takes is never decoded (docs/performance.md, stop 30).
 */

/** Offered a single-line event's payload as bytes before decoding; true when it took it (see ResponseParser.onPayloadBytes). */
export type SseBytesTaker = (bytes: Uint8Array, start: number, end: number) => boolean;

export interface SseFramer {
  /** Feed the next bytes of the (de-chunked) response body: `bytes[start, end)` (all of it by default). */
  push(bytes: Uint8Array, start?: number, end?: number): void;
  /**
   * The body ended. Dispatches a pending event that had data but no closing
   * blank line, and first processes a last line that had no line ending (as
   * vLLM's benchmark client does). With `{ truncated: true }` (the connection
   * was cut mid-body) that unterminated last line is a fragment and is
   * dropped instead, so a cut stream reads as truncated, not as malformed JSON.
   */
  end(options?: { truncated?: boolean }): void;
  /** Characters held back (partial line + data of the unfinished event): a guard against a server that never ends a line. */
  readonly bufferedBytes: number;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

/** The runtime's UTF-8 decoder of a byte range (Node's and Bun's Buffer method; invalid bytes become U+FFFD, as TextDecoder's). */
export const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }).utf8Slice;

/** Bytes at the end of `bytes[start, end)` that begin a UTF-8 character the range does not finish (0 to 3). */
export function incompleteUtf8Tail(bytes: Uint8Array, start: number, end: number): number {
  for (let k = 1; k <= 3 && end - k >= start; k++) {
    const b = bytes[end - k]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    if (b < 0xc2 || b > 0xf4) return 0; // ASCII, or a byte no character starts with: nothing to wait for
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return length > k ? k : 0;
  }
  return 0;
}

/**
 * The value of the line `buf[start, end)` when it is a `data` field (one
 * leading space stripped; a bare "data" line is the field with an empty
 * value, as the SSE spec says), or null for any other field or a comment.
 * Allocates only the value itself.
 */
function dataValue(buf: string, start: number, end: number): string | null {
  const first = buf.charCodeAt(start);
  // Fast reject: comments (':') and any field not starting with 'd'.
  if (first !== 100 /* d */ || end - start < 4 || !buf.startsWith("data", start)) return null;
  let valueStart = start + 4;
  if (valueStart < end) {
    if (buf.charCodeAt(valueStart) !== COLON) return null; // e.g. "dataX: ..." is another field
    valueStart++;
    if (valueStart < end && buf.charCodeAt(valueStart) === SPACE) valueStart++;
  }
  return valueStart === end ? "" : buf.slice(valueStart, end);
}

/** UTF-8 decoding of successive byte ranges of one stream, as a streaming TextDecoder (a leading BOM dropped). */
export class Utf8Ranges {
  /** The start of a character split across reads (0–3 bytes), decoded with the next read's bytes. */
  private carry: Uint8Array | null = null;
  /** Nothing decoded yet: a leading byte-order mark is dropped, as the SSE spec asks. */
  private first = true;

  /**
   * Whether the bytes from `start` on may be skipped without decoding: no
   * character is carried over, and the stream's first bytes are not a
   * byte-order mark (a range that starts with 0xEF, a BOM's first byte, at
   * the stream's start is left to decode).
   */
  mayPass(bytes: Uint8Array, start: number): boolean {
    if (this.carry !== null) return false;
    if (this.first) {
      if (bytes[start] === 0xef) return false;
      this.first = false;
    }
    return true;
  }

  /** Decode `bytes[start, end)` after any carried bytes, keeping an unfinished character for the next call. */
  decode(bytes: Uint8Array, start: number, end: number): string {
    if (this.carry !== null) {
      const joined = new Uint8Array(this.carry.byteLength + end - start);
      joined.set(this.carry);
      joined.set(bytes.subarray(start, end), this.carry.byteLength);
      this.carry = null;
      return this.decode(joined, 0, joined.byteLength);
    }
    const split = incompleteUtf8Tail(bytes, start, end);
    if (split > 0) this.carry = bytes.slice(end - split, end);
    let text = utf8Slice.call(bytes, start, end - split);
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    return text;
  }

  /** The stream ended: an unfinished character is invalid, U+FFFD (as a TextDecoder's flush gives). */
  flush(): string {
    const rest = this.carry;
    this.carry = null;
    return rest === null ? "" : utf8Slice.call(rest, 0, rest.byteLength);
  }
}

/** The framer behind createSseFramer: one object per response, its state in fields (no closures to allocate). */
class EventStreamFramer implements SseFramer {
  private readonly utf8 = new Utf8Ranges();
  /** Text after the last line terminator seen; never contains CR or LF. */
  private pending = "";
  /** Data of the event being assembled; null until its first data field. */
  private data: string | null = null;
  /** The previous chunk ended with CR: an LF opening the next one belongs to it. */
  private skipLf = false;

  constructor(
    private readonly onData: (payload: string) => void,
    private readonly takeBytes: SseBytesTaker | null,
  ) {}

  push(bytes: Uint8Array, start = 0, end = bytes.byteLength): void {
    if (this.takeBytes !== null && start < end && this.pending.length === 0 && this.data === null && !this.skipLf && this.utf8.mayPass(bytes, start)) {
      start = this.offerEvents(bytes, start, end, this.takeBytes);
      if (start === end) return;
    }
    this.feed(this.utf8.decode(bytes, start, end));
  }

  /**
   * The whole events `data:[ ]PAYLOAD\n\n` at the front of the range, offered
   * to the taker as bytes (one it declines is decoded alone); returns where
   * the rest (decoded as usual) starts.
   * A read with a CR in it is left to the decoder: CR ends lines too.
   */
  private offerEvents(bytes: Uint8Array, start: number, end: number, take: SseBytesTaker): number {
    const cr = bytes.indexOf(CR, start);
    if (cr >= 0 && cr < end) return start;
    let pos = start;
    while (end - pos > 7 && bytes[pos] === 100 && bytes[pos + 1] === 97 && bytes[pos + 2] === 116 && bytes[pos + 3] === 97 && bytes[pos + 4] === COLON) {
      const from = bytes[pos + 5] === SPACE ? pos + 6 : pos + 5;
      const lf = bytes.indexOf(LF, from);
      if (lf < 0 || lf + 1 >= end || bytes[lf + 1] !== LF) break;
      // Declined: this one event is decoded and dispatched as usual, which leaves the framer as clean as before.
      if (!take(bytes, from, lf)) this.feed(this.utf8.decode(bytes, pos, lf + 2));
      pos = lf + 2;
    }
    return pos;
  }

  end(options?: { truncated?: boolean }): void {
    this.feed(this.utf8.flush());
    if (options?.truncated === true) this.pending = "";
    else if (this.pending.length > 0) {
      const last = this.pending;
      this.pending = "";
      this.line(last, 0, last.length);
    }
    this.skipLf = false;
    this.dispatch();
  }

  get bufferedBytes(): number {
    return this.pending.length + (this.data === null ? 0 : this.data.length);
  }

  private dispatch(): void {
    if (this.data === null) return;
    const payload = this.data;
    this.data = null; // before the callback: the event is consumed whatever it does
    this.onData(payload);
  }

  private line(buf: string, start: number, end: number): void {
    if (start === end) return this.dispatch();
    const value = dataValue(buf, start, end);
    if (value !== null) this.data = this.data === null ? value : this.data + "\n" + value;
  }

  /** Scan `buf` from `from` for complete lines; keep the rest in `pending`. */
  private scan(buf: string, from: number): void {
    const len = buf.length;
    let pos = 0;
    if (this.skipLf && len > 0) {
      this.skipLf = false;
      if (buf.charCodeAt(0) === LF) pos = 1;
    }
    // Positions of the next LF / CR at or after pos (-1: none left). Cached so
    // each character is looked at a bounded number of times.
    let nextLf = buf.indexOf("\n", Math.max(pos, from));
    let nextCr = buf.indexOf("\r", Math.max(pos, from));
    while (nextLf !== -1 || nextCr !== -1) {
      // The nearer terminator ends the line; a CR may be the first half of CRLF.
      const atCr = nextCr !== -1 && (nextLf === -1 || nextCr < nextLf);
      const end = atCr ? nextCr : nextLf;
      this.line(buf, pos, end);
      pos = end + 1;
      if (atCr) {
        if (pos === len) this.skipLf = true;
        else if (buf.charCodeAt(pos) === LF) pos++;
      }
      if (nextLf !== -1 && nextLf < pos) nextLf = buf.indexOf("\n", pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf("\r", pos);
    }
    this.pending = pos === 0 ? buf : pos >= len ? "" : buf.slice(pos);
  }

  private feed(text: string): void {
    if (text.length === 0) return;
    if (this.pending.length === 0) this.scan(text, 0);
    // `pending` holds no line terminator, so the search resumes after it.
    else this.scan(this.pending + text, this.pending.length);
  }
}

/**
 * Create a framer calling `onData` once per event with its data: several
 * `data:` lines of one event are joined with "\n"; one leading space after
 * `data:` is stripped. Comments, `event:`, `id:`, `retry:` and unknown fields
 * are ignored. Invalid UTF-8 becomes U+FFFD, never an exception.
 */
export function createSseFramer(onData: (payload: string) => void, takeBytes: SseBytesTaker | null = null): SseFramer {
  return new EventStreamFramer(onData, takeBytes);
}
