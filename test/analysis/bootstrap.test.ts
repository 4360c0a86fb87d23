import { describe, expect, test } from "bun:test";
import { createRng } from "../../src/base/rng.ts";
import { computeStats } from "../../src/results/stats.ts";
import { bootstrapStatistics, buildSample, differenceReplicates, percentileInterval, quantile, statisticsOfCounts, type Statistic } from "../../src/analysis/bootstrap.ts";
import { studentTCdf, studentTQuantile } from "../../src/analysis/student-t.ts";

const STATS: Statistic[] = [{ kind: "mean" }, { kind: "percentile", p: 50 }, { kind: "percentile", p: 99 }, { kind: "percentile", p: 25 }];

function randomValues(n: number, seed: number): number[] {
  const rng = createRng(seed, "test");
  return Array.from({ length: n }, () => Math.round(rng.gamma(2, 10) * 100) / 100);
}

describe("bootstrap building blocks", () => {
  test("statistics of counts equal NumPy-style statistics of the expanded multiset", () => {
    const values = randomValues(257, 1);
    const sample = buildSample(values.map((v) => Float64Array.of(v)));
    const rng = createRng(2);
    for (let trial = 0; trial < 20; trial++) {
      const counts = new Uint32Array(sample.sorted.length).map(() => rng.int(0, 3));
      const expanded: number[] = [];
      sample.sorted.forEach((v, i) => {
        for (let c = 0; c < counts[i]!; c++) expanded.push(v);
      });
      const ref = computeStats(expanded, [25, 99]);
      const [mean, median, p99, p25] = statisticsOfCounts(sample.sorted, counts, STATS);
      expect(mean!).toBeCloseTo(ref.mean, 9);
      expect(median!).toBeCloseTo(ref.median, 9);
      expect(p99!).toBeCloseTo(ref.percentiles.p99!, 9);
      expect(p25!).toBeCloseTo(ref.percentiles.p25!, 9);
    }
  });

  test("a sample keeps each unit's values together and maps them to their sorted positions", () => {
    const units = [Float64Array.of(5, 1, 3), Float64Array.of(2), Float64Array.of(4, 4)];
    const sample = buildSample(units);
    expect(Array.from(sample.sorted)).toEqual([1, 2, 3, 4, 4, 5]);
    expect(Array.from(sample.unitStart)).toEqual([0, 3, 4, 6]);
    const back = Array.from(sample.positions, (p) => sample.sorted[p]);
    expect(back).toEqual([5, 1, 3, 2, 4, 4]);
    expect(new Set(sample.positions).size).toBe(6); // ties take distinct slots
    expect(sample.thinned).toBe(false);
  });

  test("past the value budget the sample is thinned evenly, keeping the distribution", () => {
    const values = randomValues(50_000, 3);
    const sample = buildSample(values.map((v) => Float64Array.of(v)), 10_000);
    expect(sample.thinned).toBe(true);
    expect(sample.sorted.length).toBe(10_000);
    const full = computeStats(values, [50]);
    const thin = computeStats(sample.sorted, [50]);
    expect(Math.abs(thin.median - full.median) / full.median).toBeLessThan(0.03);
  });

  test("replicates are deterministic for a seed, and a constant sample has a zero-width interval", () => {
    const sample = buildSample(randomValues(100, 4).map((v) => Float64Array.of(v)));
    const a = bootstrapStatistics(sample, STATS, 500, createRng(7));
    const b = bootstrapStatistics(sample, STATS, 500, createRng(7));
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    const flat = buildSample(Array.from({ length: 50 }, () => Float64Array.of(3)));
    const d = differenceReplicates(flat, flat, [{ kind: "mean" }], { resamples: 1000, rng: createRng(1) })[0]!;
    expect(percentileInterval(d, 0.05)).toEqual([0, 0]);
  });

  test("the interval of a difference in means covers the true shift and excludes 0", () => {
    const rng = createRng(11);
    const side = (shift: number) => buildSample(Array.from({ length: 400 }, () => Float64Array.of(10 + shift + rng.normal())));
    const d = differenceReplicates(side(0), side(0.5), [{ kind: "mean" }], { resamples: 2000, rng: createRng(5) })[0]!;
    const [lo, hi] = percentileInterval(d, 0.05);
    expect(lo).toBeGreaterThan(0);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    // Standard error of a difference of two means of 400 N(0,1) values: sqrt(2/400) ≈ 0.0707; 95% half-width ≈ 0.139.
    expect(hi - lo).toBeGreaterThan(0.2);
    expect(hi - lo).toBeLessThan(0.36);
  });

  test("quantile ignores NaN and interpolates linearly", () => {
    expect(quantile(Float64Array.of(4, NaN, 1, 3, 2), 50)).toBe(2.5);
    expect(quantile(Float64Array.of(NaN), 50)).toBeNaN();
  });
});

