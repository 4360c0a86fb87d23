/**
 * One HTTP exchange on one connection of the client (./http.ts): the bytes to
 * send, the response's framing, and the socket callbacks that feed it.
 */
import type { Socket } from "bun";
import { ResponseFraming, type ResponseHandler } from "../wire/http-response.ts";
import type { Origin } from "./http-origin.ts";
import { TRACING, traceRead } from "./stall-trace.ts";
import { noteRead } from "./read-stalls.ts";

/** Receives one response. All callbacks run synchronously inside the socket callback. */
export interface ResponseSink {
  /** Status line and headers arrived: the status and the Content-Type ("" when absent). */
  onHead(status: number, contentType: string, nowMs: number): void;
  /** A piece of the (de-chunked) body: `bytes[start, end)`, only valid during the call. */
  onBody(bytes: Uint8Array, start: number, end: number, nowMs: number): void;
  /** The response ended cleanly per HTTP framing (or by close for close-delimited bodies). */
  onEnd(nowMs: number): void;
  /** The exchange failed; `kind` tells connect errors from cut responses. */
  onFail(kind: "connect" | "truncated", message: string, nowMs: number): void;
  /**
   * The request is being sent once more, on a new connection: the kept-alive
   * one it went out on closed before any byte of a response. Called just
   * before the new connection is opened, at most once per send.
   */
  onResend?(nowMs: number): void;
}

/** What a connection's callbacks report to the client that owns it. */
export interface ConnOwner {
  feed(socket: Conn, ex: Exchange, data: Uint8Array, now: number): void;
  closed(socket: Conn, error?: Error): void;
  unpool(socket: Conn): void;
}

/** One request/response on one connection: the bytes to send and the response's framing. */
export class Exchange implements ResponseHandler {
  socket: Conn | null = null;
  aborted = false;
  written = 0;
  /** The clock of the read being parsed (performance.now()), passed to the sink with what it carries. */
  nowMs = 0;
  readonly framing = new ResponseFraming(this);
  constructor(
    readonly sink: ResponseSink,
    readonly payload: Uint8Array,
    public retryable: boolean,
  ) {}

  onHead(status: number, contentType: string): void {
    this.sink.onHead(status, contentType, this.nowMs);
  }

  onBody(bytes: Uint8Array, start: number, end: number): void {
    this.sink.onBody(bytes, start, end, this.nowMs);
  }

  /** Stop this exchange without any further sink callback (the caller records why). */
  abort(): void {
    this.aborted = true;
    this.framing.stop();
    const socket = this.socket;
    if (socket && socket.data.exchange === this) {
      socket.data.exchange = null;
      socket.terminate();
    }
  }
}

export interface ConnState {
  exchange: Exchange | null;
  origin: Origin;
  /** The client whose pool holds it. */
  owner: ConnOwner;
  idle: boolean;
  /** performance.now() when it went back to the pool. */
  idleSinceMs: number;
  /** The idle limit the server announced on its last response (Infinity: none). */
  keepAliveTimeoutMs: number;
  /** Why the TLS handshake failed (an untrusted certificate): the close that follows carries no error of its own. */
  tlsError?: Error;
}

export type Conn = Socket<ConnState>;

export const socketHandlers = {
  open(_socket: Conn) {},
  data(socket: Conn, data: Uint8Array) {
    const ex = socket.data.exchange;
    if (!ex) {
      // Bytes on an idle connection: the server misbehaves; drop the connection.
      socket.end();
      return;
    }
    const now = performance.now();
    socket.data.owner.feed(socket, ex, data, now);
    const end = performance.now();
    noteRead(end - now);
    if (TRACING) traceRead(now, end, data.byteLength);
  },
  drain(socket: Conn) {
    const ex = socket.data.exchange;
    if (ex && ex.written < ex.payload.byteLength) writeRest(socket, ex);
  },
  close(socket: Conn, error?: Error) {
    socket.data.owner.closed(socket, error);
  },
  error(socket: Conn, error: Error) {
    socket.data.owner.closed(socket, error);
  },
  end(socket: Conn) {
    // The server is closing: an idle connection must leave the pool now, not when the close arrives.
    socket.data.owner.unpool(socket);
    socket.end();
  },
  connectError(socket: Conn, error: Error) {
    socket.data.owner.closed(socket, error);
  },
  handshake(socket: Conn, success: boolean, authorizationError: Error | null) {
    // A certificate the runtime does not trust fails the handshake, and Bun then closes the socket.
    if (!success) socket.data.tlsError = authorizationError ?? new Error("TLS handshake failed");
  },
};

export function writeRest(socket: Conn, ex: Exchange): void {
  const n = socket.write(ex.written === 0 ? ex.payload : ex.payload.subarray(ex.written));
  if (n > 0) ex.written += n;
}
