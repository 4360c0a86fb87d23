/**
 * Hand-built ScenarioResult objects for the exporter tests: realistic values,
 * several records including a failed one, Float64Array chunk times. Built
 * without src/results/metrics.ts so these tests do not depend on it.
 */
import type { RequestRecord } from "../../src/base/request-types.ts";
import type { ResolvedScenario, ScenarioResult } from "../../src/base/scenario-types.ts";
import type { SeriesStats, Summary } from "../../src/base/summary-types.ts";
import { testScenario } from "../helpers/scenario.ts";

export function stats(count: number, mean: number, spread: number, percentiles: number[] = [25, 50, 75, 90, 95, 99]): SeriesStats {
  const p: Record<string, number> = {};
  for (const q of percentiles) p[`p${q}`] = mean + ((q - 50) / 50) * spread;
  return { count, mean, median: mean - spread * 0.05, std: spread / 2, min: mean - spread, max: mean + spread * 1.3, percentiles: p, exact: true };
}

export function sampleScenario(overrides: Partial<ResolvedScenario> = {}): ResolvedScenario {
  return testScenario({
    name: "basic_performance",
    description: "기본 성능 측정, with \"quotes\"",
    model: "Qwen/Qwen2-0.5B",
    servedModel: "qwen2",
    maxConcurrency: 4,
    numPrompts: 5,
    metricPercentiles: [25, 50, 75, 90, 95, 99],
    goodput: { ttft: 200 },
    sampling: { temperature: 0 },
    headers: { Authorization: "Bearer secret-token", "X-Team": "bench" },
    timeoutS: 21600,
    idleTimeoutS: 300,
    thresholds: { ttft_p95_ms: 200, tpot_mean_ms: 50, throughput_min: 10, success_rate: 0.95 },
    exporters: ["json", "csv", "msgpack", "prometheus"],
    ...overrides,
  });
}

/** A successful record: first chunk at sent+ttft, then `gaps` ms apart. */
function ok(index: number, sentAtMs: number, ttftMs: number, gapsMs: number[], outputTokens: number): RequestRecord {
  const chunks = new Float64Array(gapsMs.length + 1);
  chunks[0] = sentAtMs + ttftMs;
  for (let k = 0; k < gapsMs.length; k++) chunks[k + 1] = chunks[k] + gapsMs[k];
  const endAtMs = chunks[chunks.length - 1];
  return {
    index,
    requestId: `vbench-0-${index}`,
    scheduledAtMs: sentAtMs - 0.25 - index * 0.125,
    dispatchedAtMs: sentAtMs - 0.0625,
    sentAtMs,
    chunkAtMs: chunks,
    endAtMs,
    doneAtMs: endAtMs + 0.5,
    success: true,
    inputTokens: 1024,
    serverInputTokens: 1051,
    outputTokens,
    outputTokenSource: index === 3 ? "tokenizer" : "server",
    tokenizerOutputTokens: index === 3 ? outputTokens : undefined,
    requestedOutputTokens: 128,
    finishReason: "length",
    generatedText: `text ${index}`,
  };
}

export function sampleRecords(): RequestRecord[] {
  const failed: RequestRecord = {
    index: 2,
    requestId: "vbench-0-2",
    scheduledAtMs: 0,
    dispatchedAtMs: 0.03125,
    sentAtMs: 0.5,
    chunkAtMs: new Float64Array(0),
    endAtMs: NaN,
    doneAtMs: 12.75,
    success: false,
    error: { category: "http", message: 'HTTP 500: {"error": "boom, \"bad\"\nsecond line"}', status: 500, body: '{"error":"boom"}' },
    inputTokens: 1024,
    outputTokens: 0,
    outputTokenSource: "server",
    requestedOutputTokens: 128,
  };
  return [
    ok(0, 0.25, 31.5, [14.25, 15.5, 13.75, 16], 5),
    ok(1, 0.375, 45.125, [12.5, 20.25], 3),
    failed,
    ok(3, 120.5, 28.0, [], 1),
    ok(4, 200.125, 52.0625, [14.0, 14.5, 15.0, 14.75, 13.0, 17.25], 7),
  ];
}

export function sampleSummary(): Summary {
  return {
    completed: 4,
    failed: 1,
    total: 5,
    durationS: 0.34325,
    totalInputTokens: 4096,
    totalOutputTokens: 16,
    requestThroughput: 11.653313911143482,
    requestGoodput: 11.653313911143482,
    outputThroughput: 46.61325564457393,
    totalTokenThroughput: 11979.606700655499,
    maxOutputTokensPerS: 16,
    maxConcurrentRequests: 3,
    metrics: {
      ttft: stats(4, 39.171875, 12.1),
      tpot: stats(3, 17.015625, 2.4),
      itl: stats(12, 15.0625, 3.3),
      e2el: stats(4, 83.109375, 40.2),
    },
    failures: { byCategory: { http: 1 }, samples: [{ index: 2, category: "http", message: "HTTP 500: boom" }] },
    extras: {
      clientQueueMs: stats(5, 0.3, 0.1),
      sendLagMs: stats(5, 0.0625, 0.01),
      dispatchLagMs: stats(5, 0.05, 0.02),
      e2elInclQueueMs: stats(4, 83.5, 40.2),
      configuredRateRps: "inf",
      achievedRateRps: 24.98,
      tokenSources: { server: 3, tokenizer: 1, mismatchMeanAbs: null, mismatchCount: 0, mismatchCompared: 0 },
      eventLoopLagMs: { p50: 0.2, p99: 1.5, max: 2.25, samples: 34 },
      clientCpuS: 0.125,
      stealMs: 40,
      clientBound: false,
      drainS: 0.1,
    },
  };
}

export function sampleResult(overrides: { scenario?: Partial<ResolvedScenario>; variant?: string } = {}): ScenarioResult {
  const scenario = sampleScenario(overrides.scenario);
  return {
    scenario,
    records: sampleRecords(),
    summary: sampleSummary(),
    run: {
      runId: "run-20250102-030405-abcd",
      toolVersion: "0.1.0",
      startedAtIso: "2025-01-02T03:04:05.678Z",
      timestamp: "20250102_030405",
      scenarioDir: "/results/scenario_basic_performance_20250102_030405",
      outputDir: "/results",
      parsedDir: "/results/parsed",
      variant: overrides.variant ?? "",
      host: { hostname: "bench-1", platform: "linux", arch: "x64", cpus: 2, runtime: "bun 1.4.5" },
      interrupted: false,
    },
    thresholds: [
      { key: "ttft_p95_ms", limit: 200, measured: 49.065, comparison: "<=", passed: true },
      { key: "tpot_mean_ms", limit: 50, measured: 17.015625, comparison: "<=", passed: true },
      { key: "throughput_min", limit: 10, measured: 46.61325564457393, comparison: ">=", passed: true },
      { key: "success_rate", limit: 0.95, measured: 0.8, comparison: ">=", passed: false },
    ],
  };
}
