import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBenchmarkResults, formatJson } from "../../src/results/result-docs.ts";
import { buildStandardized, standardizeVllmResult } from "../../src/results/standardized.ts";
import { runStandardizeCommand } from "../../src/commands/standardize.ts";
import { parseLenientJson } from "../../src/base/json-position.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { sampleResult } from "./sample-result.ts";
import { vbench } from "../helpers/vbench.ts";

const FIXTURE = join(import.meta.dir, "../fixtures/vllm/vllm_saved_result.json");
const root = await mkdtemp(join(tmpdir(), "vbench-std-"));
afterAll(() => rm(root, { recursive: true, force: true }));

const config = {
  name: "VLLM Performance Benchmark",
  defaults: { backend: "openai-chat", endpoint_path: "/v1/chat/completions", dataset_type: "random", percentile_metrics: "ttft,tpot,itl,e2el", metric_percentiles: "25,50,75,90,95,99" },
  scenarios: [
    { name: "light_load", max_concurrency: 1, random_input_len: 512, random_output_len: 128 },
    { name: "basic_performance", description: "기본 성능 측정", max_concurrency: 1, random_input_len: 1024, random_output_len: 1024, thresholds: { itl_p99_ms: 20 } },
  ],
  thresholds: { ttft_p95_ms: 200, tpot_mean_ms: 50, throughput_min: 10, success_rate: 0.95 },
};

async function fixture(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(FIXTURE, "utf8"));
}

