/**
 * HTTP/1.1 response framing (RFC 9112) as a pure state machine: bytes in,
 * status and headers, body bytes and the end of the response out. No socket,
 * no clock: the caller stamps the time of each read and owns the connection,
 * so every byte split can be tested without a network (test/wire/http-response.test.ts).
 *
 * Hot path: per chunk of a streaming body, the read and the chunk's offsets
 * go to the handler, no view (0.6–1 µs a read); the chunk-size line is read
 * byte by byte (no string, no regular expression), so a size line split
 * across reads carries no text between them either.
 */

import { findHeadEnd, HeadField, keepAliveTimeoutMs, readHeadFields, statusOf } from "./http-head.ts";

/** Receives one response. Callbacks run synchronously inside {@link ResponseFraming.push}. */
export interface ResponseHandler {
  /** Status line and Content-Type ("" when absent) of the final (non-1xx) response. */
  onHead(status: number, contentType: string): void;
  /** A piece of the de-chunked body: `bytes[start, end)`, only valid during the call. */
  onBody(bytes: Uint8Array, start: number, end: number): void;
}

/**
 * What a push left the response as: More bytes needed (or a body that runs
 * until the close); Complete per its framing (later bytes of the read are not
 * part of it); Malformed, not an HTTP/1.1 response (`error` says why).
 */
export const Framed = { More: 0, Complete: 1, Malformed: 2 } as const;
export type Framed = (typeof Framed)[keyof typeof Framed];

