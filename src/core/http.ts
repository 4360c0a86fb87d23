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
 * client; a reused connection that the server had already closed is retried
 * once on a fresh one (only when not a byte of the response had arrived).
 * A server that announces its idle limit (`Keep-Alive: timeout=N`, e.g.
 * llama-server's 5 s) closes connections idle that long: one idle past
 * N − margin is not reused but closed, and one whose server has ended it is
 * dropped from the pool at once, so neither meets a request (and its re-send).
 */
import type { Socket } from "bun";

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

const enum Phase {
  Head,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Fixed,
  UntilClose,
  Done,
}

/** A chunk-size line (RFC 9112 §7.1): hex digits, optional whitespace and `;extensions`, the CR. */
const CHUNK_SIZE = /^[0-9a-fA-F]+[ \t]*(?:;[^\r]*)?\r?$/;
const CR = 13;
const LF = 10;
const MAX_HEAD_BYTES = 64 * 1024;

/** One request/response on one connection. Holds the HTTP framing state. */
class Exchange {
  socket: Conn | null = null;
  aborted = false;
  phase = Phase.Head;
  headBuf: Uint8Array | null = null;
  remaining = 0;
  sizeLine = "";
  nextPos = 0;
  keepAlive = true;
  /** The server's `Keep-Alive: timeout=N`, in ms (Infinity when not announced). */
  keepAliveTimeoutMs = Infinity;
  receivedAny = false;
  written = 0;
  constructor(
    readonly sink: ResponseSink,
    readonly payload: Uint8Array,
    public retryable: boolean,
  ) {}

  /** Stop this exchange without any further sink callback (the caller records why). */
  abort(): void {
    this.aborted = true;
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

/** `Keep-Alive: timeout=5, max=100` → 5000; Infinity when absent or unreadable. */
export function keepAliveTimeoutMs(header: string | undefined): number {
  const m = header === undefined ? null : /(?:^|[\s,;])timeout\s*=\s*(\d+(?:\.\d+)?)/i.exec(header);
  return m ? Number(m[1]) * 1000 : Infinity;
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
    if (ex.phase === Phase.UntilClose) {
      ex.phase = Phase.Done;
      ex.sink.onEnd(now);
      return;
    }
    if (!ex.receivedAny && ex.retryable) {
      // A kept-alive connection the server had closed: the request never reached it.
      ex.retryable = false;
      this.stats.resent++;
      ex.written = 0;
      ex.socket = null;
      void this.connect(state.origin, ex);
      return;
    }
    if (!ex.receivedAny) {
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

  /** Parse HTTP framing of `data` and hand body bytes to the sink. */
  feed(socket: Conn, ex: Exchange, data: Uint8Array, now: number): void {
    ex.receivedAny = true;
    let pos = 0;
    const len = data.byteLength;
    while (pos < len && ex.phase !== Phase.Done) {
      switch (ex.phase) {
        case Phase.Head: {
          const buf = ex.headBuf ? concat(ex.headBuf, data.subarray(pos)) : data.subarray(pos);
          const end = findHeadEnd(buf);
          if (end < 0) {
            if (buf.byteLength > MAX_HEAD_BYTES) return this.fail(socket, ex, "response headers larger than 64 KiB", now);
            ex.headBuf = buf.slice();
            return;
          }
          const consumedFromData = end - (ex.headBuf ? ex.headBuf.byteLength : 0);
          ex.headBuf = null;
          if (!this.parseHead(ex, buf.subarray(0, end), now)) return this.fail(socket, ex, "malformed HTTP response head", now);
          pos += consumedFromData;
          // A response without a body (Content-Length: 0, 204, 304) is complete with its head.
          if ((ex.phase as Phase) === Phase.Done) return this.finish(socket, ex, now);
          break;
        }
        case Phase.Fixed:
          pos = passBody(ex, data, pos, now);
          if (ex.remaining === 0) this.finish(socket, ex, now);
          break;
        case Phase.UntilClose:
          ex.sink.onBody(data.subarray(pos), now);
          pos = len;
          break;
        case Phase.ChunkSize: {
          const line = takeLine(ex, data, pos);
          pos = ex.nextPos;
          if (line === null) break;
          // parseInt alone would take "-5", "+3" and "0x10"; test() allocates nothing.
          if (!CHUNK_SIZE.test(line)) return this.fail(socket, ex, `malformed chunk size "${line.trim().slice(0, 40)}"`, now);
          const size = parseInt(line, 16); // stops at the extensions and the CR
          if (size === 0) ex.phase = Phase.Trailers;
          else {
            ex.remaining = size;
            ex.phase = Phase.ChunkData;
          }
          break;
        }
        case Phase.ChunkData:
          pos = passBody(ex, data, pos, now);
          if (ex.remaining === 0) ex.phase = Phase.ChunkDataEnd;
          break;
        case Phase.ChunkDataEnd: {
          // The CRLF after a chunk's data (possibly split across reads).
          const byte = data[pos++];
          if (byte === LF) ex.phase = Phase.ChunkSize;
          else if (byte !== CR) return this.fail(socket, ex, "malformed chunked encoding", now);
          break;
        }
        case Phase.Trailers: {
          const line = takeLine(ex, data, pos);
          pos = ex.nextPos;
          if (line === "" || line === "\r") this.finish(socket, ex, now);
          break;
        }
      }
    }
  }

  private parseHead(ex: Exchange, head: Uint8Array, now: number): boolean {
    const text = latin1(head, 0, head.byteLength);
    const lines = text.split("\r\n");
    const statusLine = lines[0] ?? "";
    const match = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
    if (!match) return false;
    const status = Number(match[2]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const connection = headers.get("connection")?.toLowerCase() ?? "";
    ex.keepAlive = match[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    ex.keepAliveTimeoutMs = keepAliveTimeoutMs(headers.get("keep-alive"));
    if (status >= 100 && status < 200) {
      // Interim response (100 Continue): wait for the real one.
      return true;
    }
    ex.sink.onHead(status, headers, now);
    const transfer = headers.get("transfer-encoding")?.toLowerCase() ?? "";
    const length = headers.get("content-length");
    if (transfer.includes("chunked")) ex.phase = Phase.ChunkSize;
    else if (length !== undefined) {
      ex.remaining = Number(length);
      if (!Number.isFinite(ex.remaining) || ex.remaining < 0) return false;
      ex.phase = Phase.Fixed;
      if (ex.remaining === 0) ex.phase = Phase.Done;
    } else if (status === 204 || status === 304) ex.phase = Phase.Done;
    else {
      ex.phase = Phase.UntilClose;
      ex.keepAlive = false;
    }
    return true;
  }

  private finish(socket: Conn, ex: Exchange, now: number): void {
    ex.phase = Phase.Done;
    socket.data.exchange = null;
    // Back to the pool first: onEnd may send the next request at once (a closed
    // loop), and it must reuse this connection rather than open a new one.
    this.release(socket, ex.keepAlive, ex.keepAliveTimeoutMs, now);
    ex.sink.onEnd(now);
  }

  private fail(socket: Conn, ex: Exchange, message: string, now: number): void {
    socket.data.exchange = null;
    ex.phase = Phase.Done;
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

/** Hand the sink up to `ex.remaining` body bytes from `pos` (a fixed-length body or one chunk); returns the new position. */
function passBody(ex: Exchange, data: Uint8Array, pos: number, now: number): number {
  const take = Math.min(ex.remaining, data.byteLength - pos);
  ex.sink.onBody(data.subarray(pos, pos + take), now);
  ex.remaining -= take;
  return pos + take;
}

/**
 * A line of the chunked framing (size line or trailer), possibly split across
 * reads: the part before a line feed is carried in `ex.sizeLine`. Returns
 * null until the line is complete; `ex.nextPos` is where parsing continues
 * (a field, not a returned object: this runs once per chunk).
 */
function takeLine(ex: Exchange, data: Uint8Array, pos: number): string | null {
  const lf = data.indexOf(LF, pos);
  if (lf < 0) {
    ex.sizeLine += latin1(data, pos, data.byteLength);
    ex.nextPos = data.byteLength;
    return null;
  }
  const text = ex.sizeLine + latin1(data, pos, lf);
  ex.sizeLine = "";
  ex.nextPos = lf + 1;
  return text;
}

function findHeadEnd(buf: Uint8Array): number {
  let i = buf.indexOf(LF);
  while (i >= 0) {
    if (i >= 3 && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
