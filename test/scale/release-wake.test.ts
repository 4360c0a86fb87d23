/**
 * bench/release-wake.ts measures what a release wake costs; its two
 * instruments must deliver every wake they time. Correctness only: the
 * figures are the bench's.
 */
import { expect, test } from "bun:test";
import { cWakeCost, vbenchWakeCost } from "../../bench/release-wake.ts";

const RATE = 1000;
const COUNT = 200;

test("the C clock wakes its receiver once per release", () => {
  const cost = cWakeCost(RATE, COUNT);
  if (typeof cost === "string") throw new Error(cost); // no C compiler: .ci/run installs gcc
  expect(cost.wakes).toBe(COUNT);
  expect(cost.clockUs).toBeGreaterThan(0);
  expect(cost.receiverUs).toBeGreaterThan(0);
});

test("vbench's release clock reaches the last release; late releases share a wake, none is woken twice", async () => {
  const cost = await vbenchWakeCost(RATE, COUNT);
  expect(cost.wakes).toBeGreaterThan(0);
  expect(cost.wakes).toBeLessThanOrEqual(COUNT);
  expect(cost.repeats).toBe(0);
  expect(Number.isFinite(cost.clockUs)).toBe(true);
  expect(cost.receiverUs).toBeGreaterThanOrEqual(0);
});