describe("Student t", () => {
  test("97.5% quantiles match the published table", () => {
    const table: [number, number][] = [[1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [9, 2.2622], [29, 2.0452], [120, 1.9799]];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 4);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.0321, 4);
    expect(studentTQuantile(0.025, 3)).toBeCloseTo(-3.1824, 4);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
  });
});

describe("compare edge cases", () => {
  test("a side without successful requests has no latency verdicts (not an 'improvement' to 0 ms)", async () => {
    const { compareScenario } = await import("../../src/analysis/compare.ts");
    const { toLoadedRun } = await import("../../src/analysis/normalize.ts");
    const doc = (ok: boolean) => ({
      completed: ok ? 3 : 0, failed: ok ? 0 : 3, duration: 1, output_throughput: ok ? 30 : 0, request_throughput: ok ? 3 : 0, total_token_throughput: ok ? 60 : 0,
      mean_ttft_ms: ok ? 50 : 0, median_ttft_ms: ok ? 50 : 0, p99_ttft_ms: ok ? 60 : 0,
      ttfts: ok ? [0.04, 0.05, 0.06] : [0, 0, 0], itls: ok ? [[0.01], [0.01], [0.01]] : [[], [], []], output_lens: ok ? [2, 2, 2] : [0, 0, 0],
      errors: ok ? ["", "", ""] : ["http: 500", "http: 500", "http: 500"],
    });
    const base = toLoadedRun(doc(true), "vllm", "/a.json", 0);
    const cand = toLoadedRun(doc(false), "vllm", "/b.json", 0);
    const c = compareScenario("x", [base], [cand]);
    const ttft = c.metrics.find((m) => m.key === "ttft_mean")!;
    expect(ttft.verdict).toBe("n/a");
    expect(c.metrics.find((m) => m.key === "success_rate")!.verdict).toBe("regressed");
    expect(c.verdict).toBe("regressed");
  });
});

describe("throughput replay", () => {
  const docOf = (durationsS: number[], extra: Record<string, unknown>) => ({
    completed: durationsS.length, failed: 0, duration: 10, output_throughput: 4, request_throughput: 0.4, total_token_throughput: 8,
    ttfts: durationsS.map(() => 0.5), itls: durationsS.map((d) => [d - 0.5]), output_lens: durationsS.map(() => 10), input_lens: durationsS.map(() => 10), errors: durationsS.map(() => ""),
    ...extra,
  });

  test("replays a closed loop through its concurrency slots and an open loop at its send times", async () => {
    const { replayable } = await import("../../src/analysis/throughput-replay.ts");
    const { toLoadedRun } = await import("../../src/analysis/normalize.ts");
    // 2 slots: requests of 1 and 2 s start at 0; the 3 s one when the first slot frees (1 → 4), the 4 s one at 2 (→ 6).
    const closed = replayable(toLoadedRun(docOf([1, 2, 3, 4], { request_rate: "inf", max_concurrency: 2 }), "vllm", "/c.json", 0))!;
    expect(closed.baseS).toBeCloseTo(6, 9);
    // Sent at 0, 0.5, 1, 1.5 with no limit: the last ends at 1.5 + 4.
    const open = replayable(toLoadedRun(docOf([1, 2, 3, 4], { request_rate: 2, max_concurrency: null, start_times: [100, 100.5, 101, 101.5] }), "vllm", "/o.json", 0))!;
    expect(open.baseS).toBeCloseTo(5.5, 9);
    // A rate-limited run without send times cannot be replayed.
    expect(replayable(toLoadedRun(docOf([1, 2], { request_rate: 2 }), "vllm", "/n.json", 0))).toBeNull();
  });

  test("identical requests give replicates equal to the measured throughputs", async () => {
    const { throughputReplicates } = await import("../../src/analysis/throughput-replay.ts");
    const { toLoadedRun } = await import("../../src/analysis/normalize.ts");
    const run = toLoadedRun(docOf([2, 2, 2, 2, 2, 2], { request_rate: "inf", max_concurrency: 2 }), "vllm", "/s.json", 0);
    const reps = throughputReplicates(run, 200, createRng(1))!;
    for (const v of reps.output_throughput) expect(v).toBeCloseTo(4, 9);
    for (const v of reps.total_token_throughput) expect(v).toBeCloseTo(8, 9);
  });
});
