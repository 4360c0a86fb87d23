import { describe, expect, test } from "bun:test";
import { summarize } from "../../src/results/metrics.ts";
import { closestMatch, didYouMean, levenshtein } from "../../src/base/suggest.ts";
import { evaluateThresholds, parseLatencyKey, thresholdNeeds, validateThresholdKeys } from "../../src/results/thresholds.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { client, record, scenario } from "./summary-fixtures.ts";

describe("suggest", () => {
  test("levenshtein", () => {
    expect(levenshtein("kitten", "sitting")).toBe(3);
    expect(levenshtein("", "abc")).toBe(3);
    expect(levenshtein("same", "same")).toBe(0);
    expect(levenshtein("ab", "ba")).toBe(2);
  });

  test("closestMatch picks the nearest within the cut-off, case-insensitively", () => {
    expect(closestMatch("Max_Concurency", ["max_concurrency", "num_prompts"])).toBe("max_concurrency");
    expect(closestMatch("banana", ["max_concurrency", "num_prompts"])).toBeUndefined();
    expect(closestMatch("ab", ["xy"], 2)).toBe("xy");
    expect(didYouMean("bakend", ["backend"])).toBe('; did you mean "backend"?');
    expect(didYouMean("zzzzzz", ["backend"])).toBe("");
  });
});

describe("validateThresholdKeys", () => {
  test("accepts the seed's keys and any {metric}_{stat}_ms", () => {
    const ok = {
      ttft_p95_ms: 200,
      tpot_mean_ms: 50,
      throughput_min: 10,
      success_rate: 0.95,
      itl_p99_ms: 30,
      "itl_p99.9_ms": 40,
      e2el_median_ms: 1000,
      ttft_std_ms: 5,
      tpot_min_ms: 1,
      e2el_max_ms: 9000,
    };
    expect(validateThresholdKeys(ok)).toEqual([]);
  });

  test("unknown keys, with a suggestion when one is close", () => {
    const errors = validateThresholdKeys({ ttft_p95_sm: 1, sucess_rate: 0.9, banana: 1, e2el_p101_ms: 1, ttft_avg_ms: 2 });
    expect(errors).toHaveLength(5);
    expect(errors[0]).toContain('unknown threshold "ttft_p95_sm"; did you mean "ttft_p95_ms"?');
    expect(errors[1]).toContain('did you mean "success_rate"?');
    expect(errors[2]).toContain('unknown threshold "banana"');
    expect(errors[2]).not.toContain("did you mean");
    expect(errors[3]).toContain('"e2el_p101_ms"');
    expect(errors[4]).toContain('did you mean "ttft_mean_ms"?');
    expect(validateThresholdKeys({ throughput: 5 })[0]).toContain('did you mean "throughput_min"?');
  });

  test("values must be finite; success_rate a fraction", () => {
    const errors = validateThresholdKeys({ ttft_p95_ms: Number.NaN, success_rate: 95, throughput_min: Infinity });
    expect(errors).toHaveLength(3);
    expect(errors[1]).toContain("[0, 1]");
  });
});

test("parseLatencyKey and thresholdNeeds", () => {
  expect(parseLatencyKey("itl_p99.9_ms")).toEqual({ metric: "itl", percentile: 99.9 });
  expect(parseLatencyKey("tpot_mean_ms")).toEqual({ metric: "tpot", stat: "mean" });
  expect(parseLatencyKey("throughput_min")).toBeUndefined();
  const needs = thresholdNeeds({ ttft_p95_ms: 1, ttft_p99_ms: 1, tpot_mean_ms: 1, success_rate: 1 });
  expect(needs.get("ttft")).toEqual([95, 99]);
  expect(needs.get("tpot")).toEqual([]);
  expect(needs.has("itl")).toBe(false);
});