const enum Phase {
  Head,
  SizeStart, // a chunk-size line before its first hex digit
  SizeDigits, // hex digits of the size
  SizeBlank, // blanks after them
  SizeExtension, // `;name=value` up to the line's end
  SizeCr, // the line's CR: only LF may follow
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Fixed,
  UntilClose,
  Done,
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
const SEMICOLON = 59;
const MAX_HEAD_BYTES = 64 * 1024;
/** Chunk sizes beyond this (2^48 bytes) are not believed: the digits would overflow exact integers. */
const MAX_CHUNK_BYTES = 2 ** 48;

/** One response's framing state. Make a new one per response. */
export class ResponseFraming {
  private phase = Phase.Head;
  private headBuf: Uint8Array | null = null;
  /** Bytes left in the current chunk or fixed-length body; the size being read in a size line. */
  private remaining = 0;
  /** Trailer section: bytes in the current line, and whether the last of them was CR. */
  private lineBytes = 0;
  private lineEndsCr = false;
  /** True once any byte arrived: the server answered (a close before that is not a cut response). */
  started = false;
  /** Whether the connection may carry the next request (HTTP/1.1 default; `Connection: close`; close-delimited bodies). */
  keepAlive = true;
  /** The server's `Keep-Alive: timeout=N`, in ms (Infinity when not announced). */
  keepAliveTimeoutMs = Infinity;
  /** Why the response is malformed, after push returned Framed.Malformed. */
  error = "";
  /** What push answers once the phase is Done: Complete, Malformed, or More when stopped. */
  private result: Framed = Framed.More;

  constructor(private readonly handler: ResponseHandler) {}

  /** True when the response ended, failed or was stopped: later bytes are ignored. */
  get done(): boolean {
    return this.phase === Phase.Done;
  }

  /** No more callbacks (the caller gave up on the response); push then returns More and does nothing. */
  stop(): void {
    this.phase = Phase.Done;
    this.result = Framed.More;
  }

  /**
   * The connection closed. True when that is the clean end of the response
   * (a body delimited by the close); false when the response was cut.
   */
  close(): boolean {
    if (this.phase !== Phase.UntilClose) return false;
    this.phase = Phase.Done;
    this.result = Framed.Complete;
    return true;
  }

  /** One read's bytes. */
  push(data: Uint8Array): Framed {
    if (this.done) return this.result;
    this.started = true;
    const len = data.byteLength;
    let pos = 0;
    while (pos < len && !this.done) {
      switch (this.phase) {
        case Phase.Head:
          pos = this.readHead(data, pos);
          break;
        case Phase.Fixed:
          pos = this.passBody(data, pos);
          // `done` already: the handler stopped the response.
          if (this.remaining === 0 && !this.done) this.complete();
          break;
        case Phase.UntilClose:
          this.handler.onBody(data, pos, len);
          pos = len;
          break;
        case Phase.ChunkData:
          pos = this.passBody(data, pos);
          if (this.remaining === 0 && !this.done) this.phase = Phase.ChunkDataEnd;
          break;
        case Phase.ChunkDataEnd: {
          // The CRLF after a chunk's data (possibly split across reads).
          const byte = data[pos++];
          if (byte === LF) this.phase = Phase.SizeStart;
          else if (byte !== CR) return this.malformed("malformed chunked encoding: no line end after a chunk's data");
          break;
        }
        case Phase.Trailers:
          pos = this.readTrailers(data, pos);
          break;
        default:
          pos = this.readSizeLine(data, pos);
      }
    }
    return this.done ? this.result : Framed.More;
  }

  private complete(): void {
    this.phase = Phase.Done;
    this.result = Framed.Complete;
  }

  private malformed(message: string): Framed {
    this.phase = Phase.Done;
    this.error = message;
    this.result = Framed.Malformed;
    return Framed.Malformed;
  }

  /** Hand the handler up to `remaining` body bytes from `pos`; returns the new position. */
  private passBody(data: Uint8Array, pos: number): number {
    const take = Math.min(this.remaining, data.byteLength - pos);
    this.remaining -= take;
    this.handler.onBody(data, pos, pos + take);
    return pos + take;
  }

  /**
   * A chunk-size line (RFC 9112 §7.1): hex digits, optional blanks and
   * `;extensions`, CRLF (a bare LF is accepted). Byte by byte: no string is
   * built. `+3`, `-5`, `0x10` and an empty line are malformed.
   */
  private readSizeLine(data: Uint8Array, pos: number): number {
    const len = data.byteLength;
    while (pos < len) {
      const b = data[pos++]!;
      const phase = this.phase;
      if (phase === Phase.SizeCr) return b === LF ? this.sizeLineEnd(pos) : this.badSize(b, len);
      if (b === LF) return phase === Phase.SizeStart ? this.badSize(b, len) : this.sizeLineEnd(pos);
      if (phase === Phase.SizeExtension) {
        if (b === CR) this.phase = Phase.SizeCr;
        continue;
      }
      const digit = hexValue(b);
      if (digit >= 0 && phase !== Phase.SizeBlank) {
        if (this.remaining >= MAX_CHUNK_BYTES / 16) {
          this.malformed("malformed chunked encoding: chunk size too large");
          return len;
        }
        this.remaining = this.remaining * 16 + digit;
        this.phase = Phase.SizeDigits;
      } else if (phase === Phase.SizeStart) return this.badSize(b, len);
      else if (b === SPACE || b === TAB) this.phase = Phase.SizeBlank;
      else if (b === SEMICOLON) this.phase = Phase.SizeExtension;
      else if (b === CR) this.phase = Phase.SizeCr;
      else return this.badSize(b, len);
    }
    return pos;
  }

  private badSize(byte: number, len: number): number {
    const shown = byte === LF ? "a line end" : byte === CR ? "CR" : JSON.stringify(String.fromCharCode(byte));
    this.malformed(`malformed chunk size: ${shown} where a hex digit${this.phase === Phase.SizeStart ? "" : ", blank, ';' or CRLF"} was expected`);
    return len;
  }

  private sizeLineEnd(pos: number): number {
    if (this.remaining === 0) {
      this.phase = Phase.Trailers;
      this.lineBytes = 0;
      this.lineEndsCr = false;
    } else this.phase = Phase.ChunkData;
    return pos;
  }

  /** Trailer lines after the last chunk, up to the empty line that ends the response. */
  private readTrailers(data: Uint8Array, pos: number): number {
    const lf = data.indexOf(LF, pos);
    const end = lf < 0 ? data.byteLength : lf;
    if (end > pos) {
      this.lineBytes += end - pos;
      this.lineEndsCr = data[end - 1] === CR;
    }
    if (lf < 0) return end;
    if (this.lineBytes === 0 || (this.lineBytes === 1 && this.lineEndsCr)) this.complete();
    this.lineBytes = 0;
    this.lineEndsCr = false;
    return lf + 1;
  }

  /** The status line and headers, possibly over several reads; returns where the body starts. */
  private readHead(data: Uint8Array, pos: number): number {
    const held = this.headBuf;
    const buf = held ? Buffer.concat([held, data.subarray(pos)]) : data; // in place when in one read: no view
    const from = held ? 0 : pos;
    const end = findHeadEnd(buf, from, held ? Math.max(0, held.byteLength - 3) : pos);
    if (end < 0) {
      if (buf.byteLength - from > MAX_HEAD_BYTES) this.malformed("response headers larger than 64 KiB");
      else this.headBuf = buf.slice(from);
      return data.byteLength;
    }
    this.headBuf = null;
    if (!this.parseHead(buf, from, end)) this.malformed("malformed HTTP response head");
    return held ? pos + end - held.byteLength : end;
  }

  private parseHead(buf: Uint8Array, start: number, end: number): boolean {
    const status = statusOf(buf, start, end);
    if (status < 0) return false;
    const headers = readHeadFields(buf, start, end);
    const connection = headers[HeadField.Connection]?.toLowerCase() ?? "";
    this.keepAlive = buf[start + 7] === 49 /* HTTP/1.1 */ ? !connection.includes("close") : connection.includes("keep-alive");
    this.keepAliveTimeoutMs = keepAliveTimeoutMs(headers[HeadField.KeepAlive]);
    // An interim response (100 Continue): the real one follows.
    if (status >= 100 && status < 200) return true;
    this.handler.onHead(status, headers[HeadField.ContentType] ?? "");
    if (this.done) return true; // the handler stopped the response
    const transfer = headers[HeadField.TransferEncoding]?.toLowerCase() ?? "";
    const length = headers[HeadField.ContentLength];
    if (transfer.includes("chunked")) this.phase = Phase.SizeStart;
    else if (length !== undefined) {
      if (!/^\d+$/.test(length)) return false;
      this.remaining = Number(length);
      if (this.remaining === 0) this.complete();
      else this.phase = Phase.Fixed;
    } else if (status === 204 || status === 304) this.complete();
    else {
      this.phase = Phase.UntilClose;
      this.keepAlive = false;
    }
    return true;
  }
}

/** 0–15 for an ASCII hex digit, else -1. */
function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const lower = b | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}
