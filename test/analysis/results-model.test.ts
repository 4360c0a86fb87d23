/**
 * Every scenario and sweep point of one run is its own result (issue 15):
 * identity is run id + scenario + sweep point, so `analyze --check`,
 * `aggregate`, `compare`'s pairing and `report` see all of them, and a
 * concurrency sweep reads as one curve. Data from the compiled binary
 * against its simulator.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import { ExitCode } from "../../src/base/errors.ts";
import { runAnalyzeCommand } from "../../src/commands/analyze.ts";
import { runAggregateCommand } from "../../src/commands/aggregate.ts";
import { runCompareCommand } from "../../src/commands/compare.ts";
import { runReportCommand } from "../../src/commands/report.ts";
import { loadRuns } from "../../src/analysis/load.ts";
import { toLoadedRun } from "../../src/analysis/normalize.ts";
import { buildBenchmarkResults, toJsonValue } from "../../src/results/result-docs.ts";
import { buildStandardized } from "../../src/results/standardized.ts";
import { sampleResult } from "../exporters/sample-result.ts";
import { REPO, writeConfig } from "../helpers/vbench.ts";
import { BIN, cleanup, scratchDir, sink } from "./sim.ts";

afterAll(cleanup);

/** `vbench run --mock` with a config of these scenarios; returns the exit code, stderr and OUTPUT_DIR. */
async function runMock(scenarios: Record<string, unknown>[], opts: { env?: Record<string, string>; exporters?: string[] } = {}) {
  const work = scratchDir("vbench-model-");
  const outputDir = join(work, "out");
  const config = await writeConfig(work, scenarios, { exporters: opts.exporters ?? ["json"] });
  const env: Record<string, string> = { ...opts.env };
  for (const key of ["PATH", "HOME", "TMPDIR"]) if (process.env[key]) env[key] = process.env[key]!;
  const mockArgs = "--ttft-ms 20 --itl-ms 5 --no-exact-prompt-tokens";
  const proc = Bun.spawn([BIN, "run", "--mock", `--mock-args=${mockArgs}`, "--config", config, "--output-dir", outputDir], { cwd: REPO, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited, new Response(proc.stdout).text()]);
  return { code, stderr, outputDir };
}

const SMALL = { backend: "openai-chat", dataset_type: "random", num_prompts: 8, max_concurrency: 2, random_input_len: 16, random_output_len: 4 };

async function analyze(path: string, opts: Parameters<typeof runAnalyzeCommand>[1] = {}) {
  const err = sink();
  const out = sink();
  const code = await runAnalyzeCommand(path, { stderr: err.write, stdout: out.write, sparklines: false, ...opts });
  return { code, err: err.text(), out: out.text() };
}

describe("two scenarios of one run", () => {
  let run: Awaited<ReturnType<typeof runMock>>;
  beforeAll(async () => {
    run = await runMock([
      { ...SMALL, name: "aaa", thresholds: { ttft_p95_ms: 1000 } },
      { ...SMALL, name: "zzz", thresholds: { ttft_p95_ms: 1 } },
    ]);
  }, 60_000);

  test("vbench run exits 4 (zzz failed its threshold)", () => {
    expect(run.code).toBe(ExitCode.threshold);
  });

  test("the loader keeps both scenarios (one run id, two identities), each once despite its standardized copy", async () => {
    const { runs } = await loadRuns(run.outputDir, { warn: () => undefined, debug: () => undefined });
    expect(runs.map((r) => r.scenario).sort()).toEqual(["aaa", "zzz"]);
    expect(new Set(runs.map((r) => r.runId)).size).toBe(1);
  });

  test("analyze --check shows both and exits 4 naming zzz, the key, the measured value and the limit", async () => {
    const r = await analyze(run.outputDir, { check: true });
    expect(r.code).toBe(ExitCode.threshold);
    expect(r.err).toContain("== aaa");
    expect(r.err).toContain("== zzz");
    const line = r.err.split("\n").find((l) => l.includes("FAIL ttft_p95_ms") && l.includes("in zzz"));
    expect(line).toMatch(/FAIL ttft_p95_ms: measured [\d.]+ ms > limit 1 ms/);
    expect(r.err).not.toMatch(/FAIL .* in aaa/);
    expect(r.err).toContain("1 failed in 1 of 2 runs");
  });

  test("aggregate, compare (pairing) and report keep both", async () => {
    const err = sink();
    const out = join(scratchDir(), "agg.json");
    await runAggregateCommand({ resultsDir: run.outputDir, out, stderr: err.write, nowIso: "2026-01-01T00:00:00.000Z" });
    expect(err.text()).toContain("aggregated 2 result(s)");
    const cmp = sink();
    await runCompareCommand(run.outputDir, run.outputDir, { format: "json", stdout: cmp.write, stderr: () => undefined });
    expect((JSON.parse(cmp.text()) as { scenarios: { scenario: string }[] }).scenarios.map((s) => s.scenario).sort()).toEqual(["aaa", "zzz"]);
    const html = join(scratchDir(), "r.html");
    await runReportCommand(run.outputDir, { out: html, stderr: () => undefined, nowIso: "2026-01-01T00:00:00.000Z" });
    const text = readFileSync(html, "utf8");
    expect(text).toContain("2 runs of 2 scenarios");
  });
});

