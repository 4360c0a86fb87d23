/**
 * Merge's checks and the records file read back, on shard directories
 * written by hand (the end-to-end test runs real shards: test/e2e/shards.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { recordToJsonLine } from "../../src/results/record-log.ts";
import { parseRecordLine } from "../../src/results/record-line.ts";
import { loadShard, shardScenarioDirs } from "../../src/run/shard-load.ts";
import { checkBelongTogether, checkScenarioShards, unionRecords } from "../../src/run/shard-merge.ts";
import type { RequestRecord } from "../../src/base/request-types.ts";
import { sampleRecord } from "../helpers/records.ts";
import { tempDir, vbench } from "../helpers/vbench.ts";
import { testScenario } from "../helpers/scenario.ts";
import { thrown } from "../helpers/errors.ts";

function failedRecord(index: number): RequestRecord {
  return { ...sampleRecord(index), success: false, chunkAtMs: new Float64Array(0), endAtMs: NaN, outputTokens: 0, error: { category: "http", message: "HTTP 500", status: 500, body: "boom" } };
}

describe("requests.jsonl read back", () => {
  test("every field a line carries comes back as it was, NaN times included", () => {
    const records: RequestRecord[] = [
      { ...sampleRecord(3), serverInputTokens: 11, finishReason: "length" },
      { ...sampleRecord(6), resent: 1, firstSentAtMs: 5.5 },
      failedRecord(4),
      { ...sampleRecord(5), dispatchedAtMs: NaN, sentAtMs: NaN, success: false, chunkAtMs: new Float64Array(0), endAtMs: NaN, error: { category: "cancelled", message: "run interrupted" } },
    ];
    for (const r of records) {
      const back = parseRecordLine(recordToJsonLine(r, 1_000_000));
      expect(back).not.toBeNull();
      expect(back!.record).toEqual(r);
      expect(back!.sentEpochMs).toBe(Number.isNaN(r.sentAtMs) ? NaN : 1_000_000 + r.sentAtMs);
    }
  });

  test("a torn line (a killed process) is not a record", () => {
    expect(parseRecordLine(recordToJsonLine(sampleRecord(1)).slice(0, 40))).toBeNull();
  });
});

interface FakeShard {
  index: number;
  count?: number;
  runId?: string;
  hash?: string;
  seed?: number;
  records?: RequestRecord[];
  t0EpochMs?: number;
}

/** A shard's output directory as `vbench run --shard` leaves it when it dies: shard.json and requests.jsonl only. */
function writeShard(root: string, s: FakeShard): string {
  const out = join(root, `shard-${s.index}-${Math.random().toString(36).slice(2, 6)}`);
  const dir = join(out, "scenario_sc_20260101_000000");
  mkdirSync(dir, { recursive: true });
  const scenario = JSON.parse(JSON.stringify({ ...testScenario({ name: "sc", maxConcurrency: null }), requestRate: "inf" }));
  const manifest = { schema: "vbench.shard/1", run_id: s.runId ?? "r1", label: "sc", variant: "", shard: { index: s.index, count: s.count ?? 3 }, config_hash: s.hash ?? "h1", seed: s.seed ?? 0, start_at: null, tool_version: "t", started_at: "2026-01-01T00:00:00.000Z", timestamp: "20260101_000000", scenario };
  writeFileSync(join(dir, "shard.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "requests.jsonl"), (s.records ?? []).map((r) => recordToJsonLine(r, s.t0EpochMs ?? 1000) + "\n").join("") + '{"index": 9, "torn');
  return out;
}

function load(dirs: string[]) {
  return dirs.flatMap(shardScenarioDirs).map(loadShard);
}

describe("which shards belong together", () => {
  const root = tempDir("vbench-merge-");

  test("a different run id, seed or shard count is refused, naming both shards", () => {
    for (const [field, odd] of [["run id", { runId: "r2" }], ["seed", { seed: 5 }], ["shard count N", { count: 4 }]] as const) {
      const shards = load([writeShard(root, { index: 0 }), writeShard(root, { index: 1, ...odd })]);
      const e = thrown(() => checkBelongTogether(shards));
      expect(e.message).toContain(field);
      expect(e.message).toContain(shards[0]!.dir);
      expect(e.message).toContain(shards[1]!.dir);
    }
  });

  test("a different config hash, or the same shard twice, is refused", () => {
    const odd = load([writeShard(root, { index: 0 }), writeShard(root, { index: 1, hash: "h2" })]);
    expect(thrown(() => checkScenarioShards("sc", odd)).message).toContain("config hash");
    const twice = load([writeShard(root, { index: 1 }), writeShard(root, { index: 1 })]);
    const e = thrown(() => checkScenarioShards("sc", twice));
    expect(e.message).toContain("shard 1/3");
    expect(e.message).toContain("given twice");
  });

  test("the missing shard is named", () => {
    expect(checkScenarioShards("sc", load([writeShard(root, { index: 0 }), writeShard(root, { index: 2 })]))).toEqual([1]);
  });

  test("a shard that died is read from requests.jsonl; shards are placed by their wall-clock t0", () => {
    const shards = load([writeShard(root, { index: 0, records: [sampleRecord(0), sampleRecord(2)], t0EpochMs: 5000 }), writeShard(root, { index: 1, records: [sampleRecord(1)], t0EpochMs: 5010 })]);
    expect(shards.map((s) => [s.t0Source, s.t0EpochMs, s.badLines, s.client])).toEqual([["records", 5000, 1, null], ["records", 5010, 1, null]]);
    const merged = unionRecords("sc", shards);
    expect(merged.t0EpochMs).toBe(5000);
    expect(merged.records.map((r) => [r.index, r.sentAtMs])).toEqual([[0, 0], [1, 11], [2, 2]]);
  });

  test("vbench merge says when shards had no common start, and by how much their schedules were apart", async () => {
    const dirs = [writeShard(root, { index: 0, records: [sampleRecord(0)], t0EpochMs: 5000 }), writeShard(root, { index: 1, records: [sampleRecord(1)], t0EpochMs: 5010 }), writeShard(root, { index: 2, records: [sampleRecord(2)], t0EpochMs: 5004 })];
    const out = await vbench(["merge", ...dirs, "--output-dir", join(root, "merged"), "--export", "json"]);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain("the shards had no common start (--start-at); their schedules began 10.0 ms apart");
    expect(out.stderr).toContain("shard 0/3: 1 records from no result file (the shard died or was stopped): merged from requests.jsonl; 1 unreadable line(s) skipped");
  });

  test("a re-sent request's first send moves with its shard's t0, like its other times", () => {
    const resent = { ...sampleRecord(1), resent: 1, firstSentAtMs: 0.5 };
    const merged = unionRecords("sc", load([writeShard(root, { index: 0, records: [sampleRecord(0)], t0EpochMs: 5000 }), writeShard(root, { index: 1, records: [resent], t0EpochMs: 5010 })]));
    expect(merged.records.map((r) => [r.index, r.sentAtMs, r.firstSentAtMs, r.resent])).toEqual([[0, 0, undefined, undefined], [1, 11, 10.5, 1]]);
  });

  test("one request recorded by two shards is refused", () => {
    const shards = load([writeShard(root, { index: 0, records: [sampleRecord(0)] }), writeShard(root, { index: 1, records: [sampleRecord(0)] })]);
    expect(thrown(() => unionRecords("sc", shards)).message).toContain("request 0");
  });
});
