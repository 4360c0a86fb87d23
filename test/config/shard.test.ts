/** Sharded runs: who is which shard, its slice of the schedule, its share of the concurrency limit. */
import { describe, expect, test } from "bun:test";
import { configHash, indexMap, parseShard, parseStartAt, shardConcurrency, shardOptions } from "../../src/config/shard.ts";
import { arraySchedule, atStart, strided } from "../../src/engine/schedule.ts";
import { testScenario } from "../helpers/scenario.ts";
import { thrown } from "../helpers/errors.ts";

describe("which shard this process is", () => {
  test("--shard wins over VBENCH_SHARD, which wins over JOB_COMPLETION_INDEX with VBENCH_SHARDS", () => {
    const env = { VBENCH_SHARD: "1/4", JOB_COMPLETION_INDEX: "2", VBENCH_SHARDS: "4", VBENCH_RUN_ID: "r1" };
    expect(shardOptions({ shard: "0/4" }, env).shard).toEqual({ index: 0, count: 4 });
    expect(shardOptions({}, env).shard).toEqual({ index: 1, count: 4 });
    expect(shardOptions({}, { JOB_COMPLETION_INDEX: "2", VBENCH_SHARDS: "4", VBENCH_RUN_ID: "r1" }).shard).toEqual({ index: 2, count: 4 });
  });

  test("an Indexed Job without VBENCH_SHARDS is not sharded; VBENCH_SHARDS without an index is an error", () => {
    expect(shardOptions({}, { JOB_COMPLETION_INDEX: "2" }).shard).toBeNull();
    expect(thrown(() => shardOptions({}, { VBENCH_SHARDS: "3", VBENCH_RUN_ID: "r" })).message).toContain("JOB_COMPLETION_INDEX is not");
  });

  test("bad shard text is refused with the source named", () => {
    for (const text of ["3/3", "1", "-1/3", "a/b", "0/0"]) {
      const e = thrown(() => parseShard(text, "--shard"));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain("--shard");
    }
  });

  test("a shard needs the shared run id", () => {
    const e = thrown(() => shardOptions({ shard: "0/2" }, {}));
    expect(e.message).toContain("run id");
    expect(e.hint).toContain("--run-id");
    expect(shardOptions({ shard: "0/2", runId: "bench-1" }, {}).runId).toBe("bench-1");
    expect(thrown(() => shardOptions({ runId: "has space" }, {})).message).toContain("run id");
  });
});

describe("--start-at", () => {
  test("RFC 3339 UTC instants, with or without fractions", () => {
    expect(parseStartAt("2026-12-02T16:30:00Z", "x")).toBe(Date.UTC(2026, 11, 2, 16, 30, 0));
    expect(parseStartAt("2026-12-02T16:30:00.250Z", "x")).toBe(Date.UTC(2026, 11, 2, 16, 30, 0) + 250);
    expect(parseStartAt("2026-12-02T16:30:00+00:00", "x")).toBe(Date.UTC(2026, 11, 2, 16, 30, 0));
  });

  test("local offsets, dates that do not exist and other formats are refused", () => {
    for (const text of ["2026-12-02T16:30:00+01:00", "2026-02-30T00:00:00Z", "2026-12-02 16:30", "tomorrow", "2026-12-02T24:00:00Z"]) {
      expect(thrown(() => parseStartAt(text, "VBENCH_START_AT")).message).toContain("VBENCH_START_AT");
    }
  });
});

describe("a shard's share", () => {
  test("max_concurrency splits so the shards' limits add up to it", () => {
    for (const [c, n] of [[10, 3], [8, 4], [7, 7], [100, 6]] as const) {
      const limits = Array.from({ length: n }, (_, index) => shardConcurrency(c, { index, count: n })!);
      expect(limits.reduce((a, b) => a + b, 0)).toBe(c);
      expect(Math.max(...limits) - Math.min(...limits)).toBeLessThanOrEqual(1);
    }
    expect(shardConcurrency(10, { index: 0, count: 3 })).toBe(4);
    expect(shardConcurrency(10, { index: 2, count: 3 })).toBe(3);
    expect(shardConcurrency(null, { index: 0, count: 3 })).toBeNull();
  });

  test("fewer slots than shards is a configuration error", () => {
    const e = thrown(() => shardConcurrency(2, { index: 0, count: 3 }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("3 shards");
  });

  test("shard I sends global requests I, I+N, ... at their global offsets, and the shards cover every request once", () => {
    const offsets = Float64Array.from({ length: 11 }, (_, i) => i * 10);
    const share = (index: number, s = arraySchedule(offsets)) => strided(s, indexMap({ index, count: 3 }));
    expect(Array.from(share(1).offsets())).toEqual([10, 40, 70, 100]);
    expect(Array.from(share(2).offsets())).toEqual([20, 50, 80]);
    expect([0, 1, 2].map((index) => share(index).count)).toEqual([4, 4, 3]);
    expect(strided(atStart(2), indexMap({ index: 2, count: 3 })).count).toBe(0);
    expect(indexMap(null)).toBeUndefined();
  });
});

describe("config fingerprint", () => {
  test("equal for equal scenarios whatever the key order or exporters; different when a number changes", () => {
    const a = testScenario({ requestRate: 10 });
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
    expect(configHash(reordered)).toBe(configHash(a));
    expect(configHash({ ...a, exporters: ["csv"] })).toBe(configHash(a));
    expect(configHash({ ...a, requestRate: 11 })).not.toBe(configHash(a));
    expect(configHash({ ...a, requestRate: Infinity })).not.toBe(configHash({ ...a, burstiness: Infinity }));
  });
});
