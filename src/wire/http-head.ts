/**
 * Reading an HTTP/1.1 response head (./http-response.ts's helpers): where it
 * ends, its status, the few headers the client acts on, the server's
 * keep-alive limit. Pure, no allocation but the strings asked for.
 *
 * The head is read as bytes, and only the headers in HEAD_FIELDS become
 * strings: a Map of every header (each name sliced, trimmed, lower-cased)
 * took 1.4–2 µs of the ~4 µs a 120-byte head cost; the byte scan takes
 * 0.3 µs (a microbenchmark of the simulator's head).
 */

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;

/** The headers the client reads; HeadField names their indexes (keep the two in the same order). */
export const HEAD_FIELDS = ["content-type", "content-length", "transfer-encoding", "connection", "keep-alive"] as const;
export const enum HeadField {
  ContentType,
  ContentLength,
  TransferEncoding,
  Connection,
  KeepAlive,
}
/** Each header's value (the last one when repeated, trimmed), undefined when absent. */
export type HeadValues = (string | undefined)[];

const FIELD_BYTES = HEAD_FIELDS.map((name) => Uint8Array.from(name, (c) => c.charCodeAt(0)));

/** Which of HEAD_FIELDS `buf[from, to)` names, compared without case; -1 for any other. */
function fieldOf(buf: Uint8Array, from: number, to: number): number {
  const length = to - from;
  next: for (let k = 0; k < FIELD_BYTES.length; k++) {
    const name = FIELD_BYTES[k]!;
    if (name.length !== length) continue;
    // `| 0x20` lower-cases ASCII letters and leaves '-' and digits as they are; a CR never gets here.
    for (let j = 0; j < length; j++) if ((buf[from + j]! | 0x20) !== name[j]) continue next;
    return k;
  }
  return -1;
}

/**
 * The values of HEAD_FIELDS in the header lines of `buf[start, end)` (a head
 * from its status line to its blank line): each line up to its CRLF, the
 * name up to the first colon, the value without surrounding blanks. Lines
 * without a colon are skipped.
 */
export function readHeadFields(buf: Uint8Array, start: number, end: number): HeadValues {
  const values: HeadValues = [undefined, undefined, undefined, undefined, undefined];
  let from = lineEnd(buf, start, end) + 2; // past the status line
  while (from < end) {
    const to = lineEnd(buf, from, end);
    let colon = from;
    while (colon < to && buf[colon] !== COLON) colon++;
    if (colon > from && colon < to) {
      const k = fieldOf(buf, from, colon);
      if (k >= 0) {
        let valueStart = colon + 1;
        let valueEnd = to;
        while (valueStart < valueEnd && (buf[valueStart] === SPACE || buf[valueStart] === TAB)) valueStart++;
        while (valueEnd > valueStart && (buf[valueEnd - 1] === SPACE || buf[valueEnd - 1] === TAB)) valueEnd--;
        values[k] = latin1Slice.call(buf, valueStart, valueEnd);
      }
    }
    from = to + 2;
  }
  return values;
}

/** Index of the CR of the first CRLF at or after `from` (`end` when none before it). */
function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end - 1; i++) if (buf[i] === CR && buf[i + 1] === LF) return i;
  return end;
}

/** Node's and Bun's Latin-1 decoder of a byte range: no view, no copy. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** `Keep-Alive: timeout=5, max=100` → 5000; Infinity when absent or unreadable. */
export function keepAliveTimeoutMs(header: string | undefined): number {
  const m = header === undefined ? null : /(?:^|[\s,;])timeout\s*=\s*(\d+(?:\.\d+)?)/i.exec(header);
  return m ? Number(m[1]) * 1000 : Infinity;
}

const HTTP_1 = Uint8Array.from("HTTP/1.", (c) => c.charCodeAt(0));

/** The status of a head at `buf[start]` starting `HTTP/1.0 ` or `HTTP/1.1 ` and three digits; -1 for anything else. */
export function statusOf(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 12) return -1;
  for (let k = 0; k < HTTP_1.length; k++) if (buf[start + k] !== HTTP_1[k]) return -1;
  const minor = buf[start + 7];
  if ((minor !== 48 && minor !== 49) || buf[start + 8] !== SPACE) return -1;
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const digit = buf[start + k]! - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    status = status * 10 + digit;
  }
  return status;
}

/** Index just past the blank line (CRLF CRLF) that ends the head starting at `start`, searching from `from`; -1 when not there yet. */
export function findHeadEnd(buf: Uint8Array, start: number, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i >= 0) {
    if (i >= start + 3 && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}
