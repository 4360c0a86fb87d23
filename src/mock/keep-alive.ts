/**
 * The simulator's keep-alive mode (`vbench mock --keep-alive-timeout-s N`),
 * modelled on llama-server: its responses carry `Keep-Alive: timeout=N`, and
 * a connection on which the client has sent nothing for N seconds since the
 * server's last byte is closed (llama-server waits that long for the next
 * request on a kept-alive connection, then closes it).
 *
 * Bun.serve's own idleTimeout ticks in 4-second steps (measured: idleTimeout 1
 * closed after 4.0 s), too coarse for a 1-second test, so a small TCP front
 * owns the client connections and relays each one to the HTTP server on a
 * loopback port, closing it on time. A response stream silent for N seconds
 * is closed too: keep TTFT and token gaps below N in this mode.
 */
import type { Socket, TCPSocketListener } from "bun";

export interface KeepAliveFront {
  port: number;
  stop(): void;
}

interface Relay {
  /** The connection to the HTTP server, once open; bytes from the client wait in `pending` until then. */
  inner: Socket<Relay> | null;
  client: Socket<Relay>;
  pending: Uint8Array[];
  /** Bytes each side has not taken yet (its socket buffer was full). */
  toClient: Uint8Array[];
  toInner: Uint8Array[];
  /** performance.now() of the server's last byte; NaN while a request is on its way (the client spoke last). */
  serverLastMs: number;
  closed: boolean;
}

/** Add `Keep-Alive: timeout=N` to a response of the HTTP server. */
export function withKeepAliveHeader(response: Response, timeoutS: number): Response {
  response.headers.set("keep-alive", `timeout=${timeoutS}`);
  return response;
}

/** Write `bytes` now, or queue what the socket did not take (behind anything already queued). */
function write(socket: Socket<Relay>, queue: Uint8Array[], bytes: Uint8Array): void {
  if (queue.length > 0) return void queue.push(bytes.slice());
  const n = socket.write(bytes);
  if (n < bytes.byteLength) queue.push(bytes.slice(Math.max(0, n)));
}

/** Write the queued bytes the socket now takes (on drain). */
function flush(socket: Socket<Relay>, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    const head = queue[0]!;
    const n = socket.write(head);
    if (n < head.byteLength) {
      queue[0] = head.slice(Math.max(0, n));
      return;
    }
    queue.shift();
  }
}

/** Open the relay's connection to the HTTP server; what the client sent meanwhile goes out on open. */
function connectInner(relay: Relay, innerPort: number, close: (relay: Relay) => void): void {
  Bun.connect<Relay>({
    hostname: "127.0.0.1",
    port: innerPort,
    data: relay,
    socket: {
      open(inner) {
        relay.inner = inner;
        for (const bytes of relay.pending) write(inner, relay.toInner, bytes);
        relay.pending = [];
      },
      data(_inner, bytes) {
        relay.serverLastMs = performance.now();
        write(relay.client, relay.toClient, bytes);
      },
      drain(inner) {
        flush(inner, relay.toInner);
      },
      close: () => close(relay),
      error: () => close(relay),
      connectError: () => close(relay),
    },
  }).catch(() => close(relay));
}

export function startKeepAliveFront(options: { host: string; port: number; innerPort: number; timeoutS: number }): KeepAliveFront {
  const timeoutMs = options.timeoutS * 1000;
  const relays = new Set<Relay>();

  const close = (relay: Relay): void => {
    if (relay.closed) return;
    relay.closed = true;
    relays.delete(relay);
    relay.client.end();
    relay.inner?.end();
  };

  const listener: TCPSocketListener<Relay> = Bun.listen<Relay>({
    hostname: options.host,
    port: options.port,
    socket: {
      open(client) {
        const relay: Relay = { inner: null, client, pending: [], toClient: [], toInner: [], serverLastMs: performance.now(), closed: false };
        client.data = relay;
        relays.add(relay);
        connectInner(relay, options.innerPort, close);
      },
      data(client, bytes) {
        const relay = client.data;
        relay.serverLastMs = NaN;
        if (relay.inner) write(relay.inner, relay.toInner, bytes);
        else relay.pending.push(bytes.slice());
      },
      drain(client) {
        flush(client, client.data.toClient);
      },
      close: (client) => close(client.data),
      error: (client) => close(client.data),
    },
  });

  // Checked often enough to close within a few per cent of the timeout, rarely enough to cost nothing.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const relay of relays) if (now - relay.serverLastMs >= timeoutMs) close(relay);
  }, Math.max(10, Math.min(100, timeoutMs / 20)));

  return {
    port: listener.port,
    stop() {
      clearInterval(sweep);
      for (const relay of [...relays]) {
        relay.closed = true;
        relay.client.terminate();
        relay.inner?.terminate();
      }
      relays.clear();
      listener.stop(true);
    },
  };
}
