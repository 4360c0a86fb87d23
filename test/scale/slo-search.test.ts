import { describe, expect, test } from "bun:test";
import { bisectPoint, roundRate, searchHighestPassing, validateBounds, type SearchBounds } from "../../src/run/slo-search.ts";

/** A fake server that holds its SLOs up to `capacity` (inclusive). */
function fake(capacity: number) {
  const tried: number[] = [];
  const evaluate = async (value: number) => {
    tried.push(value);
    return { passed: value <= capacity, result: { value } };
  };
  return { tried, evaluate };
}

const rate: SearchBounds = { min: 1, max: 10_000, integer: false, maxSteps: 20, tolerance: 0.05 };
const conc: SearchBounds = { min: 1, max: 4096, integer: true, maxSteps: 20, tolerance: 0.05 };

describe("searchHighestPassing", () => {
  test("rates: doubles until the first failure, then bisects to within the tolerance", async () => {
    const f = fake(37);
    const out = await searchHighestPassing(f.evaluate, rate);
    expect(f.tried).toEqual([1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 38, 37]);
    expect(out.best).toBe(37);
    expect(out.firstFailure).toBe(38);
    expect(out.stoppedBy).toBe("converged");
    expect(out.steps.map((s) => s.phase)).toEqual(["grow", "grow", "grow", "grow", "grow", "grow", "grow", "bisect", "bisect", "bisect", "bisect", "bisect"]);
    expect(out.steps.map((s) => s.passed)).toEqual([true, true, true, true, true, true, false, false, false, true, false, true]);
    // Every bisection point lies strictly inside the bracket known at that time.
    expect((out.firstFailure! - out.best!) / out.best!).toBeLessThanOrEqual(0.05);
  });

  test("concurrency: whole numbers, converged when the bracket is one wide", async () => {
    const f = fake(100);
    const out = await searchHighestPassing(f.evaluate, conc);
    expect(f.tried).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 96, 112, 104, 100, 102, 101]);
    expect(out).toMatchObject({ best: 100, firstFailure: 101, stoppedBy: "converged" });
    expect(f.tried.every(Number.isInteger)).toBe(true);
  });

  test("the same verdicts give the same walk (deterministic)", async () => {
    const a = fake(555);
    const b = fake(555);
    await searchHighestPassing(a.evaluate, rate);
    await searchHighestPassing(b.evaluate, rate);
    expect(a.tried).toEqual(b.tried);
  });

  test("a failing minimum stops at once with no passing point", async () => {
    const f = fake(0.5);
    const out = await searchHighestPassing(f.evaluate, rate);
    expect(f.tried).toEqual([1]);
    expect(out).toMatchObject({ best: null, firstFailure: 1, stoppedBy: "min-failed" });
  });

  test("passing at max stops there without trying beyond it", async () => {
    const f = fake(Infinity);
    const out = await searchHighestPassing(f.evaluate, { ...conc, max: 20 });
    expect(f.tried).toEqual([1, 2, 4, 8, 16, 20]);
    expect(out).toMatchObject({ best: 20, firstFailure: null, stoppedBy: "max-passed" });
  });

  test("max-steps bounds the number of runs and reports the bracket reached", async () => {
    const f = fake(37);
    const out = await searchHighestPassing(f.evaluate, { ...rate, maxSteps: 8 });
    expect(f.tried).toHaveLength(8);
    expect(out).toMatchObject({ best: 32, firstFailure: 48, stoppedBy: "max-steps" });
  });

  test("an abort during a step reports the bracket before it, marked interrupted", async () => {
    const controller = new AbortController();
    const tried: number[] = [];
    const out = await searchHighestPassing(
      async (value) => {
        tried.push(value);
        if (value === 8) controller.abort();
        return { passed: true, result: value };
      },
      rate,
      () => {},
      controller.signal,
    );
    expect(tried).toEqual([1, 2, 4, 8]);
    expect(out).toMatchObject({ best: 4, firstFailure: null, stoppedBy: "interrupted" });
    expect(out.steps).toHaveLength(4);
  });

  test("onStep sees every step in order", async () => {
    const f = fake(5);
    const seen: number[] = [];
    await searchHighestPassing(f.evaluate, conc, (s) => seen.push(s.value));
    expect(seen).toEqual(f.tried);
  });
});

describe("helpers", () => {
  test("roundRate keeps 3 significant digits", () => {
    expect(roundRate(37.4999)).toBe(37.5);
    expect(roundRate(1234.5)).toBe(1230);
    expect(roundRate(0.123456)).toBe(0.123);
  });

  test("bisectPoint: null once the bracket is narrow enough", () => {
    expect(bisectPoint(100, 104, { integer: false, tolerance: 0.05 })).toBeNull();
    expect(bisectPoint(100, 110, { integer: false, tolerance: 0.05 })).toBe(105);
    expect(bisectPoint(7, 8, { integer: true, tolerance: 0.05 })).toBeNull();
    expect(bisectPoint(7, 10, { integer: true, tolerance: 0.05 })).toBe(8);
  });

  test("validateBounds lists every problem", () => {
    expect(validateBounds(rate)).toEqual([]);
    const problems = validateBounds({ min: 0, max: -1, integer: true, maxSteps: 0, tolerance: 2 });
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(problems.join("\n")).toContain("--max-steps");
    expect(validateBounds({ ...conc, min: 1.5 })[0]).toContain("whole numbers");
  });
});
