/**
 * bench/floor-client.c's closed loop in Bun (raw `Bun.connect` sockets, one
 * thread, no parsing beyond counting token events and finding the chunked
 * terminator, stamps in preallocated arrays): the runtime's floor, between
 * the machine's (the C client) and vbench's. Its CPU and event-loop stall
 * probe come from vbench's own monitor (src/engine/client-monitor.ts). Same
 * arguments and output (with RATE, a setTimeout at the next due time):
 *
 *   bun bench/floor-client.ts PORT STREAMS PROMPTS BODY OUT.jsonl [RATE]
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Socket } from "bun";
import { startClientMonitor, type ClientMonitor } from "../src/engine/client-monitor.ts";

const [port, streams, prompts] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const body = readFileSync(process.argv[5]!);
const outPath = process.argv[6]!;
/** Between due times with RATE (steady arrivals); 0: every request due at once. */
const intervalMs = process.argv[7] ? 1000 / Number(process.argv[7]) : 0;
const MAX_STAMPS = 1024;
const sentMs = new Float64Array(prompts);
const stampMs = new Float64Array(prompts * MAX_STAMPS);
const stampCount = new Int32Array(prompts);
const TEXT = Buffer.from('"text":');
const TERMINATOR = Buffer.from("\r\n0\r\n\r\n");
let t0 = 0;

interface Conn {
  request: number; // in flight, -1 warm-up
  tail: Buffer; // the last bytes read, for a terminator split across reads
}

function send(socket: Socket<Conn>, index: number): void {
  const head = `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nx-request-id: ${index < 0 ? "floor-warm" : "floor"}-${index}\r\nContent-Length: ${body.length}\r\n\r\n`;
  socket.data.request = index;
  socket.data.tail = Buffer.alloc(0);
  if (index >= 0) sentMs[index] = performance.now() - t0;
  socket.write(Buffer.concat([Buffer.from(head), body]));
}

let next = 0;
let finished = 0;
let warming = streams;
const done = Promise.withResolvers<void>();
const sockets: Socket<Conn>[] = [];

const idle: Socket<Conn>[] = [];
let releaseTimer: Timer | null = null;

/** Sends every request due while a connection is idle, then waits for the next due time. */
function releaseDue(): void {
  if (releaseTimer) clearTimeout(releaseTimer);
  releaseTimer = null;
  const now = performance.now();
  while (next < prompts && idle.length > 0 && t0 + next * intervalMs <= now) send(idle.pop()!, next++);
  if (next < prompts && idle.length > 0) releaseTimer = setTimeout(releaseDue, t0 + next * intervalMs - now);
}

let monitor: ClientMonitor | null = null;

function start(): void {
  monitor = startClientMonitor();
  t0 = performance.now();
  if (intervalMs > 0) {
    idle.push(...sockets.toReversed());
    return releaseDue();
  }
  for (const s of sockets) if (next < prompts) send(s, next++);
}

for (let i = 0; i < streams; i++) {
  const socket = await Bun.connect<Conn>({
    hostname: "127.0.0.1",
    port,
    data: { request: -1, tail: Buffer.alloc(0) },
    socket: {
      data(s, bytes) {
        const at = performance.now() - t0;
        const r = s.data.request;
        if (r >= 0) for (let k = bytes.indexOf(TEXT); k >= 0 && stampCount[r]! < MAX_STAMPS; k = bytes.indexOf(TEXT, k + 7)) stampMs[r * MAX_STAMPS + stampCount[r]!++] = at;
        const last = bytes.length >= 7 ? bytes.subarray(bytes.length - 7) : Buffer.concat([s.data.tail, bytes]).subarray(-7);
        s.data.tail = Buffer.from(last);
        if (!last.equals(TERMINATOR)) return;
        if (r < 0) {
          if (--warming === 0) start();
          return;
        }
        if (++finished === prompts) done.resolve();
        else if (intervalMs > 0) {
          idle.push(s);
          releaseDue();
        } else if (next < prompts) send(s, next++);
      },
      error(_s, e) {
        console.error(`floor-client: ${e.message}`);
        process.exit(1);
      },
    },
  });
  socket.setNoDelay(true);
  sockets.push(socket);
}
for (const s of sockets) send(s, -1);
await done.promise;
const { eventLoopLagMs, clientCpuS } = monitor!.stop();
const epochT0 = Date.now() - performance.now() + t0;
const lines: string[] = [];
for (let r = 0; r < prompts; r++) {
  const chunks = Array.from(stampMs.subarray(r * MAX_STAMPS, r * MAX_STAMPS + stampCount[r]!));
  lines.push(JSON.stringify({ request_id: `floor-${r}`, success: true, sent_ms: sentMs[r], sent_epoch_ms: epochT0 + sentMs[r]!, chunk_ms: chunks }));
}
writeFileSync(outPath, lines.join("\n") + "\n");
console.log(JSON.stringify({ cpu_s: clientCpuS, involuntary_switches: NaN, probe_late_ms: Array.from(eventLoopLagMs) }));
for (const s of sockets) s.end();
process.exit(0);
