/**
 * Cost of serving many concurrent streams (not part of the test suite):
 *   npx bun test/mock/bench/serve-many.ts [streams=4096] [tokens=256] [itlMs=10] [tokensPerChunk=1]
 * Runs the simulator in a child process, opens `streams` raw sockets
 * (Connection: close) from this process, each asking for a streamed completion, and reads
 * the simulator's CPU and its truth record (when each chunk was written versus
 * when it was due). Both processes share the machine's cores.
 */
import net from "node:net";
import { spawnMockProcess } from "../../../src/mock/spawn.ts";
import type { TruthSummary } from "../../../src/mock/routes.ts";
import type { TruthRecord } from "../../../src/mock/truth.ts";

const [streams = 4096, tokens = 256, itlMs = 10, tokensPerChunk = 1] = process.argv.slice(2).map(Number);
const ttftMs = 50;
const entry = [process.execPath, ...(process.env.MOCK_PROF ? ["--cpu-prof-md", "--cpu-prof-dir=/tmp/mockprof"] : []), `${import.meta.dir}/../fixtures/mock-entry.ts`];
const mock = await spawnMockProcess(entry, { ttftMs, itlMs, tokensPerChunk }, { inheritStderr: !!process.env.DEBUG });
const port = Number(new URL(mock.url).port);
const summary = async (): Promise<TruthSummary> => (await fetch(`${mock.url}/_truth/summary`)).json() as Promise<TruthSummary>;

const body = JSON.stringify({ prompt: "Benchmark the simulator with a short prompt.", max_tokens: tokens, stream: true });
const request = `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;

const before = await summary();
const clientCpu0 = process.cpuUsage();
const t0 = performance.now();
let bytes = 0;
let failed = 0;
await new Promise<void>((resolve) => {
  let open = streams;
  const finish = (): void => {
    if (--open === 0) resolve();
  };
  for (let i = 0; i < streams; i++) {
    // Connection: close, so the end of a response is the server closing (plain or chunked body alike).
    const s = net.connect(port, "127.0.0.1", () => s.write(request));
    let tail = "";
    s.on("data", (d: Buffer) => {
      bytes += d.length;
      tail = (tail + d.toString("latin1")).slice(-32);
    });
    s.on("error", () => {});
    s.on("close", () => {
      if (!tail.includes("data: [DONE]")) failed++;
      finish();
    });
  }
});
const wallMs = performance.now() - t0;
const clientCpu = process.cpuUsage(clientCpu0);
const after = await summary();
const truth = (await (await fetch(`${mock.url}/_truth`)).json()) as TruthRecord[];
await mock.stop();

// Lateness: chunk k of a request was due at startedAt + ttft + (its last token)·itl (no jitter here).
const late: number[] = [];
for (const r of truth) {
  r.chunkAtMs.forEach((at, k) => {
    const lastToken = k === 0 ? 0 : Math.min(tokens - 1, k * tokensPerChunk);
    late.push(at - (r.startedAtMs! + ttftMs + lastToken * itlMs));
  });
}
late.sort((a, b) => a - b);
const pct = (p: number): number => late[Math.min(late.length - 1, Math.floor((late.length - 1) * p))];
const cpuMs = after.cpuUserMs - before.cpuUserMs + (after.cpuSystemMs - before.cpuSystemMs);
const chunks = after.totalChunks;
const idealMs = ttftMs + (tokens - 1) * itlMs;
console.log(
  JSON.stringify(
    {
      streams,
      tokens,
      itlMs,
      tokensPerChunk,
      failed,
      wallMs: Math.round(wallMs),
      idealStreamMs: idealMs,
      chunks,
      chunksPerS: Math.round(chunks / (wallMs / 1000)),
      bytes,
      serverCpuMs: Math.round(cpuMs),
      serverUserMs: Math.round(after.cpuUserMs - before.cpuUserMs),
      serverSysMs: Math.round(after.cpuSystemMs - before.cpuSystemMs),
      serverCpuPerChunkUs: +((cpuMs * 1000) / chunks).toFixed(2),
      serverCoresBusy: +(cpuMs / wallMs).toFixed(2),
      tickerWakes: after.tickerWakes - before.tickerWakes,
      maxConcurrentStreams: after.maxConcurrentStreams,
      latenessMs: { p50: +pct(0.5).toFixed(2), p99: +pct(0.99).toFixed(2), max: +late.at(-1)!.toFixed(2) },
      clientCpuMs: Math.round((clientCpu.user + clientCpu.system) / 1000),
    },
    null,
    1,
  ),
);
