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
 * The response framing is a pure parser (../wire/http-response.ts); this
 * file owns the pool and the clock, ./http-exchange.ts the socket callbacks.
 */
import { Framed } from "../wire/http-response.ts";
import { FileUseProbe } from "../base/open-files.ts";
import { connectMessage, errorCode, originText, tlsMessage, type Origin } from "./http-origin.ts";
import { Exchange, socketHandlers, writeRest, type Conn, type ConnOwner, type ConnState, type ResponseSink } from "./http-exchange.ts";

export { encodeRequest, parseOrigin, type Origin } from "./http-origin.ts";
export type { ResponseSink } from "./http-exchange.ts";

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

export class HttpClient implements ConnOwner {
  private readonly idle = new Map<string, Conn[]>();
  private readonly open = new Set<Conn>();
  readonly stats: HttpClientStats = { opened: 0, reused: 0, expired: 0, resent: 0 };
  /** Whether a failed connect met the open-file limit (Bun calls that ECONNREFUSED too). */
  private readonly files = new FileUseProbe();

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
    const state: ConnState = { exchange: ex, origin, owner: this, idle: false, idleSinceMs: NaN, keepAliveTimeoutMs: Infinity };
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
        const now = performance.now();
        ex.sink.onFail("connect", connectMessage(origin, error, this.files.nearLimit(now)), now);
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
          : connectMessage(state.origin, error ?? new Error("connection closed before any response"), this.files.nearLimit(now));
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
