/**
 * Server-sent events framing: response body bytes in, one callback per event
 * with its `data` out (WHATWG "event stream interpretation", reduced to the
 * `data` field, which is all a benchmark needs).
 *
 * Hot path: thousands of concurrent streams, ~100k events/s on one core. Each
 * push is decoded to a string once (a streaming TextDecoder keeps a UTF-8
 * character split across reads) and scanned with indexOf; the only strings
 * allocated are the payloads themselves and the carried-over partial line.
 */

export interface SseFramer {
  /** Feed the next bytes of the (de-chunked) response body. */
  push(bytes: Uint8Array): void;
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
const COLON = 58;
const SPACE = 32;
const STREAM_OPTS = { stream: true }; // hoisted: no options object per push

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

/**
 * Create a framer calling `onData` once per event with its data: several
 * `data:` lines of one event are joined with "\n"; one leading space after
 * `data:` is stripped. Comments, `event:`, `id:`, `retry:` and unknown fields
 * are ignored. Invalid UTF-8 becomes U+FFFD, never an exception.
 */
export function createSseFramer(onData: (payload: string) => void): SseFramer {
  const decoder = new TextDecoder("utf-8"); // fatal: false, and strips a leading BOM as the SSE spec asks
  /** Text after the last line terminator seen; never contains CR or LF. */
  let pending = "";
  /** Data of the event being assembled; null until its first data field. */
  let data: string | null = null;
  /** The previous chunk ended with CR: an LF opening the next one belongs to it. */
  let skipLf = false;

  function dispatch(): void {
    if (data === null) return;
    const payload = data;
    data = null; // before the callback: the event is consumed whatever it does
    onData(payload);
  }

  function line(buf: string, start: number, end: number): void {
    if (start === end) return dispatch();
    const value = dataValue(buf, start, end);
    if (value !== null) data = data === null ? value : data + "\n" + value;
  }

  /** Scan `buf` from `from` for complete lines; keep the rest in `pending`. */
  function scan(buf: string, from: number): void {
    const len = buf.length;
    let pos = 0;
    if (skipLf && len > 0) {
      skipLf = false;
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
      line(buf, pos, end);
      pos = end + 1;
      if (atCr) {
        if (pos === len) skipLf = true;
        else if (buf.charCodeAt(pos) === LF) pos++;
      }
      if (nextLf !== -1 && nextLf < pos) nextLf = buf.indexOf("\n", pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf("\r", pos);
    }
    pending = pos === 0 ? buf : pos >= len ? "" : buf.slice(pos);
  }

  return {
    push(bytes: Uint8Array): void {
      const text = decoder.decode(bytes, STREAM_OPTS);
      if (text.length === 0) return;
      if (pending.length === 0) scan(text, 0);
      // `pending` holds no line terminator, so the search resumes after it.
      else scan(pending + text, pending.length);
    },
    end(options?: { truncated?: boolean }): void {
      const tail = decoder.decode();
      if (tail.length > 0) scan(pending.length === 0 ? tail : pending + tail, pending.length);
      if (options?.truncated === true) pending = "";
      else if (pending.length > 0) {
        const last = pending;
        pending = "";
        line(last, 0, last.length);
      }
      skipLf = false;
      dispatch();
    },
    get bufferedBytes(): number {
      return pending.length + (data === null ? 0 : data.length);
    },
  };
}