describe("evaluateThresholds", () => {
  // TTFT [100, 30, 50], TPOT [15, 2.5], 9 output tokens over 5 s, 3 of 4 requests succeeded.
  const records = [
    record({ index: 0, sent: 0, chunks: [100, 110, 130], out: 3 }),
    record({ index: 1, sent: 50, chunks: [80, 90], out: 5 }),
    record({ index: 2, sent: 10, chunks: [60], out: 1 }),
    record({ index: 3, sent: 20, done: 5000, fail: { category: "http", message: "HTTP 500" } }),
  ];

  test("latency ≤ limit, throughput and success rate ≥ limit, equality passes", () => {
    const thresholds = { ttft_median_ms: 50, tpot_mean_ms: 8, throughput_min: 1.8, success_rate: 0.8, itl_p99_ms: 100 };
    const sc = scenario({ percentileMetrics: ["ttft", "tpot"], metricPercentiles: [50], thresholds });
    const summary = summarize(records, sc, client({ benchEndMs: 5000 }));
    const verdicts = evaluateThresholds(thresholds, summary);
    expect(verdicts.map((v) => v.key)).toEqual(Object.keys(thresholds));
    expect(verdicts[0]).toEqual({ key: "ttft_median_ms", limit: 50, measured: 50, comparison: "<=", passed: true });
    expect(verdicts[1]).toMatchObject({ measured: 8.75, passed: false });
    expect(verdicts[2]!.comparison).toBe(">=");
    expect(verdicts[2]!.measured).toBeCloseTo(1.8, 12);
    expect(verdicts[3]).toMatchObject({ measured: 0.75, comparison: ">=", passed: false });
    // ITL is not in percentile_metrics: judged from the threshold-only statistics.
    expect(summary.metrics.itl).toBeUndefined();
    expect(verdicts[4]!.measured).toBeCloseTo(19.8, 12); // [10, 10, 20]: h = 1.98
    expect(verdicts[4]!.passed).toBe(true);
  });

  test("a statistic that was never computed, or of an empty series, fails", () => {
    const summary = summarize(records, scenario({ percentileMetrics: ["ttft"], metricPercentiles: [50] }), client({ benchEndMs: 5000 }));
    const [missing] = evaluateThresholds({ ttft_p95_ms: 1000 }, summary);
    expect(missing!.passed).toBe(false);
    expect(missing!.measured).toBeNaN();
    const empty = summarize([], scenario({ thresholds: { ttft_p95_ms: 1000 } }), client());
    expect(evaluateThresholds({ ttft_p95_ms: 1000, success_rate: 0 }, empty).map((v) => v.passed)).toEqual([false, false]);
  });
});

describe("the implicit success_rate (honest exit codes)", () => {
  const ok = (index: number) => record({ index, sent: 0, chunks: [10, 20], out: 2 });
  const failed = (index: number, category: "http" | "cancelled") => record({ index, sent: 0, done: 5, fail: { category, message: category } });
  const judge = (records: ReturnType<typeof record>[], thresholds: Record<string, number>) =>
    evaluateThresholds(thresholds, summarize(records, scenario({ thresholds }), client()));

  test("failed requests and no success_rate threshold: an implicit success_rate >= 1 fails", () => {
    const verdicts = judge([ok(0), ok(1), ok(2), failed(3, "http")], { ttft_p95_ms: 1000 });
    expect(verdicts).toEqual([
      { key: "ttft_p95_ms", limit: 1000, measured: 10, comparison: "<=", passed: true },
      { key: "success_rate", limit: 1, measured: 0.75, comparison: ">=", passed: false, implicit: true },
    ]);
  });

  test("a success_rate threshold replaces it; a clean run gets no extra verdict", () => {
    expect(judge([ok(0), ok(1), ok(2), failed(3, "http")], { success_rate: 0.7 })).toEqual([{ key: "success_rate", limit: 0.7, measured: 0.75, comparison: ">=", passed: true }]);
    expect(judge([ok(0), ok(1)], {})).toEqual([]);
  });

  test("cancelled requests (an interrupted run) are neither successes nor failures", () => {
    expect(judge([ok(0), ok(1), failed(2, "cancelled"), failed(3, "cancelled")], {})).toEqual([]);
    const [rate] = judge([ok(0), ok(1), failed(2, "http"), failed(3, "cancelled")], { success_rate: 0.5 });
    expect(rate!.measured).toBeCloseTo(2 / 3, 12);
  });

  test("an unknown key is a configuration error with a suggestion", () => {
    let err: unknown;
    try {
      judge([ok(0)], { ttft_p95_sm: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VbenchError);
    expect((err as VbenchError).exitCode).toBe(ExitCode.config);
    expect((err as VbenchError).message).toContain('did you mean "ttft_p95_ms"?');
  });
});
