/**
 * bench/floor-client.c's closed loop in Bun, one thread, stamps in
 * preallocated arrays. Its CPU and event-loop stall probe come from vbench's
 * own monitor (src/engine/client-monitor.ts). Same arguments and output (with
 * RATE, a setTimeout at the next due time):
 *
 *   bun bench/floor-client.ts PORT STREAMS PROMPTS BODY OUT.jsonl [RATE] [--pipeline] [--release-clock] [--time-reads]
 *
 * --time-reads (raw only) times each read callback of the measured run and
 * reports the sum (`read_ms`, `reads`), as VBENCH_STALL_TRACE does in vbench
 * (bench/read-split.ts).
 *
 * Two ways to carry a request, on the same loop:
 * - raw (the runtime's floor, between the machine's, the C client, and
 *   vbench's): `Bun.connect` sockets, no parsing beyond counting token events
 *   and finding the chunked terminator;
 * - --pipeline: vbench's own per-request path (src/engine/http.ts's client,
 *   src/engine/request.ts's TimedRequest, the openai backend's parser), so the
 *   rung between the Bun floor and vbench splits vbench's excess CPU into its
 *   per-read pipeline and the engine around it (threads, release clocks, the
 *   request producer, the record log).
 *
 * With RATE, releases are timed by setTimeout, which Bun fires on whole
 * milliseconds (a release goes out up to ~1 ms late); --release-clock times
 * them as vbench does instead: its release clock thread
 * (src/engine/release-clock.ts) wakes this thread EARLY_MS ahead of each, and
 * it spins the rest, so the rung pays for sub-millisecond releases too.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Socket } from "bun";
import { startClientMonitor, type ClientMonitor } from "../src/engine/client-monitor.ts";
import { HttpClient, parseOrigin } from "../src/engine/http.ts";
import { TimedRequest, sendTimed, type PreparedRequest } from "../src/engine/request.ts";
import openai from "../plugins/backends/openai.ts";
import { createReleaseClock } from "../src/engine/release-clock.ts";
import { runSchedule } from "../src/engine/schedule.ts";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const pipeline = process.argv.includes("--pipeline");
const timeReads = process.argv.includes("--time-reads");
/** With --time-reads: the measured run's read callbacks, their count and time in all. */
const readTime = { reads: 0, ms: 0 };
const [port, streams, prompts] = args.slice(0, 3).map(Number) as [number, number, number];
const body = readFileSync(args[3]!);
const outPath = args[4]!;
/** Between due times with RATE (steady arrivals); 0: every request due at once. */
const intervalMs = args[5] ? 1000 / Number(args[5]) : 0;
const releaseClock = process.argv.includes("--release-clock") && intervalMs > 0 ? await createReleaseClock() : null;
const MAX_STAMPS = 1024;
const sentMs = new Float64Array(prompts);
const stampMs = new Float64Array(prompts * MAX_STAMPS);
const stampCount = new Int32Array(prompts);
const head = `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: ${body.length}\r\nx-request-id: `;
let t0 = 0;

/** Sends request `index` (negative: a warm-up) on a free connection; `finished` is called when its response has ended. */
interface Transport {
  open(): Promise<void>;
  send(index: number): void;
}

/** The runtime's floor: a raw socket per stream. */
function rawTransport(finished: (index: number) => void): Transport {
  const TEXT = Buffer.from('"text":');
  const TERMINATOR = Buffer.from("\r\n0\r\n\r\n");
  const tail = Buffer.from(`\r\n\r\n${body}`);
  interface Conn {
    request: number;
    last: Buffer; // the last bytes read, for a terminator split across reads
  }
  const idle: Socket<Conn>[] = [];
  return {
    async open() {
      for (let i = 0; i < streams; i++) {
        const socket = await Bun.connect<Conn>({
          hostname: "127.0.0.1",
          port,
          data: { request: 0, last: Buffer.alloc(0) },
          socket: {
            data(s, bytes) {
              const at = performance.now() - t0;
              if (timeReads && s.data.request >= 0) {
                readData(s, bytes, at);
                readTime.ms += performance.now() - t0 - at;
                readTime.reads++;
              } else readData(s, bytes, at);
            },
            error(_s, e) {
              console.error(`floor-client: ${e.message}`);
              process.exit(1);
            },
          },
        });
        socket.setNoDelay(true);
        idle.push(socket);
      }
    },
    send(index) {
      const socket = idle.pop()!;
      socket.data.request = index;
      socket.data.last = Buffer.alloc(0);
      if (index >= 0) sentMs[index] = performance.now() - t0;
      socket.write(Buffer.concat([Buffer.from(`${head}${index < 0 ? "floor-warm" : "floor"}-${index}`), tail]));
    },
  };

  function readData(s: Socket<Conn>, bytes: Buffer, at: number): void {
    const r = s.data.request;
    if (r >= 0) for (let k = bytes.indexOf(TEXT); k >= 0 && stampCount[r]! < MAX_STAMPS; k = bytes.indexOf(TEXT, k + 7)) stampMs[r * MAX_STAMPS + stampCount[r]!++] = at;
    const last = bytes.length >= 7 ? bytes.subarray(bytes.length - 7) : Buffer.concat([s.data.last, bytes]).subarray(-7);
    s.data.last = Buffer.from(last);
    if (!last.equals(TERMINATOR)) return;
    idle.push(s);
    finished(r);
  }
}

