import { describe, expect, test } from "bun:test";
import { computeStats, percentileKey, percentileOfSorted, SeriesBuilder } from "../../src/results/stats.ts";

describe("computeStats", () => {
  test("percentiles of [1,2,3,4] by NumPy's linear rule, population std", () => {
    const s = computeStats([4, 2, 1, 3], [25, 50, 75, 90, 99]);
    // h = 3·p/100: 0.75 → 1.75, 1.5 → 2.5, 2.25 → 3.25, 2.7 → 3.7, 2.97 → 3.97
    expect(s.percentiles.p25).toBeCloseTo(1.75, 12);
    expect(s.percentiles.p50).toBeCloseTo(2.5, 12);
    expect(s.percentiles.p75).toBeCloseTo(3.25, 12);
    expect(s.percentiles.p90).toBeCloseTo(3.7, 12);
    expect(s.percentiles.p99).toBeCloseTo(3.97, 12);
    expect(s.mean).toBe(2.5);
    expect(s.median).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 12); // population: Σ(x−2.5)²/4 = 5/4
    expect(s.min).toBe(1);
    expect(s.max).toBe(4);
    expect(s.count).toBe(4);
    expect(s.exact).toBe(true);
  });

  test("odd count median, extremes and a fractional percentile", () => {
    const s = computeStats([10, 30, 20], [0, 100, 99.9]);
    expect(s.median).toBe(20);
    expect(s.percentiles.p0).toBe(10);
    expect(s.percentiles.p100).toBe(30);
    expect(s.percentiles["p99.9"]).toBeCloseTo(29.98, 12); // h = 1.998
  });

  test("bit-identical to np.percentile on awkward values (checked against NumPy 2.4)", () => {
    const s = computeStats([0.1, 0.7, 0.2, 9, 4.4, 1e-3, 7.77], [1, 25, 75, 95]);
    expect(s.percentiles.p1).toBe(0.00694);
    expect(s.percentiles.p25).toBe(0.15000000000000002);
    expect(s.percentiles.p75).toBe(6.085);
    expect(s.percentiles.p95).toBe(8.630999999999998);
  });

  test("sorts numerically, not as strings, and leaves the input alone", () => {
    const input = [100, 9, 10];
    const s = computeStats(input, [50]);
    expect(s.median).toBe(10);
    expect(s.min).toBe(9);
    expect(input).toEqual([100, 9, 10]);
    const typed = new Float64Array([3, 1, 2]);
    computeStats(typed, []);
    expect(Array.from(typed)).toEqual([3, 1, 2]);
  });

  test("empty series: zeros everywhere, count 0, keys present", () => {
    const s = computeStats([], [25, 99.9]);
    expect(s).toEqual({ count: 0, mean: 0, median: 0, std: 0, min: 0, max: 0, percentiles: { p25: 0, "p99.9": 0 }, exact: true });
  });

  test("single value", () => {
    const s = computeStats([7], [1, 50, 99]);
    expect(s.percentiles).toEqual({ p1: 7, p50: 7, p99: 7 });
    expect(s.std).toBe(0);
  });
});

test("percentileKey drops a trailing .0", () => {
  expect(percentileKey(99)).toBe("p99");
  expect(percentileKey(99.9)).toBe("p99.9");
  expect(percentileKey(25.0)).toBe("p25");
});

test("percentileOfSorted of an empty array is 0", () => {
  expect(percentileOfSorted(new Float64Array(0), 50)).toBe(0);
});

describe("SeriesBuilder", () => {
  test("exact below the budget: same as computeStats, growing past its capacity", () => {
    const b = new SeriesBuilder({ capacity: 2 });
    const values = [5, 1, 4, 2, 3, 9, 8, 7, 6, 0];
    for (const v of values) b.push(v);
    expect(b.exact).toBe(true);
    expect(b.stats([25, 90])).toEqual(computeStats(values, [25, 90]));
  });

  test("past the budget: HDR percentiles (exact: false), exact count/mean/min/max/std", () => {
    const b = new SeriesBuilder({ valueBudget: 1000 });
    const values: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const v = 10 + ((i * 7919) % 5000) / 100; // 10.00 .. 59.99 ms, shuffled
      values.push(v);
      b.push(v);
    }
    const approx = b.stats([50, 99]);
    const exact = computeStats(values, [50, 99]);
    expect(approx.exact).toBe(false);
    expect(approx.count).toBe(5000);
    expect(approx.mean).toBeCloseTo(exact.mean, 9);
    expect(approx.std).toBeCloseTo(exact.std, 9);
    expect(approx.min).toBe(exact.min);
    expect(approx.max).toBe(exact.max);
    // 3 significant digits: within 0.1% (plus the 1 µs integer resolution)
    for (const key of ["p50", "p99"]) {
      expect(Math.abs(approx.percentiles[key]! - exact.percentiles[key]!)).toBeLessThan(exact.percentiles[key]! * 1e-3 + 0.002);
    }
    expect(Math.abs(approx.median - exact.median)).toBeLessThan(exact.median * 1e-3 + 0.002);
  });

  test("an empty builder reports zeros", () => {
    expect(new SeriesBuilder().stats([50]).percentiles).toEqual({ p50: 0 });
  });
});
