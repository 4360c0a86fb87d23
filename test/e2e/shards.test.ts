/**
 * A sharded run end to end: the README's three shard processes of the
 * compiled binary with one common start against one `vbench mock`, merged,
 * then checked against what the shards recorded (computed here, not by the
 * code under test) and against an unsharded run of the same seed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { REPO, startMock, tempDir, vbench } from "../helpers/vbench.ts";
import { docBlock, localize, runScript } from "../container/doc-blocks.ts";

type Line = { index: number; request_id: string; success: boolean; sent_ms: number; sent_epoch_ms: number; chunk_ms: number[]; end_ms: number; output_tokens: number };

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) if (entry.endsWith(name)) return join(dir, entry);
  throw new Error(`${name} not found under ${dir}`);
}

function lines(dir: string): Line[] {
  return readFileSync(findFile(dir, "requests.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Line);
}

/** NumPy's default percentile (linear between closest ranks, numpy's own lerp), written out here on purpose. */
function numpyPercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  // As numpy: q = p / 100 first, then the virtual index q * (n - 1).
  const h = (p / 100) * (s.length - 1);
  const lo = Math.floor(h);
  if (lo >= s.length - 1) return s[s.length - 1]!;
  const t = h - lo;
  const a = s[lo]!;
  const b = s[lo + 1]!;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function numpyMedian(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** vLLM's per-request metrics from record lines. */
function series(records: Line[]): Record<"ttft" | "tpot" | "itl" | "e2el", number[]> {
  const out = { ttft: [] as number[], tpot: [] as number[], itl: [] as number[], e2el: [] as number[] };
  for (const r of records) {
    if (!r.success) continue;
    const ttft = r.chunk_ms[0]! - r.sent_ms;
    const e2el = r.end_ms - r.sent_ms;
    out.ttft.push(ttft);
    out.e2el.push(e2el);
    if (r.output_tokens > 1) out.tpot.push((e2el - ttft) / (r.output_tokens - 1));
    for (let k = 1; k < r.chunk_ms.length; k++) out.itl.push(r.chunk_ms[k]! - r.chunk_ms[k - 1]!);
  }
  return out;
}

async function truthBodies(mock: SpawnedMock, idPattern: RegExp): Promise<Map<string, string>> {
  const truth = (await (await fetch(`${mock.url}/_truth`)).json()) as { requestId: string; bodyHash: string }[];
  return new Map(truth.filter((t) => idPattern.test(t.requestId)).map((t) => [t.requestId, t.bodyHash]));
}

const N = 120;
const RUN = /^bench-1-sharded_rate_40-\d+$/;

describe("three shards with a common start, merged (the README's commands)", () => {
  let mock: SpawnedMock;
  let dir: string;
  let script: Awaited<ReturnType<typeof runScript>>;
  let shardBodies: Map<string, string>;

  beforeAll(async () => {
    mock = await startMock({ ttftMs: 20, itlMs: 4, jitterMs: 2 });
    dir = tempDir("vbench-shards-");
    mkdirSync(join(dir, "configs"));
    cpSync(join(REPO, "configs/sharded.json"), join(dir, "configs/sharded.json"));
    script = await runScript(localize(docBlock("shards-local"), { model: mock.url }), dir, { timeoutMs: 120_000 });
    shardBodies = await truthBodies(mock, RUN);
  }, 150_000);
  afterAll(async () => {
    await mock.stop();
  });

  const shardDir = (i: number) => join(dir, "results", `shard-${i}`);
  const merged = () => JSON.parse(readFileSync(findFile(join(dir, "results/merged"), "benchmark_results.json"), "utf8"));

  test("every shard waited for the start and sent its share; merge and analyze --check exit 0", () => {
    expect(script.code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const doc = JSON.parse(readFileSync(findFile(shardDir(i), "benchmark_results.json"), "utf8"));
      expect(doc.vbench.shard).toMatchObject({ index: i, count: 3, run_id: "bench-1", seed: 7 });
      expect(doc.completed).toBe(N / 3);
      // The schedule's t0 is the common start itself on every shard.
      expect(doc.vbench.t0_epoch_ms).toBe(Date.parse(doc.vbench.shard.start_at));
      for (const r of lines(shardDir(i))) expect(r.index % 3).toBe(i);
    }
    expect(script.stderr).toContain("Waiting for the common start");
  });

  test("the union of request ids is exactly 0..N-1, each once, in the shards and in the merged records", () => {
    const union = [0, 1, 2].flatMap((i) => lines(shardDir(i)).map((r) => r.request_id));
    expect(union.length).toBe(N);
    expect(new Set(union)).toEqual(new Set(Array.from({ length: N }, (_, i) => `bench-1-sharded_rate_40-${i}`)));
    expect(lines(join(dir, "results/merged")).map((r) => r.index)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(merged().completed).toBe(N);
  });

  test("every merged percentile equals the percentile over the union of the shards' requests.jsonl", () => {
    const union = [0, 1, 2].flatMap((i) => lines(shardDir(i)));
    const expected = series(union);
    const doc = merged();
    for (const m of ["ttft", "tpot", "itl", "e2el"] as const) {
      expect(expected[m].length).toBeGreaterThan(0);
      for (const p of [25, 50, 75, 90, 95, 99]) expect({ key: `p${p}_${m}_ms`, value: doc[`p${p}_${m}_ms`] }).toEqual({ key: `p${p}_${m}_ms`, value: numpyPercentile(expected[m], p) });
      expect(doc[`median_${m}_ms`]).toBe(numpyMedian(expected[m]));
      const mean = expected[m].reduce((a, b) => a + b, 0) / expected[m].length;
      expect(Math.abs(doc[`mean_${m}_ms`] - mean)).toBeLessThanOrEqual(1e-9 * Math.abs(mean));
    }
    // Duration: the common start to the last end on any shard.
    const lastEnd = Math.max(...union.map((r) => r.end_ms));
    expect(doc.duration).toBeGreaterThanOrEqual(lastEnd / 1000);
    expect(doc.vbench.merge).toMatchObject({ shards: 3, merged: [0, 1, 2], missing: [], partial: false, records_only: [] });
  });

  test("the merged files pass promtool and analyze --check", async () => {
    expect(script.stdout + script.stderr).not.toContain("Thresholds failed");
    const promtool = Bun.spawnSync(["/usr/bin/promtool", "check", "metrics"], { stdin: readFileSync(findFile(join(dir, "results/merged"), "metrics.prom")) });
    expect({ code: promtool.exitCode, out: promtool.stdout.toString() + promtool.stderr.toString() }).toEqual({ code: 0, out: "" });
    const check = await vbench(["analyze", join(dir, "results/merged"), "--check"]);
    expect(check.code).toBe(0);
  });

  test("the shards sent exactly the request bodies of an unsharded run with the same seed", async () => {
    expect(shardBodies.size).toBe(N);
    expect(new Set(shardBodies.values()).size).toBeGreaterThan(1);
    await fetch(`${mock.url}/_truth`, { method: "DELETE" });
    const single = await vbench(["run", "--config", join(dir, "configs/sharded.json"), "--base-url", mock.url, "--run-id", "bench-1", "--output-dir", join(dir, "single")]);
    expect(single.code).toBe(0);
    expect(await truthBodies(mock, RUN)).toEqual(shardBodies);
  }, 60_000);

  test("merge refuses a shard twice and names a missing one; --allow-partial marks the result partial", async () => {
    const twice = await vbench(["merge", shardDir(0), shardDir(1), shardDir(1), shardDir(2), "--output-dir", join(dir, "m1")]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("shard 1/3 of scenario \"sharded_rate_40\" is given twice");
    const missing = await vbench(["merge", shardDir(0), shardDir(2), "--output-dir", join(dir, "m2")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("shard 1/3 is missing (given: 0, 2)");
    const partial = await vbench(["merge", shardDir(0), shardDir(2), "--output-dir", join(dir, "m3"), "--allow-partial"]);
    expect(partial.code).toBe(0);
    const doc = JSON.parse(readFileSync(findFile(join(dir, "m3"), "benchmark_results.json"), "utf8"));
    expect(doc.vbench.merge).toMatchObject({ partial: true, missing: [1], merged: [0, 2] });
    expect(doc.completed).toBe((2 * N) / 3);
  });

  test("merge refuses a shard of another run or config, naming it", async () => {
    for (const [field, value, words] of [["run_id", "other", "run id"], ["config_hash", "0000", "config hash"]] as const) {
      const odd = join(dir, `odd-${field}`);
      cpSync(shardDir(2), odd, { recursive: true });
      const manifestPath = findFile(odd, "shard.json");
      writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, "utf8")), [field]: value }));
      const out = await vbench(["merge", shardDir(0), shardDir(1), odd, "--output-dir", join(dir, `m-${field}`)]);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(words);
      expect(out.stderr).toContain(odd);
    }
  });

  test("a shard that died (no result file) is merged from requests.jsonl, reported, and gives the same statistics", async () => {
    const dead = join(dir, "dead-2");
    cpSync(shardDir(2), dead, { recursive: true });
    rmSync(findFile(dead, "benchmark_results.json"));
    const out = await vbench(["merge", shardDir(0), shardDir(1), dead, "--output-dir", join(dir, "m-dead")]);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain("no result file (the shard died or was stopped): merged from requests.jsonl");
    const doc = JSON.parse(readFileSync(findFile(join(dir, "m-dead"), "benchmark_results.json"), "utf8"));
    expect(doc.vbench.merge.records_only).toEqual([2]);
    for (const key of ["completed", "p99_ttft_ms", "p50_itl_ms", "p95_e2el_ms", "duration"]) expect(doc[key]).toBe(merged()[key]);
  });

  test("the server/tokenizer comparison is the shards' own, weighted by the requests each compared", async () => {
    // requests.jsonl holds no texts: the comparison comes from the result files. Shard 1's is edited to a known mismatch.
    const edited = join(dir, "tokens-1");
    cpSync(shardDir(1), edited, { recursive: true });
    const path = findFile(edited, "benchmark_results.json");
    const doc = JSON.parse(readFileSync(path, "utf8"));
    expect(doc.vbench.token_sources.mismatch_compared).toBe(N / 3);
    doc.vbench.token_sources = { ...doc.vbench.token_sources, mismatch_count: 4, mismatch_mean_abs: 2.5 };
    writeFileSync(path, JSON.stringify(doc));
    const out = await vbench(["merge", shardDir(0), edited, shardDir(2), "--output-dir", join(dir, "m-tokens")]);
    expect(out.code).toBe(0);
    const sources = [shardDir(0), edited, shardDir(2)].map((d) => JSON.parse(readFileSync(findFile(d, "benchmark_results.json"), "utf8")).vbench.token_sources);
    const compared = sources.reduce((n, t) => n + t.mismatch_compared, 0);
    const expected = {
      mismatch_compared: compared,
      mismatch_count: sources.reduce((n, t) => n + t.mismatch_count, 0),
      mismatch_mean_abs: sources.reduce((n, t) => n + t.mismatch_mean_abs * t.mismatch_compared, 0) / compared,
    };
    const result = JSON.parse(readFileSync(findFile(join(dir, "m-tokens"), "benchmark_results.json"), "utf8"));
    expect(result.vbench.token_sources).toMatchObject(expected);
    expect(expected.mismatch_count).toBeGreaterThanOrEqual(4);
    expect(out.stdout + out.stderr).toContain(`Server vs tokenizer count:               differs on ${expected.mismatch_count} requests`);
  });

  test("a client-bound shard makes the merged result client-bound; the shards' steal times are summed", async () => {
    const bound = join(dir, "bound-1");
    cpSync(shardDir(1), bound, { recursive: true });
    const path = findFile(bound, "benchmark_results.json");
    const doc = JSON.parse(readFileSync(path, "utf8"));
    doc.vbench.client.client_bound = true;
    doc.vbench.client.client_bound_reason = "dispatch lag p99 9.00 ms > 5 ms";
    doc.vbench.client.steal_ms = 640;
    writeFileSync(path, JSON.stringify(doc));
    const out = await vbench(["merge", shardDir(0), bound, shardDir(2), "--output-dir", join(dir, "m-bound")]);
    expect(out.code).toBe(0);
    const result = JSON.parse(readFileSync(findFile(join(dir, "m-bound"), "benchmark_results.json"), "utf8"));
    expect(result.vbench.client.client_bound).toBe(true);
    expect(result.vbench.client.client_bound_reason).toContain("shard 1: dispatch lag p99 9.00 ms > 5 ms");
    // Shard 1 as edited, plus any shard this loaded machine really made client-bound, by its own file.
    const bound0or2 = [0, 2].filter((i) => JSON.parse(readFileSync(findFile(shardDir(i), "benchmark_results.json"), "utf8")).vbench.client.client_bound === true);
    expect(result.vbench.merge.client_bound_shards).toEqual([...bound0or2, 1].sort());
    const stealOf = (i: number) => JSON.parse(readFileSync(findFile(shardDir(i), "benchmark_results.json"), "utf8")).vbench.client.steal_ms as number;
    expect(result.vbench.client.steal_ms).toBe(stealOf(0) + 640 + stealOf(2));
  });
});

