/** Repeated-run statistics on hand-computed values. */
import { describe, expect, test } from "bun:test";
import type { Summary } from "../../src/base/summary-types.ts";
import { differenceInterval, formatRepeatTable, meanInterval, repeatJson, summarizeRepeats } from "../../src/analysis/repeat.ts";
import { sampleSummary } from "../exporters/sample-result.ts";

/** A summary whose output throughput and TTFT mean/p99 are the given numbers. */
function summary(outputThroughput: number, ttftMean: number, ttftP99: number): Summary {
  const s = sampleSummary();
  return {
    ...s,
    outputThroughput,
    metrics: { ...s.metrics, ttft: { ...s.metrics.ttft!, mean: ttftMean, percentiles: { ...s.metrics.ttft!.percentiles, p99: ttftP99 } } },
  };
}

describe("summarizeRepeats", () => {
  test("mean ± t(0.975, n−1)·s/√n on hand-computed values", () => {
    // Throughputs 10, 12, 14: mean 12, sample sd 2, t(0.975, 2) = 4.302653, half-width 4.302653·2/√3 = 4.968275.
    const r = summarizeRepeats([summary(10, 50, 70), summary(12, 52, 80), summary(14, 57, 75)]);
    expect(r.runs).toBe(3);
    expect(r.tCritical).toBeCloseTo(4.302653, 5);
    const tp = r.rows.find((x) => x.key === "output_throughput")!;
    expect(tp.values).toEqual([10, 12, 14]);
    expect(tp.mean).toBe(12);
    expect(tp.std).toBeCloseTo(2, 12);
    expect(tp.halfWidth).toBeCloseTo(4.968275, 5);
    expect(tp.ciLow).toBeCloseTo(7.031725, 5);
    expect(tp.ciHigh).toBeCloseTo(16.968275, 5);
    // TTFT means 50, 52, 57: mean 53, sd sqrt(((−3)² + (−1)² + 4²)/2) = sqrt(13), half-width 4.302653·sqrt(13)/√3 = 8.956.
    const ttft = r.rows.find((x) => x.key === "ttft_mean_ms")!;
    expect(ttft.mean).toBe(53);
    expect(ttft.halfWidth).toBeCloseTo((4.302653 * Math.sqrt(13)) / Math.sqrt(3), 4);
    expect(r.rows.find((x) => x.key === "ttft_p99_ms")!.values).toEqual([70, 80, 75]);
  });

  test("two runs use t(0.975, 1) = 12.706", () => {
    const i = meanInterval([1, 3]);
    // mean 2, sd √2, half-width 12.706205·√2/√2 = 12.706205.
    expect(i.mean).toBe(2);
    expect(i.halfWidth).toBeCloseTo(12.706205, 5);
  });

  test("one run has a mean but no interval", () => {
    const r = summarizeRepeats([summary(10, 50, 70)]);
    const tp = r.rows.find((x) => x.key === "output_throughput")!;
    expect(tp.mean).toBe(10);
    expect(tp.halfWidth).toBeNaN();
    expect(formatRepeatTable(r)).toContain("no interval");
    expect(repeatJson(r).t_critical).toBeNull();
  });

  test("identical runs have a zero-width interval; the table shows mean, ± and the interval", () => {
    const r = summarizeRepeats([summary(20, 50, 70), summary(20, 50, 70), summary(20, 50, 70), summary(20, 50, 70)]);
    const tp = r.rows.find((x) => x.key === "output_throughput")!;
    expect([tp.ciLow, tp.ciHigh]).toEqual([20, 20]);
    const text = formatRepeatTable(r, "basic");
    expect(text).toContain("basic: 4 runs, mean with 95% CI (Student t, 3 df, t = 3.182)");
    expect(text).toMatch(/Output token throughput \(tok\/s\)\s+20\.00\s+± 0\.00\s+\[20\.00, 20\.00\]/);
  });
});

describe("differenceInterval (compare with repeated runs)", () => {
  test("Welch's t on hand-computed values", () => {
    // 10, 12, 14 vs 20, 22, 24: difference 10, se = √(4/3 + 4/3) = 1.632993, df = (8/3)² / (2·(4/3)²/2) = 4, t(0.975, 4) = 2.776445.
    const r = differenceInterval([10, 12, 14], [20, 22, 24], 0.05)!;
    expect(r.df).toBeCloseTo(4, 10);
    expect(r.interval[0]).toBeCloseTo(10 - 4.533916, 5);
    expect(r.interval[1]).toBeCloseTo(10 + 4.533916, 5);
    // Unequal spreads: 10, 12, 14 (s² = 4) vs 20, 30 (s² = 50): df = (4/3 + 25)² / ((4/3)²/2 + 25²/1) = 1.107939.
    expect(differenceInterval([10, 12, 14], [20, 30], 0.05)!.df).toBeCloseTo(1.107939, 5);
  });

  test("one run against three: judged against the three runs' spread, s·√(1/3 + 1) with 2 df", () => {
    // 20 − 12 = 8; se = 2·√(4/3) = 2.309401; t(0.975, 2) = 4.302653; half-width 9.936551.
    const r = differenceInterval([10, 12, 14], [20], 0.05)!;
    expect(r.df).toBe(2);
    expect(r.interval[0]).toBeCloseTo(8 - 9.936551, 5);
    expect(r.interval[1]).toBeCloseTo(8 + 9.936551, 5);
    expect(differenceInterval([20], [10, 12, 14], 0.05)!.interval[0]).toBeCloseTo(-8 - 9.936551, 5);
  });

  test("one run a side has no between-run interval; constant runs a zero-width one", () => {
    expect(differenceInterval([10], [20], 0.05)).toBeNull();
    expect(differenceInterval([5, 5, 5], [7, 7], 0.05)!.interval).toEqual([2, 2]);
  });
});
