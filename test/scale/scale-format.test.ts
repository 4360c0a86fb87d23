import { describe, expect, test } from "bun:test";
import { calibrateMisses, targetMisses, type ScaleResult } from "../../bench/scale-format.ts";

/** A run with the given client − wire errors (ms) and probe p99; only the fields targetMisses reads. */
function run(streams: number, meanTtft: number, p99Ttft: number, p99Itl: number, probeP99: number, floor = false): ScaleResult {
  const wire = { mean: 50, p99: 60 };
  return {
    spec: { streams },
    comparison: {
      clientTtftMs: { mean: wire.mean + meanTtft, p99: wire.p99 + p99Ttft },
      wireTtftMs: wire,
      clientItlMs: { p99: 40 + p99Itl },
      wireItlMs: { p99: 40 },
    },
    client: floor ? null : { event_loop_lag_ms: { p99: probeP99 } },
    floorProbeMs: floor ? { p99: probeP99 } : null,
  } as unknown as ScaleResult;
}

describe("issue #17's bounds per run", () => {
  test("1024 streams: 1 ms on mean TTFT, p99 TTFT and p99 ITL, and the probe's p99 under 1 ms", () => {
    expect(targetMisses(run(1024, 0.3, 0.2, 0.9, 0.8))).toEqual([]);
    expect(targetMisses(run(1024, 0.3, 0.2, 1.38, 0.8))).toEqual(["p99 ITL +1.38 ms"]);
    expect(targetMisses(run(1024, 0.3, 0.2, 0.5, 1.6))).toEqual(["probe p99 1.60 ms"]);
    // A floor client's probe is judged the same way.
    expect(targetMisses(run(1024, 0.1, 0.1, 0.1, 1.2, true))).toEqual(["probe p99 1.20 ms"]);
    // An error below the wire by more than the bound misses too.
    expect(targetMisses(run(1024, -1.2, 0.2, 0.5, 0.5))).toEqual(["mean TTFT -1.20 ms"]);
  });

  test("4096 streams: 2 ms on the three figures, the probe not judged", () => {
    expect(targetMisses(run(4096, 1.42, 0.11, 1.81, 1.23))).toEqual([]);
    expect(targetMisses(run(4096, 1.03, 4.27, 0.89, 1.03))).toEqual(["p99 TTFT +4.27 ms"]);
  });
});

describe("calibrate's criterion per run (--steady)", () => {
  const steady = (meanTtft: number, meanItl: number, failed = 0, missing = 0) =>
    ({
      spec: { streams: 4096, rate: 1600 },
      failed,
      comparison: { clientTtftMs: { mean: 50 + meanTtft }, wireTtftMs: { mean: 50 }, clientItlMs: { mean: 170 + meanItl }, wireItlMs: { mean: 170 }, missing },
    }) as unknown as ScaleResult;
  test("mean TTFT within 1 ms and mean ITL within 0.2 ms, every request seen", () => {
    expect(calibrateMisses(steady(0.61, -0.02))).toEqual([]);
    expect(calibrateMisses(steady(1.06, 0.01))).toEqual(["mean TTFT +1.060 ms"]);
    expect(calibrateMisses(steady(0.5, 0.25))).toEqual(["mean ITL +0.250 ms"]);
    expect(calibrateMisses(steady(0.5, 0.1, 2, 0))).toEqual(["2 failed, 0 not seen on the wire"]);
  });
});
