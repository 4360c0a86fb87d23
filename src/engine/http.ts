/**
 * A minimal HTTP/1.1 client on raw sockets (Bun.connect), built for one job:
 * streaming responses from thousands of concurrent requests with exact
 * arrival times and no hidden limits.
 *
 * Why not fetch: Bun's fetch queues requests beyond 256 in flight unless an
 * environment variable is set before the process starts
 * (BUN_CONFIG_MAX_HTTP_REQUESTS, measured: setting it at run time has no
 * effect), and each body read costs a promise. Here a socket's data callback
 * hands bytes straight to the stream parser, the arrival clock is read once
 * per read, and HTTP framing tells a clean end from a cut stream exactly.
 *
 * Connections are kept alive and reused per origin, like vLLM's aiohttp
 * client. A server that announces its idle limit (`Keep-Alive: timeout=N`,
 * e.g. llama-server's 5 s) closes connections idle that long: one idle past
 * N − margin is not reused but closed, and one whose server has ended it is
 * dropped from the pool at once, so neither meets a request. A request whose
 * reused connection still closes before a single byte of the response (the
 * server closed it as the request went out) is sent once more on a fresh
 * connection, and the sink is told (`onResend`), so the re-send is on the
 * record, never silent; a second such close fails the request as `connect`.
 *
 * The response framing is a pure parser (./http-response.ts); this file owns
 * the sockets, the pool and the clock.
 */
import type { Socket } from "bun";
import { Framed, ResponseFraming, type ResponseHandler } from "../wire/http-response.ts";

export { keepAliveTimeoutMs } from "../wire/http-response.ts";