describe("a CONCURRENCY_LEVELS sweep is one curve", () => {
  let run: Awaited<ReturnType<typeof runMock>>;
  beforeAll(async () => {
    run = await runMock([{ ...SMALL, name: "sw" }], { env: { CONCURRENCY_LEVELS: "1,2,4,8" }, exporters: ["json", "csv"] });
  }, 90_000);

  test("the run passes and writes four points", () => {
    expect(run.code).toBe(ExitCode.ok);
    expect(readdirSync(run.outputDir).filter((n) => /^scenario_sw_c\d+_\d{8}_\d{6}$/.test(n))).toHaveLength(4);
  });

  test("aggregate collects four results", async () => {
    const err = sink();
    await runAggregateCommand({ resultsDir: run.outputDir, out: join(scratchDir(), "agg.json"), stderr: err.write, nowIso: "2026-01-01T00:00:00.000Z" });
    expect(err.text()).toContain("aggregated 4 result(s)");
  });

  test("analyze prints the sweep as one table, one row per level in order, and lists it in JSON", async () => {
    const r = await analyze(run.outputDir, { format: "json" });
    expect(r.err).toContain("sweep of sw over max_concurrency: 4 points");
    const table = r.err.slice(r.err.indexOf("sweep of sw"));
    const levels = table.split("\n").slice(2, 6).map((l) => l.trim().split(/\s+/)[0]);
    expect(levels).toEqual(["1", "2", "4", "8"]);
    const doc = JSON.parse(r.out) as { runs: unknown[]; sweeps: { scenario: string; parameter: string; points: { value: number; output_throughput: number; ttft_p99_ms: number }[] }[] };
    expect(doc.runs).toHaveLength(4);
    expect(doc.sweeps).toHaveLength(1);
    expect(doc.sweeps[0]!.parameter).toBe("max_concurrency");
    expect(doc.sweeps[0]!.points.map((p) => p.value)).toEqual([1, 2, 4, 8]);
    for (const p of doc.sweeps[0]!.points) {
      expect(p.output_throughput).toBeGreaterThan(0);
      expect(p.ttft_p99_ms).toBeGreaterThan(0);
    }
  });

  test("the report draws output tok/s against p99 TTFT, one marker per level", async () => {
    const html = join(scratchDir(), "r.html");
    await runReportCommand(run.outputDir, { out: html, stderr: () => undefined, nowIso: "2026-01-01T00:00:00.000Z" });
    const text = readFileSync(html, "utf8");
    const start = text.indexOf('<section class="sweep"');
    expect(start).toBeGreaterThan(0);
    const section = text.slice(start, text.indexOf("</section>", start));
    expect(section).toContain("concurrency sweep");
    expect(section).toContain("Output tok/s against p99 TTFT");
    expect(section.match(/<circle /g)).toHaveLength(4);
    for (const level of ["1", "2", "4", "8"]) expect(section).toMatch(new RegExp(`<td>${level}</td>`));
  });

  test("summary.csv names the swept parameter and its value on each row", () => {
    const rows = Papa.parse<Record<string, string>>(readFileSync(join(run.outputDir, "summary.csv"), "utf8"), { header: true, skipEmptyLines: true }).data;
    expect(rows.map((r) => [r.sweep_parameter, r.sweep_value])).toEqual([
      ["max_concurrency", "1"],
      ["max_concurrency", "2"],
      ["max_concurrency", "4"],
      ["max_concurrency", "8"],
    ]);
  });
});

describe("identity", () => {
  test("run id + scenario + sweep point + shard: a shard's share is not the merged result; a result and its standardized copy are one", () => {
    const shardOf = (index: number) => {
      const r = sampleResult({ variant: "c8" });
      r.run.shard = { index, count: 2, configHash: "h", startAtIso: null };
      return r;
    };
    const loaded = (r: ReturnType<typeof sampleResult>) => toLoadedRun(toJsonValue(buildBenchmarkResults(r)), "vbench", "/x.json", 0);
    const [s0, s1, merged, other] = [loaded(shardOf(0)), loaded(shardOf(1)), loaded(sampleResult({ variant: "c8" })), loaded(sampleResult({ variant: "c16" }))];
    expect(new Set([s0.key, s1.key, merged.key, other.key]).size).toBe(4);
    expect(s0.shard).toBe("0/2");
    expect(merged.shard).toBeNull();
    const copy = toLoadedRun(buildStandardized(shardOf(0)), "standardized", "/p.json", 0);
    expect(copy.key).toBe(s0.key);
  });
});
