import { describe, expect, test } from "bun:test";
import { buildBenchmarkResults, formatJson, requestLatencies } from "../../src/results/result-docs.ts";
import { buildStandardized, standardizeVllmResult } from "../../src/results/standardized.ts";
import { sampleResult, stats } from "./sample-result.ts";

/** Every key spec/output.md lists for benchmark_results.json, in vLLM's order. */
function expectedKeys(metrics: string[], percentiles: string[]): string[] {
  const keys = [
    "date", "backend", "label", "model_id", "tokenizer_id", "num_prompts", "request_rate", "burstiness", "max_concurrency",
    "duration", "completed", "failed", "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput",
    "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests",
  ];
  for (const m of metrics) keys.push(`mean_${m}_ms`, `median_${m}_ms`, `std_${m}_ms`, ...percentiles.map((p) => `p${p}_${m}_ms`));
  keys.push("input_lens", "output_lens", "ttfts", "itls", "start_times", "errors");
  return keys;
}

describe("benchmark_results.json", () => {
  test("has exactly output.md's keys, then the vbench object", () => {
    const doc = buildBenchmarkResults(sampleResult());
    expect(Object.keys(doc)).toEqual([...expectedKeys(["ttft", "tpot", "itl", "e2el"], ["25", "50", "75", "90", "95", "99"]), "vbench"]);
  });

  test("run config and results carry vLLM's values and units", () => {
    const r = sampleResult();
    const doc = buildBenchmarkResults(r);
    expect(doc.date).toBe("20250102-030405");
    expect(doc.request_rate).toBe("inf");
    expect(doc.max_concurrency).toBe(4);
    expect(doc.duration).toBe(r.summary.durationS);
    expect(doc.completed).toBe(4);
    expect(doc.failed).toBe(1);
    expect(doc.mean_ttft_ms).toBe(r.summary.metrics.ttft!.mean);
    expect(doc.p95_e2el_ms).toBe(r.summary.metrics.e2el!.percentiles.p95);
    expect(doc.std_itl_ms).toBe(r.summary.metrics.itl!.std);
    expect(doc.request_goodput).toBe(r.summary.requestGoodput);
  });

  test("detailed arrays are per request in seconds, with vLLM's conventions for failures", () => {
    const doc = buildBenchmarkResults(sampleResult());
    expect(doc.input_lens).toEqual([1024, 1024, 1024, 1024, 1024]);
    expect(doc.output_lens).toEqual([5, 3, 0, 1, 7]);
    expect(doc.ttfts).toEqual([0.0315, 0.045125, 0, 0.028, 0.0520625]);
    const itls = doc.itls as number[][];
    expect(itls[0].map((s) => Math.round(s * 1e9) / 1e6)).toEqual([14.25, 15.5, 13.75, 16]);
    expect(itls[2]).toEqual([]);
    expect(itls[3]).toEqual([]);
    expect(doc.start_times).toEqual([0.00025, 0.000375, 0.0005, 0.1205, 0.200125]);
    const errors = doc.errors as string[];
    expect(errors.filter((e) => e === "").length).toBe(4);
    expect(errors[2]).toStartWith("http: HTTP 500");
    expect(doc.generated_texts).toBeUndefined();
  });

  test("generated_texts only on request; finite rate, unset concurrency, odd percentiles", () => {
    const r = sampleResult({ scenario: { saveGeneratedText: true, requestRate: 2.5, maxConcurrency: null, percentileMetrics: ["ttft", "e2el"], metricPercentiles: [50, 99.9] } });
    r.summary.metrics.ttft = stats(4, 39, 10, [50, 99.9]);
    r.summary.metrics.e2el = stats(4, 80, 10, [50, 99.9]);
    const doc = buildBenchmarkResults(r);
    expect(Object.keys(doc)).toEqual([...expectedKeys(["ttft", "e2el"], ["50", "99.9"]), "generated_texts", "vbench"]);
    expect(doc.request_rate).toBe(2.5);
    expect(doc.max_concurrency).toBeNull();
    expect(doc["p99.9_ttft_ms"]).toBe(r.summary.metrics.ttft.percentiles["p99.9"]);
    expect(doc.generated_texts).toEqual(["text 0", "text 1", "", "text 3", "text 4"]);
  });

  test("vbench object: schema, verdicts, client extras, redacted secrets, JSON-safe config", () => {
    const text = formatJson(buildBenchmarkResults(sampleResult({ variant: "c8" })));
    const vb = JSON.parse(text).vbench;
    expect(vb.schema).toBe("vbench.result/1");
    expect(vb.variant).toBe("c8");
    expect(vb.passed).toBe(false);
    expect(vb.thresholds.map((t: { key: string }) => t.key)).toEqual(["ttft_p95_ms", "tpot_mean_ms", "throughput_min", "success_rate"]);
    expect(vb.client.configured_rate_rps).toBe("inf");
    expect(vb.client.client_queue_ms.mean).toBe(0.3);
    expect(vb.token_sources).toEqual({ server: 3, tokenizer: 1, mismatch_mean_abs: null, mismatch_count: 0, mismatch_compared: 0 });
    expect(vb.config.requestRate).toBe("inf");
    expect(vb.config.headers).toEqual({ Authorization: "<redacted>", "X-Team": "bench" });
    expect(text).not.toContain("secret-token");
    expect(vb.metric_stats.itl.count).toBe(12);
    expect(JSON.parse(text).label).toBe("basic_performance_c8");
  });

  test("formatJson is deterministic and valid JSON without NaN/Infinity", () => {
    const a = formatJson({ x: NaN, y: Infinity, z: [1, 2], o: { f: new Float64Array([0.5, NaN]) }, u: undefined });
    expect(a).toBe(formatJson({ x: NaN, y: Infinity, z: [1, 2], o: { f: new Float64Array([0.5, NaN]) } }));
    expect(JSON.parse(a)).toEqual({ x: null, y: "inf", z: [1, 2], o: { f: [0.5, null] } });
  });
});

