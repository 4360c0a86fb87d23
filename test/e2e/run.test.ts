/**
 * End to end: the compiled binary against the simulator in its own process,
 * over real sockets on 127.0.0.1.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startMock, tempDir, truthSummary, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { parseFault } from "../../src/mock/faults.ts";

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) if (entry.endsWith(name)) return join(dir, entry);
  throw new Error(`${name} not found under ${dir}`);
}

describe("vbench run against the simulator", () => {
  const mock = sharedMock({ ttftMs: 50, itlMs: 10 });
  let out: string;
  let result: Awaited<ReturnType<typeof vbench>>;

  beforeAll(async () => {
    out = tempDir();
    // The demo scenario without its thresholds: a loaded CI machine must not turn this into a threshold failure.
    const config = join(out, "demo.json");
    const demo = JSON.parse(readFileSync("configs/demo.json", "utf8"));
    delete demo.thresholds;
    await Bun.write(config, JSON.stringify(demo));
    result = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out, "--random-output-len", "32"]);
  }, 60_000);

  test("exits 0 and prints vLLM's result block on stderr, nothing on stdout", () => {
    expect(result.stderr).toContain("Starting initial single prompt test run...");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n");
    const title = lines.indexOf("============ Serving Benchmark Result ============");
    expect(title).toBeGreaterThan(0);
    expect(lines[title + 1]).toBe("Successful requests:                     64        ");
    expect(lines[title + 2]).toBe("Failed requests:                         0         ");
    expect(lines[title + 3]).toBe("Maximum request concurrency:             8         ");
    expect(lines).toContain("---------------Time to First Token----------------");
    expect(lines).toContain("-----Time per Output Token (excl. 1st token)------");
    expect(lines).toContain("==================================================");
  });

  test("measured TTFT and ITL agree with the simulator's configuration", () => {
    const doc = JSON.parse(readFileSync(findFile(out, "benchmark_results.json"), "utf8"));
    // Generous bounds: the simulator's timer wakes within ~1 ms; this is a correctness check, not a benchmark.
    expect(doc.mean_ttft_ms).toBeGreaterThan(49);
    expect(doc.mean_ttft_ms).toBeLessThan(150);
    expect(doc.mean_tpot_ms).toBeGreaterThan(9.5);
    expect(doc.mean_tpot_ms).toBeLessThan(20);
    expect(doc.completed).toBe(64);
    expect(doc.total_output_tokens).toBe(64 * 32);
    expect(doc.itls).toHaveLength(64);
    // The simulator reports usage for every request, and its words are one GPT-2 token each: the sampled tokenizer counts agree.
    expect(doc.vbench.token_sources).toEqual({ server: 64, tokenizer: 0, mismatch_mean_abs: 0, mismatch_count: 0, mismatch_compared: 64 });
  });

  test("the steal time of the CPUs it may use, in the results and on the console", () => {
    const doc = JSON.parse(readFileSync(findFile(out, "benchmark_results.json"), "utf8"));
    const steal = doc.vbench.client.steal_ms;
    // Linux reports steal on every CPU line of /proc/stat (0 on bare metal): a number, never more than the run's wall time on each CPU.
    expect(typeof steal).toBe("number");
    expect(steal).toBeGreaterThanOrEqual(0);
    expect(steal).toBeLessThanOrEqual(doc.duration * 1000 * navigator.hardwareConcurrency);
    expect(result.stderr).toMatch(/^Steal \(ms\): +\d+ on the client's CPUs/m);
  });

  test("the server saw exactly max_concurrency streams at once and every request id", async () => {
    const summary = await truthSummary(mock.url);
    expect(summary.maxConcurrentStreams).toBe(8);
    const truth = (await (await fetch(`${mock.url}/_truth`)).json()) as { requestId: string }[];
    const ids = truth.map((t) => t.requestId);
    expect(ids.filter((id) => /-test-0$/.test(id))).toHaveLength(1);
    const runIds = ids.filter((id) => /-demo_concurrency_8-\d+$/.test(id));
    expect(new Set(runIds).size).toBe(64);
  });

  test("records are on disk, one line per request, plus the seed's layout", () => {
    const lines = readFileSync(findFile(out, "requests.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(64);
    const first = JSON.parse(lines[0]!);
    expect(first.chunk_ms.length).toBeGreaterThan(1);
    const names = readdirSync(out).filter((n) => n !== "demo.json");
    expect(names.some((n) => /^vllm_benchmark_main_\d{8}_\d{6}\.log$/.test(n))).toBe(true);
    expect(names.some((n) => /^scenario_demo_concurrency_8_\d{8}_\d{6}\.log$/.test(n))).toBe(true);
    expect(readdirSync(join(out, "parsed")).some((n) => n.endsWith("_standardized.json"))).toBe(true);
  });
});

describe("preflight errors: clear message, documented exit code, nothing sent", () => {
  const mock = sharedMock({ model: "served-model" });

  test("a misspelt key: exit 2 with the path and a suggestion", async () => {
    const dir = tempDir();
    const config = join(dir, "bad.json");
    await Bun.write(config, JSON.stringify({ scenarios: [{ name: "a", randon_input_len: 5 }] }));
    const before = (await truthSummary(mock.url)).requestsReceived;
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('scenarios[0].randon_input_len: unknown key (did you mean "random_input_len"?)');
    expect((await truthSummary(mock.url)).requestsReceived).toBe(before);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  test("an unreachable endpoint: exit 3 naming the URL", async () => {
    const dir = tempDir();
    const r = await vbench(["run", "--config", "configs/demo.json", "--base-url", "http://127.0.0.1:9", "--output-dir", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach the server: GET http://127.0.0.1:9/v1/models failed");
    expect(r.stderr).toContain("hint:");
  });

  test("an unknown model: exit 3 listing the served ones", async () => {
    const dir = tempDir();
    const before = (await truthSummary(mock.url)).requestsReceived;
    const r = await vbench(["run", "--config", "configs/demo.json", "--base-url", mock.url, "--output-dir", dir], { env: { MODEL_NAME: "gpt-9" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('model "gpt-9" is not served');
    expect(r.stderr).toContain("served-model");
    expect((await truthSummary(mock.url)).requestsReceived).toBe(before);
  });
});

describe("thresholds and the initial test request", () => {
  test("a failed threshold exits 4 after writing results", async () => {
    const mock = await startMock({ ttftMs: 30, itlMs: 1 });
    try {
      const dir = tempDir();
      const config = join(dir, "t.json");
      await Bun.write(config, JSON.stringify({ scenarios: [{ name: "t", num_prompts: 4, max_concurrency: 2, random_input_len: 16, random_output_len: 4 }], thresholds: { ttft_p95_ms: 1 } }));
      const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out")]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("FAIL ttft_p95_ms");
      const doc = JSON.parse(readFileSync(findFile(join(dir, "out"), "benchmark_results.json"), "utf8"));
      expect(doc.completed).toBe(4);
    } finally {
      await mock.stop();
    }
  });

  test("the initial request's failure stops the run with the server's own text", async () => {
    const mock = await startMock({ faults: [parseFault("status=503@at:0")] });
    try {
      const dir = tempDir();
      const r = await vbench(["run", "--config", "configs/demo.json", "--base-url", mock.url, "--output-dir", dir]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("initial test request");
      expect(r.stderr).toContain("HTTP 503");
      expect((await truthSummary(mock.url)).requestsReceived).toBe(1);
    } finally {
      await mock.stop();
    }
  });
});

describe("no hidden client-side cap", () => {
  test("1000 requests released at once are 1000 concurrent streams at the server", async () => {
    const mock = await startMock({ ttftMs: 1500, itlMs: 5 });
    try {
      const dir = tempDir();
      const config = await writeConfig(dir, [{ name: "wide", num_prompts: 1000, random_input_len: 8, random_output_len: 2 }]);
      const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir]);
      expect(r.code).toBe(0);
      expect((await truthSummary(mock.url)).maxConcurrentStreams).toBe(1000);
      expect(r.stderr).toContain("Successful requests:                     1000");
    } finally {
      await mock.stop();
    }
  });
});

describe("--repeat", () => {
  test("runs a scenario N times and writes the mean with a 95% confidence interval", async () => {
    const mock = await startMock({ ttftMs: 10, itlMs: 2 });
    try {
      const dir = tempDir();
      const config = await writeConfig(dir, [{ name: "rep", num_prompts: 6, max_concurrency: 3, random_input_len: 16, random_output_len: 4 }]);
      const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", join(dir, "out"), "--repeat", "3"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("rep: 3 runs, mean with 95% CI (Student t, 2 df");
      const names = readdirSync(join(dir, "out"));
      expect(names.filter((n) => /^scenario_rep_rep[123]_\d{8}_\d{6}$/.test(n))).toHaveLength(3);
      const summary = JSON.parse(readFileSync(join(dir, "out", names.find((n) => n.startsWith("repeat_rep_"))!), "utf8"));
      expect(summary.runs).toBe(3);
      const ttft = summary.statistics.find((s: { key: string }) => s.key === "ttft_mean_ms");
      expect(ttft.values).toHaveLength(3);
      expect(ttft.ci_low).toBeLessThanOrEqual(ttft.mean);
      expect(ttft.ci_high).toBeGreaterThanOrEqual(ttft.mean);
    } finally {
      await mock.stop();
    }
  });
});
