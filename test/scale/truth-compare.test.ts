import { describe, expect, test } from "bun:test";
import { compareWithTruth, timingFromJsonLine, type MeasuredTiming, type TrueTiming } from "../../src/results/truth-compare.ts";

const m = (requestId: string, sentAtMs: number, chunkAtMs: number[], success = true): MeasuredTiming => ({ requestId, success, sentAtMs, chunkAtMs: Float64Array.from(chunkAtMs) });
const t = (requestId: string, receivedAtMs: number, chunkAtMs: number[]): TrueTiming => ({ requestId, receivedAtMs, chunkAtMs });

describe("compareWithTruth", () => {
  test("matches by request id regardless of order and clock origin", () => {
    // Client clock starts at 0, server clock at 5000: only durations are compared.
    const measured = [m("b", 10, [62, 73, 83]), m("a", 0, [51, 61, 71])];
    const truth = [t("a", 5000.5, [5050.5, 5060.5, 5070.5]), t("b", 5010.5, [5060.5, 5070.5, 5080.5])];
    const c = compareWithTruth(measured, truth);
    expect(c.matched).toBe(2);
    expect(c.missingFromTruth).toBe(0);
    expect(c.chunkCountMismatch).toBe(0);
    expect(c.gaps).toBe(4);
    // a: measured 51 vs true 50 → +1; b: measured 52 vs true 50 → +2.
    expect(c.measuredMeanTtftMs).toBeCloseTo(51.5, 9);
    expect(c.trueMeanTtftMs).toBeCloseTo(50, 9);
    expect(c.ttftErrorMs.mean).toBeCloseTo(1.5, 9);
    expect(c.ttftErrorMs.max).toBeCloseTo(2, 9);
    // Gaps: a 10,10 vs 10,10; b 11,10 vs 10,10 → means 10.25 vs 10.
    expect(c.measuredMeanItlMs).toBeCloseTo(10.25, 9);
    expect(c.trueMeanItlMs).toBeCloseTo(10, 9);
    expect(c.itlErrorMs).toBeCloseTo(0.25, 9);
    // Later chunks' extra delay relative to the first: a 0,0; b +1,+1.
    expect(c.chunkDelayErrorMs.mean).toBeCloseTo(0.5, 9);
    expect(c.chunkDelayErrorMs.max).toBeCloseTo(1, 9);
  });

  test("failed, unknown and differently-chunked requests are counted and left out of every figure", () => {
    const measured = [m("ok", 0, [50, 60]), m("failed", 0, [10], false), m("ghost", 0, [500, 900]), m("split", 0, [50, 55, 60])];
    const truth = [t("ok", 0, [50, 60]), t("failed", 0, [10]), t("split", 0, [50, 60]), t("", 0, [1])];
    const c = compareWithTruth(measured, truth);
    expect(c.matched).toBe(1);
    expect(c.missingFromTruth).toBe(1);
    expect(c.chunkCountMismatch).toBe(1);
    expect(c.ttftErrorMs.mean).toBe(0);
    expect(c.itlErrorMs).toBe(0);
  });

  test("nothing matched gives NaN figures, not zeros that look like perfect accuracy", () => {
    const c = compareWithTruth([m("x", 0, [1])], []);
    expect(c.matched).toBe(0);
    expect(Number.isNaN(c.ttftErrorMs.mean)).toBe(true);
    expect(Number.isNaN(c.itlErrorMs)).toBe(true);
  });

  test("reads requests.jsonl lines", () => {
    const line = JSON.stringify({ index: 0, request_id: "run-s-0", success: true, error: null, sent_ms: 1.5, chunk_ms: [52, 62.5], done_ms: 63 });
    expect(timingFromJsonLine(line)).toEqual({ requestId: "run-s-0", success: true, sentAtMs: 1.5, chunkAtMs: [52, 62.5] });
  });
});