describe("requestLatencies", () => {
  test("follows spec/metrics.md for success, single-token and failed requests", () => {
    const [r0, , failed, single] = sampleResult().records;
    expect(requestLatencies(r0)).toEqual({ ttftMs: 31.5, e2elMs: 91, tpotMs: (91 - 31.5) / 4, itlMs: [14.25, 15.5, 13.75, 16] });
    expect(Number.isNaN(requestLatencies(single).tpotMs)).toBe(true);
    expect(Number.isNaN(requestLatencies(failed).ttftMs)).toBe(true);
  });
});

describe("standardized result", () => {
  test("has the stable keys, ms metrics and threshold verdicts", () => {
    const doc = buildStandardized(sampleResult(), "perf");
    expect(Object.keys(doc)).toEqual([
      "schema", "task_name", "scenario", "variant", "description", "timestamp", "model", "backend", "endpoint", "parameters",
      "duration_s", "completed", "failed", "success_rate", "total_input_tokens", "total_output_tokens", "request_throughput",
      "request_goodput", "output_throughput", "total_token_throughput", "max_output_tokens_per_s", "max_concurrent_requests",
      "metrics", "thresholds", "passed", "source",
    ]);
    expect(doc.schema).toBe("vbench.standardized/1");
    expect(doc.task_name).toBe("perf");
    expect(doc.timestamp).toBe("2025-01-02T03:04:05.678Z");
    expect(doc.endpoint).toBe("http://127.0.0.1:8000/v1/chat/completions");
    expect(doc.success_rate).toBe(0.8);
    const metrics = doc.metrics as Record<string, Record<string, number>>;
    expect(Object.keys(metrics.ttft)).toEqual(["mean", "median", "std", "p25", "p50", "p75", "p90", "p95", "p99"]);
    expect(metrics.tpot.mean).toBe(17.015625);
    expect(doc.thresholds).toMatchObject({ success_rate: { limit: 0.95, measured: 0.8, comparison: ">=", passed: false } });
    expect(doc.passed).toBe(false);
    expect((doc.parameters as Record<string, unknown>).random_input_len).toBe(1024);
  });

  test("standardizing the written benchmark_results.json gives the same document", () => {
    const r = sampleResult({ variant: "r10" });
    const file = JSON.parse(formatJson(buildBenchmarkResults(r)));
    expect(standardizeVllmResult(file, { taskName: "t" })).toEqual(buildStandardized(r, "t"));
  });
});
