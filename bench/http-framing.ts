/**
 * CPU of the HTTP response framing alone (src/engine/http.ts and its parser):
 * a chunked streaming response fed to the raw-socket client through a
 * stand-in socket into a sink that does nothing, so neither the SSE framer
 * nor a backend parser is in the figure. Cases: one chunk per read (a
 * token-by-token stream), 16 chunks per read (a backlogged socket), and every
 * chunk split inside its size line (two reads per chunk).
 *
 *   npx bun bench/http-framing.ts [--requests 20000] [--chunks 64]
 */
import { HttpClient, parseOrigin, type ResponseSink } from "../src/engine/http.ts";
import { benchArgs, machineLoad, report } from "./_lib.ts";

const encoder = new TextEncoder();
const origin = parseOrigin("http://127.0.0.1:8000");
const HEAD = encoder.encode("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nDate: Sat, 28 Nov 2026 00:10:43 GMT\r\nTransfer-Encoding: chunked\r\n\r\n");
const EVENT = 'data: {"id":"cmpl-0","object":"text_completion","created":1795824643,"model":"m","choices":[{"index":0,"text":" tok","finish_reason":null}]}\n\n';
const CHUNK = encoder.encode(`${encoder.encode(EVENT).byteLength.toString(16)}\r\n${EVENT}\r\n`);
const LAST = encoder.encode("0\r\n\r\n");

type Case = "one chunk per read" | "16 chunks per read" | "size line split";

function reads(kind: Case, chunks: number): Uint8Array[] {
  if (kind === "one chunk per read") return Array.from({ length: chunks }, () => CHUNK);
  if (kind === "16 chunks per read") {
    const out: Uint8Array[] = [];
    for (let k = 0; k < chunks; k += 16) {
      const n = Math.min(16, chunks - k);
      const joined = new Uint8Array(CHUNK.byteLength * n);
      for (let j = 0; j < n; j++) joined.set(CHUNK, j * CHUNK.byteLength);
      out.push(joined);
    }
    return out;
  }
  return Array.from({ length: chunks }, () => [CHUNK.subarray(0, 1), CHUNK.subarray(1)]).flat();
}

/** CPU seconds of `requests` responses of `chunks` chunks each. */
function measure(kind: Case, requests: number, chunks: number): number {
  const client = new HttpClient();
  const socket = { data: { exchange: null as unknown, origin, client, idle: true, idleSinceMs: 0, keepAliveTimeoutMs: Infinity }, write: (b: Uint8Array) => b.byteLength, end() {}, terminate() {}, setNoDelay() {} };
  (client as unknown as { idle: Map<string, unknown[]> }).idle.set(origin.authority, [socket]);
  let ended = 0;
  let bytes = 0;
  const sink: ResponseSink = { onHead() {}, onBody: (_b, start, end) => void (bytes += end - start), onEnd: () => void ended++, onFail: (_k, m) => { throw new Error(m); } };
  const payload = encoder.encode("GET / HTTP/1.1\r\n\r\n");
  const body = reads(kind, chunks);
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      client.send(origin, payload, sink);
      const ex = socket.data.exchange as never;
      client.feed(socket as never, ex, HEAD, 1);
      for (const read of body) client.feed(socket as never, ex, read, 2);
      client.feed(socket as never, ex, LAST, 3);
    }
  };
  run(Math.max(100, requests / 10)); // JIT
  ended = 0;
  const cpu0 = process.cpuUsage();
  run(requests);
  const cpu = process.cpuUsage(cpu0);
  if (ended !== requests || bytes === 0) throw new Error(`only ${ended} of ${requests} responses ended`);
  return (cpu.user + cpu.system) / 1e6;
}

if (import.meta.main) {
  const args = benchArgs();
  const requests = Number(args.get("requests") ?? 20000);
  const chunks = Number(args.get("chunks") ?? 64);
  const load = machineLoad();
  const lines = (["one chunk per read", "16 chunks per read", "size line split"] as Case[]).map((kind) => {
    const s = measure(kind, requests, chunks);
    return `${kind}: ${((s / (requests * chunks)) * 1e9).toFixed(0)} ns CPU per chunk (${requests} responses × ${chunks} chunks: ${s.toFixed(2)} s)`;
  });
  report("HTTP framing CPU without the network (raw client, chunked body, no-op sink)", lines, `npx bun bench/http-framing.ts --requests ${requests} --chunks ${chunks}`, load);
}