describe("standardizeVllmResult on vLLM's saved format", () => {
  test("evaluates the config's thresholds (scenario merged over file) against the flat keys", async () => {
    const doc = standardizeVllmResult(await fixture(), { taskName: "performance_test", config, scenarioName: "basic_performance" });
    expect(doc.thresholds).toEqual({
      ttft_p95_ms: { limit: 200, measured: 47.19, comparison: "<=", passed: true },
      tpot_mean_ms: { limit: 50, measured: 14.74, comparison: "<=", passed: true },
      throughput_min: { limit: 10, measured: 67.70247933884298, comparison: ">=", passed: true },
      // 2 completed, 1 error string: the file has no `failed` key.
      success_rate: { limit: 0.95, measured: 2 / 3, comparison: ">=", passed: false },
      itl_p99_ms: { limit: 20, measured: 20.46, comparison: "<=", passed: false },
    });
    expect(doc.passed).toBe(false);
    expect(doc.failed).toBe(1);
    expect(doc.success_rate).toBe(2 / 3);
    expect(doc.scenario).toBe("basic_performance");
    expect(doc.description).toBe("기본 성능 측정");
    expect(doc.endpoint).toBe("/v1/chat/completions");
    expect(doc.timestamp).toBe(new Date(2025, 0, 2, 3, 4, 5).toISOString());
    expect(doc.request_goodput).toBeNull();
    expect(doc.source).toEqual({ tool: "vllm", tool_version: null, run_id: null, interrupted: null });
    expect(doc.parameters).toMatchObject({ request_rate: "inf", max_concurrency: 1, random_input_len: 1024, dataset_type: "random", percentile_metrics: ["ttft", "tpot", "itl", "e2el"], metric_percentiles: [25, 50, 75, 90, 95, 99] });
    const itl = (doc.metrics as Record<string, Record<string, number>>).itl;
    expect(Object.keys(itl)).toEqual(["mean", "median", "std", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9"]);
    expect(itl["p99.9"]).toBe(24.5);
  });

  test("without a config only the implicit success_rate applies: the fixture's failed request fails it", async () => {
    const doc = standardizeVllmResult(await fixture(), {});
    expect(doc.thresholds).toEqual({ success_rate: { limit: 1, measured: 2 / 3, comparison: ">=", passed: false, implicit: true } });
    expect(doc.passed).toBe(false);
    const clean = standardizeVllmResult({ ...(await fixture()), completed: 3, errors: ["", "", ""] }, {});
    expect(clean.thresholds).toEqual({});
    expect(clean.passed).toBe(true);
    expect(doc.task_name).toBe("vllm_benchmark");
    expect(doc.scenario).toBe("vllm");
  });

  test("a statistic missing from the file fails its threshold; an unknown key is a config error", async () => {
    const doc = standardizeVllmResult(await fixture(), { config: { thresholds: { "e2el_p99.5_ms": 1e9 } } });
    expect(doc.thresholds).toEqual({
      "e2el_p99.5_ms": { limit: 1e9, measured: null, comparison: "<=", passed: false },
      success_rate: { limit: 1, measured: 2 / 3, comparison: ">=", passed: false, implicit: true },
    });
    let err: unknown;
    try {
      standardizeVllmResult(await fixture(), { config: { thresholds: { ttft_p95: 200 } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VbenchError);
    expect((err as VbenchError).exitCode).toBe(ExitCode.config);
  });

  test("rejects a file that is not a benchmark result", () => {
    expect(() => standardizeVllmResult({ hello: 1 })).toThrow(VbenchError);
  });
});

describe("vbench standardize", () => {
  test("writes the standardized file and reports the verdict", async () => {
    const cfgPath = join(root, "cfg.json");
    await writeFile(cfgPath, JSON.stringify(config));
    const out = join(root, "standardized.json");
    const logs: string[] = [];
    const res = await runStandardizeCommand(FIXTURE, { outputFile: out, taskName: "performance_test", configPath: cfgPath, scenario: "basic_performance", log: (m) => logs.push(m) });
    expect(res.passed).toBe(false);
    const written = JSON.parse(await readFile(out, "utf8"));
    expect(written).toEqual(res.document);
    expect(written.task_name).toBe("performance_test");
    expect(logs.join("\n")).toContain("FAILED success_rate, itl_p99_ms");
  });

  test("without an output file the document goes to stdout", async () => {
    let stdout = "";
    await runStandardizeCommand(FIXTURE, { stdout: (t) => (stdout += t), log: () => undefined });
    expect(JSON.parse(stdout).schema).toBe("vbench.standardized/1");
  });

  test("on vbench's benchmark_results.json it reproduces the run's standardized document", async () => {
    const r = sampleResult();
    const path = join(root, "benchmark_results.json");
    await writeFile(path, formatJson(buildBenchmarkResults(r)));
    let stdout = "";
    await runStandardizeCommand(path, { taskName: "x", stdout: (t) => (stdout += t), log: () => undefined });
    expect(stdout).toBe(formatJson(buildStandardized(r, "x")));
  });

  test("accepts Python's NaN/Infinity words and rejects non-JSON", async () => {
    expect(parseLenientJson('{"a": NaN, "b": -Infinity, "c": "NaN Infinity", "d": Infinity}')).toEqual({ a: null, b: "-inf", c: "NaN Infinity", d: "inf" });
    const bad = join(root, "bad.json");
    await writeFile(bad, "{not json");
    let err: unknown;
    try {
      await runStandardizeCommand(bad, { log: () => undefined, stdout: () => undefined });
    } catch (e) {
      err = e;
    }
    expect((err as VbenchError).code).toBe("json_invalid");
  });
});

describe("thresholds on vbench's own file", () => {
  test("a scenario named by the caller picks the config's thresholds; the document keeps the result's own name", () => {
    const file = JSON.parse(formatJson(buildBenchmarkResults(sampleResult())));
    const own = file.vbench.scenario as string;
    const config = { scenarios: [{ name: own, thresholds: { ttft_p95_ms: 1e9 } }, { name: "strict", thresholds: { ttft_p95_ms: 0.001 } }], thresholds: { success_rate: 0.5 } };
    const byResult = standardizeVllmResult(file, { config });
    expect((byResult.thresholds as Record<string, { limit: number }>).ttft_p95_ms!.limit).toBe(1e9);
    const byCaller = standardizeVllmResult(file, { config, scenarioName: "strict" });
    expect((byCaller.thresholds as Record<string, { limit: number; passed: boolean }>).ttft_p95_ms).toMatchObject({ limit: 0.001, passed: false });
    expect(byCaller.scenario).toBe(own);
  });

  test("min/max keys read vbench.metric_stats; vLLM files lack them and fail", async () => {
    const file = JSON.parse(formatJson(buildBenchmarkResults(sampleResult())));
    const doc = standardizeVllmResult(file, { config: { thresholds: { ttft_max_ms: 60, e2el_min_ms: 10 } } });
    // The sample has 4 successes and 1 failure, and no success_rate here: the implicit one fails.
    expect(doc.thresholds).toEqual({
      ttft_max_ms: { limit: 60, measured: file.vbench.metric_stats.ttft.max, comparison: "<=", passed: true },
      e2el_min_ms: { limit: 10, measured: file.vbench.metric_stats.e2el.min, comparison: "<=", passed: false },
      success_rate: { limit: 1, measured: 0.8, comparison: ">=", passed: false, implicit: true },
    });
    const vllm = standardizeVllmResult(await fixture(), { config: { thresholds: { ttft_max_ms: 60, success_rate: 0.5 } } });
    expect(vllm.thresholds).toEqual({ ttft_max_ms: { limit: 60, measured: null, comparison: "<=", passed: false }, success_rate: { limit: 0.5, measured: 2 / 3, comparison: ">=", passed: true } });
  });
});

describe("vbench standardize on the command line", () => {
  // The fixture: 2 of 3 requests succeeded, P99 ITL 20.46 ms.
  const cli = async (args: string[]) => vbench(["standardize", FIXTURE, ...args]);
  const cfg = join(root, "cli-cfg.json");
  const lenient = { scenarios: [{ name: "strict", thresholds: { itl_p99_ms: 20 } }, { name: "lenient" }], thresholds: { success_rate: 0.5 } };

  test("takes the seed script's underscore flags and a scenario's own thresholds", async () => {
    await writeFile(cfg, JSON.stringify(lenient));
    const out = join(root, "cli-std.json");
    const run = await cli(["--output_file", out, "--task_name", "performance_test", "--config_path", cfg, "--scenario", "strict"]);
    expect(run.code).toBe(ExitCode.ok);
    const doc = JSON.parse(await readFile(out, "utf8"));
    expect(doc.task_name).toBe("performance_test");
    expect(Object.keys(doc.thresholds).sort()).toEqual(["itl_p99_ms", "success_rate"]);
    expect(doc.passed).toBe(false);
    expect(run.stderr).toContain("FAILED itl_p99_ms");
  });

  test("--check exits 4 on a failed threshold and 0 when all pass", async () => {
    await writeFile(cfg, JSON.stringify(lenient));
    expect((await cli(["--config-path", cfg, "--scenario", "strict", "--check"])).code).toBe(ExitCode.threshold);
    const pass = await cli(["--config-path", cfg, "--scenario", "lenient", "--check"]);
    expect(pass.code).toBe(ExitCode.ok);
    expect(JSON.parse(pass.stdout).passed).toBe(true);
  });

  test("a scenario the config does not have is a configuration error, not a silent pass", async () => {
    await writeFile(cfg, JSON.stringify(lenient));
    const run = await cli(["--config-path", cfg, "--scenario", "strikt", "--check"]);
    expect(run.code).toBe(ExitCode.config);
    expect(run.stderr).toContain('no scenario named "strikt"');
    expect(run.stderr).toContain("strict, lenient");
    expect((await cli(["--scenario", "strict"])).code).toBe(ExitCode.config);
  });
});
