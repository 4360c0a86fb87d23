/**
 * Reading an HTTP/1.1 response head (./http-response.ts's helpers): where it
 * ends, its status, the server's keep-alive limit. Pure, no allocation but
 * the strings asked for.
 */

const CR = 13;
const LF = 10;

/** Node's and Bun's Latin-1 decoder of a byte range: no view, no copy. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** `Keep-Alive: timeout=5, max=100` → 5000; Infinity when absent or unreadable. */
export function keepAliveTimeoutMs(header: string | undefined): number {
  const m = header === undefined ? null : /(?:^|[\s,;])timeout\s*=\s*(\d+(?:\.\d+)?)/i.exec(header);
  return m ? Number(m[1]) * 1000 : Infinity;
}

/** The status of a head starting `HTTP/1.0 ` or `HTTP/1.1 ` and three digits; -1 for anything else. */
export function statusOf(text: string): number {
  if (!text.startsWith("HTTP/1.") || (text.charCodeAt(7) !== 48 && text.charCodeAt(7) !== 49) || text.charCodeAt(8) !== 32) return -1;
  let status = 0;
  for (let k = 9; k < 12; k++) {
    const digit = text.charCodeAt(k) - 48;
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