describe("a closed-loop sharded run (max_concurrency split over the shards)", () => {
  test("the shards' limits add up to max_concurrency at the server, every request is sent once, and only the merge judges thresholds", async () => {
    const mock = await startMock({ ttftMs: 30, itlMs: 5 });
    try {
      const dir = tempDir("vbench-shards-closed-");
      // A threshold no run meets: each shard reports its own failure but exits 0; the merge exits 4.
      const config = join(dir, "closed.json");
      writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(join(REPO, "configs/sharded.json"), "utf8")), thresholds: { ttft_p50_ms: 0.001 } }));
      const start = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000).toISOString();
      const args = (i: number) => ["run", "--config", config, "--base-url", mock.url, "--request-rate", "inf", "--max-concurrency", "7", "--num-prompts", "42", "--shard", `${i}/3`, "--run-id", "closed", "--start-at", start, "--output-dir", join(dir, `s${i}`)];
      const runs = await Promise.all([0, 1, 2].map((i) => vbench(args(i))));
      for (const r of runs) expect(r.code).toBe(0);
      for (const r of runs) expect(r.stderr).toContain("This shard's own thresholds failed (sharded_rate_40: ttft_p50_ms)");
      expect(runs.map((r) => /concurrency limit (\d+)/.exec(r.stderr)?.[1])).toEqual(["3", "2", "2"]);
      const summary = (await (await fetch(`${mock.url}/_truth/summary`)).json()) as { maxConcurrentStreams: number };
      expect(summary.maxConcurrentStreams).toBeLessThanOrEqual(7);
      const merge = await vbench(["merge", join(dir, "s0"), join(dir, "s1"), join(dir, "s2"), "--output-dir", join(dir, "merged")]);
      expect(merge.code).toBe(4);
      expect(merge.stderr).toContain("Thresholds failed: sharded_rate_40: ttft_p50_ms");
      const ids = lines(join(dir, "merged")).map((r) => r.request_id);
      expect(ids).toEqual(Array.from({ length: 42 }, (_, i) => `closed-sharded_rate_40-${i}`));
    } finally {
      await mock.stop();
    }
  }, 90_000);

  test("a shard that starts after the common start refuses with exit 2", async () => {
    const out = await vbench(["run", "--config", join(REPO, "configs/sharded.json"), "--shard", "0/2", "--run-id", "late", "--start-at", "2020-01-01T00:00:00Z", "--output-dir", tempDir()]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("the common start 2020-01-01T00:00:00.000Z passed");
  });
});