/** vbench's own path per request: its HTTP client (kept-alive pool), TimedRequest and the openai parser. */
function pipelineTransport(finished: (index: number) => void): Transport {
  const client = new HttpClient();
  const origin = parseOrigin(`http://127.0.0.1:${port}`);
  const encoder = new TextEncoder();
  // As vbench prepares it: the output length sizes the request's stamp array.
  const requestedOutputTokens = Number((JSON.parse(body.toString()) as { max_tokens?: number }).max_tokens ?? 0);
  const prepared: PreparedRequest = { head: encoder.encode(head), tail: encoder.encode(`\r\n\r\n${body}`), inputTokens: 0, requestedOutputTokens };
  return {
    // The pool opens a connection per warm-up request (all in flight at once) and keeps them.
    open: async () => {},
    send(index) {
      const id = `${index < 0 ? "floor-warm" : "floor"}-${index}`;
      const request = new TimedRequest(index, id, prepared, openai, t0, 0, 0, (_, record) => {
        if (index >= 0) {
          const n = Math.min(record.chunkAtMs.length, MAX_STAMPS);
          stampMs.set(record.chunkAtMs.subarray(0, n), index * MAX_STAMPS);
          stampCount[index] = n;
          sentMs[index] = record.sentAtMs;
        }
        if (!record.success) {
          console.error(`floor-client: ${id} failed: ${record.error?.message}`);
          process.exit(1);
        }
        finished(index);
      });
      sendTimed(client, origin, request, t0);
    },
  };
}

let next = 0;
let finished = 0;
let warming = streams;
let free = 0;
const done = Promise.withResolvers<void>();
let releaseTimer: Timer | null = null;
let monitor: ClientMonitor | null = null;

const transport = (pipeline ? pipelineTransport : rawTransport)((index) => {
  free++;
  if (index < 0) {
    if (--warming === 0) start();
    return;
  }
  if (++finished === prompts) done.resolve();
  else if (intervalMs > 0) releaseClock ? sendWoken() : releaseDue();
  else if (next < prompts) {
    free--;
    transport.send(next++);
  }
});

/** When request i is due (RATE alone: i / RATE after t0). */
let dueAt = (i: number): number => t0 + i * intervalMs;

/** Sends every request due while a connection is free, then waits for the next due time. */
function releaseDue(): void {
  if (releaseTimer) clearTimeout(releaseTimer);
  releaseTimer = null;
  const now = performance.now();
  while (next < prompts && free > 0 && dueAt(next) <= now) {
    free--;
    transport.send(next++);
  }
  if (next < prompts && free > 0) releaseTimer = setTimeout(releaseDue, dueAt(next) - now);
}

/** The highest release the clock has announced: due within EARLY_MS of its wake, or already. */
let wokenThrough = -1;

/** The release clock's wake: requests up to `last` are due within EARLY_MS. */
function onWake(last: number): void {
  if (last > wokenThrough) wokenThrough = last;
  sendWoken();
}

/** Sends each announced request at its due time (spinning the last EARLY_MS) while a connection is free; a freed one sends the rest. */
function sendWoken(): void {
  while (next <= wokenThrough && free > 0) {
    const due = dueAt(next);
    while (performance.now() < due) {}
    free--;
    transport.send(next++);
  }
}

function start(): void {
  monitor = startClientMonitor();
  t0 = performance.now();
  if (releaseClock) {
    // vbench's steady schedule (request i at (i + 1) / RATE), walked by the clock and by dueAt alike.
    const schedule = runSchedule({ count: prompts, rateRps: 1000 / intervalMs, burstiness: Infinity, rampUp: null, seed: 0 });
    dueAt = (i) => t0 + schedule.at(i);
    return releaseClock.start(schedule.spec, t0, onWake);
  }
  if (intervalMs > 0) return releaseDue();
  while (free > 0 && next < prompts) {
    free--;
    transport.send(next++);
  }
}

await transport.open();
for (let i = 1; i <= streams; i++) transport.send(-i);
await done.promise;
const { eventLoopLagMs, clientCpuS } = monitor!.stop();
const epochT0 = Date.now() - performance.now() + t0;
const lines: string[] = [];
for (let r = 0; r < prompts; r++) {
  const chunks = Array.from(stampMs.subarray(r * MAX_STAMPS, r * MAX_STAMPS + stampCount[r]!));
  lines.push(JSON.stringify({ request_id: `floor-${r}`, success: true, sent_ms: sentMs[r], sent_epoch_ms: epochT0 + sentMs[r]!, chunk_ms: chunks }));
}
writeFileSync(outPath, lines.join("\n") + "\n");
console.log(JSON.stringify({ cpu_s: clientCpuS, involuntary_switches: NaN, probe_late_ms: Array.from(eventLoopLagMs), ...(timeReads ? { reads: readTime.reads, read_ms: readTime.ms } : {}) }));
releaseClock?.stop();
process.exit(0);
