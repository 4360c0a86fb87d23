import { describe, expect, test } from "bun:test";
import { buildSchedule, openSchedule, rampRate, releasedBy, runSchedule, strided } from "../../src/engine/schedule.ts";

const base = { count: 1000, rateRps: 10, burstiness: 1, rampUp: null, seed: 0 };

describe("buildSchedule", () => {
  test("infinite rate releases every request at t0", () => {
    const offsets = buildSchedule({ ...base, rateRps: Infinity });
    expect(offsets.length).toBe(1000);
    expect(offsets.every((o) => o === 0)).toBe(true);
  });

  test("finite rate: last arrival at exactly N/r, non-decreasing, first after one gap", () => {
    const offsets = buildSchedule(base);
    expect(offsets[999]).toBeCloseTo(100_000, 6);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(offsets[0]!).toBeGreaterThan(0);
  });

  test("Poisson gaps have mean 1/r and coefficient of variation near 1", () => {
    const offsets = buildSchedule({ ...base, count: 20000, rateRps: 100 });
    const gaps = Array.from(offsets, (o, i) => (i === 0 ? o : o - offsets[i - 1]!));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  test("higher burstiness is more regular: CV = 1/sqrt(b)", () => {
    const offsets = buildSchedule({ ...base, count: 20000, burstiness: 4 });
    const gaps = Array.from(offsets, (o, i) => (i === 0 ? o : o - offsets[i - 1]!));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.47);
    expect(sd / mean).toBeLessThan(0.53);
  });

  test("infinite burstiness gives constant gaps of 1/r", () => {
    const offsets = buildSchedule({ ...base, count: 5, rateRps: 4, burstiness: Infinity });
    expect(Array.from(offsets)).toEqual([250, 500, 750, 1000, 1250]);
  });

  test("same seed, same schedule; another seed, another schedule", () => {
    expect(buildSchedule(base)).toEqual(buildSchedule(base));
    expect(buildSchedule(base)).not.toEqual(buildSchedule({ ...base, seed: 1 }));
  });

  test("ramp-up interpolates the rate by i/(N-1) and is not rescaled", () => {
    const ramp = { strategy: "linear" as const, startRps: 1, endRps: 11 };
    expect(rampRate(ramp, 0, 11)).toBe(1);
    expect(rampRate(ramp, 5, 11)).toBe(6);
    expect(rampRate(ramp, 10, 11)).toBe(11);
    const exp = { strategy: "exponential" as const, startRps: 1, endRps: 100 };
    expect(rampRate(exp, 5, 11)).toBeCloseTo(10, 10);
    const offsets = buildSchedule({ ...base, count: 11, burstiness: Infinity, rampUp: ramp });
    const expected: number[] = [];
    let t = 0;
    for (let i = 0; i < 11; i++) expected.push((t += 1000 / (1 + i)));
    offsets.forEach((o, i) => expect(o).toBeCloseTo(expected[i]!, 9));
  });
});

describe("time-bound ramp-up", () => {
  test("with a duration the rate follows time and arrivals stop at the duration", () => {
    const ramp = { strategy: "linear" as const, startRps: 1, endRps: 100 };
    const offsets = buildSchedule({ count: 2_000_000, rateRps: Infinity, burstiness: Infinity, rampUp: ramp, seed: 0, durationS: 10 });
    // Integral of 1 + 9.9 t over 10 s = 505 arrivals (constant gaps: within a couple of requests).
    expect(offsets.length).toBeGreaterThan(495);
    expect(offsets.length).toBeLessThan(510);
    expect(offsets[offsets.length - 1]!).toBeLessThanOrEqual(10_000);
    const firstSecond = offsets.filter((o) => o < 1000).length;
    const lastSecond = offsets.filter((o) => o >= 9000).length;
    expect(firstSecond).toBeLessThan(8);
    expect(lastSecond).toBeGreaterThan(90);
  });
});

describe("a generated schedule, walked in order", () => {
  test("gives the same offsets as the whole array, across chunks, after forgetting, and from a spec in another place", () => {
    const options = { count: 20_000, rateRps: 50, burstiness: 1, rampUp: null, seed: 4 };
    const whole = buildSchedule(options);
    const walked = runSchedule(options);
    expect(walked.spec.type).toBe("rate");
    for (let i = 0; i < 20_000; i += 7) expect(walked.at(i)).toBe(whole[i]!);
    walked.forgetBelow(15_000);
    // Asked again for a forgotten chunk: generated again, the same bits.
    expect(walked.at(3)).toBe(whole[3]!);
    const elsewhere = openSchedule(walked.spec);
    expect(elsewhere.at(19_999)).toBe(whole[19_999]!);
    expect(whole[19_999]).toBeCloseTo(400_000, 6); // N/r, rescaled
  });

  test("a billion requests at a finite rate: nothing is drawn ahead, the gaps are not rescaled", () => {
    const schedule = runSchedule({ count: 1_000_000_000, rateRps: 100, burstiness: 1, rampUp: null, seed: 4 });
    expect(schedule.count).toBe(1_000_000_000);
    expect(schedule.spec).toMatchObject({ type: "rate", factor: 1 });
    expect(schedule.at(1000)).toBeGreaterThan(schedule.at(999));
    expect(releasedBy(schedule, schedule.at(1000), 0)).toBe(1001);
  });

  test("a shard's share of a generated schedule is every N-th offset", () => {
    const options = { count: 10_000, rateRps: 20, burstiness: 2, rampUp: null, seed: 1 };
    const whole = buildSchedule(options);
    const share = strided(runSchedule(options), { first: 2, step: 3 });
    expect(share.count).toBe(3333);
    expect(share.at(3332)).toBe(whole[2 + 3 * 3332]!);
    expect(openSchedule(share.spec).at(100)).toBe(whole[302]!);
  });
});
