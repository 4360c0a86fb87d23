import { describe, expect, test } from "bun:test";
import { formatProgress } from "../../src/base/progress.ts";

describe("time-bound progress", () => {
  const counters = { done: 10, failed: 0, total: 3 };

  test("while dispatching: whole seconds elapsed of the duration", () => {
    expect(formatProgress(counters, 2.6, true)).toBe("10 done [00:02 of 00:03, 3.85 req/s]");
  });

  test("past the duration it says it is draining, never more elapsed than the duration", () => {
    expect(formatProgress(counters, 4.2, true)).toBe("10 done [00:03 of 00:03, draining 00:01, 2.38 req/s]");
    expect(formatProgress({ ...counters, failed: 2 }, 3, true)).toBe("10 done, 2 failed [00:03 of 00:03, draining 00:00, 3.33 req/s]");
  });
});

test("count-bound progress keeps its bar", () => {
  expect(formatProgress({ done: 5, failed: 0, total: 10 }, 5, false)).toBe(" 50%|████████████            | 5/10 [00:05<00:05, 1.00 req/s]");
});

test("requests cancelled by an interruption are counted apart from failures", () => {
  expect(formatProgress({ done: 8, failed: 1, cancelled: 3, total: 10 }, 4, false)).toBe(` 80%|${"█".repeat(19)}     | 8/10, 1 failed, 3 cancelled [00:04<00:01, 2.00 req/s]`);
  expect(formatProgress({ done: 4, failed: 0, cancelled: 4, total: 3 }, 3, true)).toBe("4 done, 4 cancelled [00:03 of 00:03, draining 00:00, 1.33 req/s]");
});
