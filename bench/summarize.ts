/**
 * How long summarize() takes on a large run: 1,000,000 successful records of
 * 16 token-bearing messages each (15 M pooled ITL gaps, under the exact-value
 * budget), plus 1% failures. Prints the time; not a test (the machine is shared).
 *
 *   npx bun bench/summarize.ts [records] [messagesPerRecord]
 */
import { summarize } from "../src/results/metrics.ts";
import type { RequestRecord } from "../src/base/request-types.ts";
import type { ResolvedScenario } from "../src/base/scenario-types.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const messages = Number(process.argv[3] ?? 16);

// Deterministic pseudo-random timings (an LCG: the point is the data volume, not realism).
let state = 1;
const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);

const records: RequestRecord[] = new Array(count);
for (let i = 0; i < count; i++) {
  const scheduled = i * 0.5;
  const sent = scheduled + rand() * 0.2;
  const failed = i % 100 === 99;
  const chunks = new Float64Array(failed ? 0 : messages);
  let t = sent + 20 + rand() * 30;
  for (let k = 0; k < chunks.length; k++) {
    chunks[k] = t;
    t += 5 + rand() * 20;
  }
  const end = failed ? NaN : chunks[chunks.length - 1]!;
  records[i] = {
    index: i,
    requestId: `r${i}`,
    scheduledAtMs: scheduled,
    dispatchedAtMs: scheduled,
    sentAtMs: sent,
    chunkAtMs: chunks,
    endAtMs: end,
    doneAtMs: failed ? sent + 10 : end,
    success: !failed,
    ...(failed ? { error: { category: "http" as const, message: "HTTP 503" } } : {}),
    inputTokens: 100,
    outputTokens: failed ? 0 : messages,
    outputTokenSource: "server",
    requestedOutputTokens: messages,
  };
}

const scenario = {
  maxConcurrency: 256,
  requestRate: 2000,
  percentileMetrics: ["ttft", "tpot", "itl", "e2el"],
  metricPercentiles: [25, 50, 75, 90, 95, 99],
  goodput: { ttft: 40, tpot: 20 },
  thresholds: { ttft_p95_ms: 200, itl_p99_ms: 100 },
} as unknown as ResolvedScenario;

const lastEnd = records.reduce((m, r) => (r.doneAtMs > m ? r.doneAtMs : m), 0);
const cpuBefore = process.cpuUsage();
const started = performance.now();
const summary = summarize(records, scenario, {
  benchStartMs: 0,
  benchEndMs: lastEnd,
  eventLoopLagMs: new Float64Array(1000),
  clientCpuS: 0,
});
const elapsedMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `summarize: ${count} records, ${summary.metrics.itl!.count} ITL values: ${elapsedMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU ` +
    `(completed ${summary.completed}, output ${summary.outputThroughput.toFixed(1)} tok/s, ` +
    `peak concurrency ${summary.maxConcurrentRequests}, p99 ITL ${summary.metrics.itl!.percentiles.p99!.toFixed(2)} ms)`,
);