/** Receives one response. All callbacks run synchronously inside the socket callback. */
export interface ResponseSink {
  /** Status line and headers arrived (header names lower-cased). */
  onHead(status: number, headers: Map<string, string>, nowMs: number): void;
  /** A piece of the (de-chunked) body. `bytes` is only valid during the call. */
  onBody(bytes: Uint8Array, nowMs: number): void;
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

export interface Origin {
  hostname: string;
  port: number;
  tls: boolean;
  /** `host:port` for the Host header and pool key. */
  authority: string;
}

export function parseOrigin(baseUrl: string): Origin {
  const url = new URL(baseUrl);
  const tls = url.protocol === "https:";
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { hostname, port, tls, authority: url.host };
}

/** Serialise a request once, before the clock starts. */
export function encodeRequest(origin: Origin, method: string, path: string, headers: Record<string, string>, body: string | null): Uint8Array {
  const bodyBytes = body === null ? null : new TextEncoder().encode(body);
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${origin.authority}\r\nConnection: keep-alive\r\nAccept: */*\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  if (bodyBytes) head += `Content-Length: ${bodyBytes.byteLength}\r\n`;
  head += "\r\n";
  const headBytes = new TextEncoder().encode(head);
  if (!bodyBytes) return headBytes;
  const out = new Uint8Array(headBytes.byteLength + bodyBytes.byteLength);
  out.set(headBytes, 0);
  out.set(bodyBytes, headBytes.byteLength);
  return out;
}

/** One request/response on one connection: the bytes to send and the response's framing. */
class Exchange implements ResponseHandler {
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

  onHead(status: number, headers: Map<string, string>): void {
    this.sink.onHead(status, headers, this.nowMs);
  }

  onBody(bytes: Uint8Array): void {
    this.sink.onBody(bytes, this.nowMs);
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

interface ConnState {
  exchange: Exchange | null;
  origin: Origin;
  client: HttpClient;
  idle: boolean;
  /** performance.now() when it went back to the pool. */
  idleSinceMs: number;
  /** The idle limit the server announced on its last response (Infinity: none). */
  keepAliveTimeoutMs: number;
  /** Why the TLS handshake failed (an untrusted certificate): the close that follows carries no error of its own. */
  tlsError?: Error;
}

/** What the pool did, for the run's log and the tests. */
export interface HttpClientStats {
  /** Connections opened. */
  opened: number;
  /** Requests sent on a kept-alive connection. */
  reused: number;
  /** Idle connections closed unused: idle past the server's Keep-Alive timeout minus the margin, or ended by the server. */
  expired: number;
  /** Requests re-sent on a fresh connection because the reused one closed before any response. */
  resent: number;
}

/**
 * How long before the server's announced idle limit a connection stops being
 * reused: the request must reach the server before it closes the connection,
 * and the two clocks start at slightly different moments (1 s of a 5 s limit;
 * a quarter of shorter ones).
 */
export function keepAliveMarginMs(timeoutMs: number): number {
  return Math.min(1000, timeoutMs / 4);
}

type Conn = Socket<ConnState>;

const socketHandlers = {
  open(_socket: Conn) {},
  data(socket: Conn, data: Uint8Array) {
    const ex = socket.data.exchange;
    if (!ex) {
      // Bytes on an idle connection: the server misbehaves; drop the connection.
      socket.end();
      return;
    }
    socket.data.client.feed(socket, ex, data, performance.now());
  },
  drain(socket: Conn) {
    const ex = socket.data.exchange;
    if (ex && ex.written < ex.payload.byteLength) writeRest(socket, ex);
  },
  close(socket: Conn, error?: Error) {
    socket.data.client.closed(socket, error);
  },
  error(socket: Conn, error: Error) {
    socket.data.client.closed(socket, error);
  },
  end(socket: Conn) {
    // The server is closing: an idle connection must leave the pool now, not when the close arrives.
    socket.data.client.unpool(socket);
    socket.end();
  },
  connectError(socket: Conn, error: Error) {
    socket.data.client.closed(socket, error);
  },
  handshake(socket: Conn, success: boolean, authorizationError: Error | null) {
    // A certificate the runtime does not trust fails the handshake, and Bun then closes the socket.
    if (!success) socket.data.tlsError = authorizationError ?? new Error("TLS handshake failed");
  },
};

function writeRest(socket: Conn, ex: Exchange): void {
  const n = socket.write(ex.payload.subarray(ex.written));
  if (n > 0) ex.written += n;
}

export class HttpClient {
  private readonly idle = new Map<string, Conn[]>();
  private readonly open = new Set<Conn>();
  readonly stats: HttpClientStats = { opened: 0, reused: 0, expired: 0, resent: 0 };

  /**
   * Send a pre-encoded request and stream the response into `sink`.
   * Never throws; every outcome arrives through the sink exactly once
   * (onEnd or onFail), except when the exchange is aborted by the caller.
   */
  send(origin: Origin, payload: Uint8Array, sink: ResponseSink): { abort(): void } {
    const ex = new Exchange(sink, payload, false);
    const reused = this.takeIdle(origin.authority, performance.now());
    if (reused) {
      ex.retryable = true;
      this.stats.reused++;
      this.start(reused, ex);
    } else void this.connect(origin, ex);
    return ex;
  }

  /** The most recently used idle connection still inside its server's keep-alive limit; the others found are closed. */
  private takeIdle(authority: string, now: number): Conn | undefined {
    const pool = this.idle.get(authority);
    if (!pool) return undefined;
    for (let socket = pool.pop(); socket; socket = pool.pop()) {
      const state = socket.data;
      state.idle = false;
      const limit = state.keepAliveTimeoutMs;
      if (now - state.idleSinceMs < limit - keepAliveMarginMs(limit)) return socket;
      // The server may close it any moment now: a request sent on it could meet the close.
      this.stats.expired++;
      socket.end();
    }
    return undefined;
  }

  /** Take a connection out of the idle pool (the server ended it). */
  unpool(socket: Conn): void {
    const state = socket.data;
    if (!state.idle) return;
    state.idle = false;
    this.stats.expired++;
    const pool = this.idle.get(state.origin.authority);
    const at = pool ? pool.indexOf(socket) : -1;
    if (pool && at >= 0) pool.splice(at, 1);
  }

  private start(socket: Conn, ex: Exchange): void {
    ex.socket = socket;
    socket.data.exchange = ex;
    writeRest(socket, ex);
  }

  private async connect(origin: Origin, ex: Exchange): Promise<void> {
    const state: ConnState = { exchange: ex, origin, client: this, idle: false, idleSinceMs: NaN, keepAliveTimeoutMs: Infinity };
    this.stats.opened++;
    try {
      const socket = await Bun.connect<ConnState>({
        hostname: origin.hostname,
        port: origin.port,
        tls: origin.tls,
        data: state,
        socket: socketHandlers,
      });
      this.open.add(socket);
      if (ex.aborted) {
        state.exchange = null;
        socket.terminate();
        return;
      }
      socket.setNoDelay(true);
      // The exchange may have been failed by connectError already.
      if (state.exchange === ex) this.start(socket, ex);
    } catch (error) {
      if (state.exchange === ex && !ex.aborted) {
        state.exchange = null;
        ex.sink.onFail("connect", connectMessage(origin, error), performance.now());
      }
    }
  }

  /** Called by the socket handlers when a connection closes or errors. */
  closed(socket: Conn, error?: Error): void {
    this.open.delete(socket);
    const state = socket.data;
    if (state.idle) {
      state.idle = false;
      const pool = this.idle.get(state.origin.authority);
      const at = pool ? pool.indexOf(socket) : -1;
      if (pool && at >= 0) pool.splice(at, 1);
    }
    const ex = state.exchange;
    if (!ex) return;
    state.exchange = null;
    const now = performance.now();
    if (ex.framing.close()) {
      ex.sink.onEnd(now);
      return;
    }
    if (!ex.framing.started && ex.retryable) {
      // A kept-alive connection the server closed as the request went out: most likely it never saw it.
      ex.retryable = false;
      this.stats.resent++;
      ex.written = 0;
      ex.socket = null;
      ex.sink.onResend?.(now);
      void this.connect(state.origin, ex);
      return;
    }
    if (state.tlsError) {
      ex.sink.onFail("connect", tlsMessage(state.origin, state.tlsError), now);
      return;
    }
    if (!ex.framing.started) {
      // Still `connect` (no response at all), but a request that went out to a dying server was not refused: say so.
      const message =
        ex.written > 0
          ? `connection to ${originText(state.origin)} closed before any response${error ? ` (${errorCode(error)})` : ""}`
          : connectMessage(state.origin, error ?? new Error("connection closed before any response"));
      ex.sink.onFail("connect", message, now);
      return;
    }
    const why = error ? `: ${error.message}` : "";
    ex.sink.onFail("truncated", `connection closed before the response ended${why}`, now);
  }

  /** One read of `socket`: the framing hands body bytes to the sink; a complete or malformed response ends the exchange. */
  feed(socket: Conn, ex: Exchange, data: Uint8Array, now: number): void {
    ex.nowMs = now;
    const framed = ex.framing.push(data);
    if (framed === Framed.Complete) this.finish(socket, ex, now);
    else if (framed === Framed.Malformed) this.fail(socket, ex, ex.framing.error, now);
  }

  private finish(socket: Conn, ex: Exchange, now: number): void {
    socket.data.exchange = null;
    // Back to the pool first: onEnd may send the next request at once (a closed
    // loop), and it must reuse this connection rather than open a new one.
    this.release(socket, ex.framing.keepAlive, ex.framing.keepAliveTimeoutMs, now);
    ex.sink.onEnd(now);
  }

  private fail(socket: Conn, ex: Exchange, message: string, now: number): void {
    socket.data.exchange = null;
    socket.terminate();
    ex.sink.onFail("truncated", message, now);
  }

  private release(socket: Conn, keepAlive: boolean, keepAliveTimeoutMs: number, now: number): void {
    if (!keepAlive) {
      socket.end();
      return;
    }
    const key = socket.data.origin.authority;
    let pool = this.idle.get(key);
    if (!pool) this.idle.set(key, (pool = []));
    socket.data.idle = true;
    socket.data.idleSinceMs = now;
    socket.data.keepAliveTimeoutMs = keepAliveTimeoutMs;
    pool.push(socket);
  }

  /** Close every connection (end of run). */
  closeAll(): void {
    for (const socket of this.open) {
      socket.data.exchange = null;
      socket.terminate();
    }
    this.open.clear();
    this.idle.clear();
  }
}

function originText(origin: Origin): string {
  return `${origin.tls ? "https" : "http"}://${origin.authority}`;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: string })?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

function connectMessage(origin: Origin, error: unknown): string {
  return `cannot connect to ${originText(origin)}: ${errorCode(error)}`;
}

/** A failed TLS handshake, with what to do: the runtime trusts the system's CAs plus NODE_EXTRA_CA_CERTS. */
function tlsMessage(origin: Origin, error: Error): string {
  const code = (error as { code?: string }).code;
  const what = code && code !== error.message ? `${error.message} (${code})` : error.message;
  return `cannot connect to ${originText(origin)}: TLS handshake failed: ${what}; a private CA or self-signed certificate is trusted with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
}
