import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, type ConfigSources } from "../../src/config/config.ts";
import { VbenchError } from "../../src/base/errors.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const registry = builtinRegistry();

const dir = mkdtempSync(join(tmpdir(), "vbench-config-"));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

function sources(extra: Partial<ConfigSources> = {}): ConfigSources {
  return { flags: {}, env: {}, select: [], plugins: [], ...extra };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VbenchError);
    const err = e as VbenchError;
    return [err.message, ...err.details];
  }
  throw new Error("expected a VbenchError");
}

describe("resolveConfig", () => {
  test("the seed's file resolves with vLLM's defaults and the seed's num_prompts rule", () => {
    const plan = resolveConfig(sources({ configPath: "configs/vllm_benchmark.json" }), registry);
    expect(plan.runs).toHaveLength(1);
    const s = plan.runs[0]!.scenario;
    expect(s.name).toBe("basic_performance");
    expect(s.backend).toBe("openai-chat");
    expect(s.endpointPath).toBe("/v1/chat/completions");
    expect(s.maxConcurrency).toBe(1);
    expect(s.numPrompts).toBe(1); // max_concurrency when set
    expect(s.randomInputLen).toBe(1024);
    expect(s.randomOutputLen).toBe(1024);
    expect(s.requestRate).toBe(Infinity);
    expect(s.metricPercentiles).toEqual([25, 50, 75, 90, 95, 99]);
    expect(s.percentileMetrics).toEqual(["ttft", "tpot", "itl", "e2el"]);
    expect(s.thresholds).toEqual({ ttft_p95_ms: 200, tpot_mean_ms: 50, throughput_min: 10, success_rate: 0.95 });
    expect(Object.isFrozen(s)).toBe(true);
  });

  test("no config file: one default scenario with 1000 prompts", () => {
    const plan = resolveConfig(sources({ env: {}, configPath: undefined, flags: {} }), registry);
    // The repository's default path exists when tests run from the checkout, so point elsewhere.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const bare = resolveConfig(sources(), registry);
      expect(bare.configPath).toBeNull();
      expect(bare.runs[0]!.scenario.name).toBe("default");
      expect(bare.runs[0]!.scenario.numPrompts).toBe(1000);
      expect(bare.runs[0]!.scenario.randomOutputLen).toBe(128);
    } finally {
      process.chdir(cwd);
    }
    expect(plan.runs.length).toBeGreaterThan(0);
  });

  test("precedence: flag > environment > scenario > defaults > built-in", () => {
    const path = file({ defaults: { request_rate: 1, seed: 5, random_output_len: 10 }, scenarios: [{ name: "a", request_rate: 2, random_output_len: 20 }] });
    const pick = (flags: Record<string, unknown>, env: Record<string, string>) => resolveConfig(sources({ configPath: path, flags, env }), registry).runs[0]!.scenario;
    expect(pick({}, {}).requestRate).toBe(2);
    expect(pick({}, {}).seed).toBe(5);
    expect(pick({}, { REQUEST_RATE: "3" }).requestRate).toBe(3);
    expect(pick({ request_rate: 4 }, { REQUEST_RATE: "3" }).requestRate).toBe(4);
    expect(pick({ request_rate: "inf" }, {}).requestRate).toBe(Infinity);
    expect(pick({}, {}).randomOutputLen).toBe(20);
    expect(pick({}, { MODEL_ENDPOINT: "http://127.0.0.1:9/" }).baseUrl).toBe("http://127.0.0.1:9");
  });

  test("--backend tgi over the seed's defaults takes TGI's endpoint path", () => {
    const plan = resolveConfig(sources({ configPath: "configs/vllm_benchmark.json", flags: { backend: "tgi" } }), registry);
    expect(plan.runs[0]!.scenario.endpointPath).toBe("/generate_stream");
  });

  test("every problem at once, with JSON paths, found values and did-you-mean", () => {
    const path = file({
      scenarios: [
        { name: "a", randon_input_len: 10 },
        { name: "b", max_concurrency: -1, request_rate: 0 },
        { name: "a", backend: "tgx" },
      ],
      thresholds: { ttft_p95: 1 },
    });
    const lines = problems(() => resolveConfig(sources({ configPath: path }), registry));
    const text = lines.join("\n");
    expect(text).toContain('scenarios[0].randon_input_len: unknown key (did you mean "random_input_len"?)');
    expect(text).toContain("scenarios[1].max_concurrency: expected a number >= 1, found -1");
    expect(text).toContain("scenarios[1].request_rate");
    expect(text).toContain('duplicate scenario name "a"');
    expect(text).toContain(path);
    expect(lines[0]).toMatch(/^\d+ configuration problems; nothing was sent$/);
  });

  test("unknown backend, exporter and threshold key name the available ones", () => {
    const path = file({ scenarios: [{ name: "a", backend: "tgx", thresholds: { tfft_p95_ms: 3 } }] });
    const text = problems(() => resolveConfig(sources({ configPath: path, exporters: ["jsno"] }), registry)).join("\n");
    expect(text).toContain('unknown backend "tgx" (did you mean "tgi"?)');
    expect(text).toContain("available: openai-chat, openai, tgi");
    expect(text).toContain('exporter "jsno": unknown; available: json');
    expect(text).toContain("tfft_p95_ms");
  });

  test("not JSON: line and column", () => {
    const path = file('{\n  "scenarios": [\n    {"name": "a",}\n  ]\n}');
    const err = problems(() => resolveConfig(sources({ configPath: path }), registry))[0]!;
    expect(err).toContain("line 3, column");
    expect(err).toContain("not valid JSON");
  });

  test("a wrong endpoint path for a backend is caught with a hint", () => {
    const path = file({ scenarios: [{ name: "a", backend: "openai-chat", endpoint_path: "/v1/completions" }] });
    const text = problems(() => resolveConfig(sources({ configPath: path }), registry)).join("\n");
    expect(text).toContain('endpoint_path: "/v1/completions" does not fit backend openai-chat');
  });

  test("flags and environment are validated like the file", () => {
    const text = problems(() => resolveConfig(sources({ configPath: "configs/vllm_benchmark.json", flags: { max_concurrency: 0 }, env: { REQUEST_RATE: "fast" } }), registry)).join("\n");
    expect(text).toContain("--max-concurrency: expected a number >= 1, found 0");
    expect(text).toContain('environment REQUEST_RATE: expected a number > 0 or "inf", found "fast"');
  });

  test("comma strings and arrays, goodput forms", () => {
    const path = file({ scenarios: [{ name: "a", metric_percentiles: [50, 99.9], percentile_metrics: "ttft, itl", goodput: "ttft:200,tpot:50" }, { name: "b", goodput: { e2el: 1000 } }] });
    const runs = resolveConfig(sources({ configPath: path }), registry).runs;
    expect(runs[0]!.scenario.metricPercentiles).toEqual([50, 99.9]);
    expect(runs[0]!.scenario.percentileMetrics).toEqual(["ttft", "itl"]);
    expect(runs[0]!.scenario.goodput).toEqual({ ttft: 200, tpot: 50 });
    expect(runs[1]!.scenario.goodput).toEqual({ e2el: 1000 });
  });

  test("CONCURRENCY_LEVELS and --request-rates expand into sweep points", () => {
    const path = file({ scenarios: [{ name: "a" }, { name: "b", num_prompts: 7 }] });
    const runs = resolveConfig(sources({ configPath: path, env: { CONCURRENCY_LEVELS: "1,8" }, requestRates: "5,inf" }), registry).runs;
    expect(runs.map((r) => `${r.scenario.name}/${r.variant}`)).toEqual(["a/c1-r5", "a/c1-rinf", "a/c8-r5", "a/c8-rinf", "b/c1-r5", "b/c1-rinf", "b/c8-r5", "b/c8-rinf"]);
    expect(runs[2]!.scenario.maxConcurrency).toBe(8);
    expect(runs[2]!.scenario.numPrompts).toBe(8);
    expect(runs[4]!.scenario.numPrompts).toBe(7);
    expect(runs[1]!.scenario.requestRate).toBe(Infinity);
  });

  test("--scenario selects, and a misspelt one is reported", () => {
    const plan = resolveConfig(sources({ configPath: "configs/multi_scenario.json", select: ["heavy_load"] }), registry);
    expect(plan.runs.map((r) => r.scenario.name)).toEqual(["heavy_load"]);
    const text = problems(() => resolveConfig(sources({ configPath: "configs/multi_scenario.json", select: ["heavy_lod"] }), registry)).join("\n");
    expect(text).toContain('did you mean "heavy_load"');
  });

  test("an explicit config path that does not exist is an error", () => {
    const text = problems(() => resolveConfig(sources({ configPath: join(dir, "missing.json") }), registry)).join("\n");
    expect(text).toContain("config file not found");
  });
});

describe("MODEL_NAME as the tokenizer fallback", () => {
  test("a local model folder with a tokenizer.json is used when no tokenizer is given; a hub name is not", () => {
    const modelDir = join(dir, "my-model");
    require("node:fs").mkdirSync(modelDir, { recursive: true });
    writeFileSync(join(modelDir, "tokenizer.json"), "{}");
    const pick = (env: Record<string, string>) => resolveConfig(sources({ configPath: "configs/demo.json", env }), registry).runs[0]!.scenario.tokenizer;
    expect(pick({ MODEL_NAME: modelDir })).toBe(`${modelDir}/tokenizer.json`);
    expect(pick({ MODEL_NAME: modelDir, TOKENIZER: "gpt2" })).toBe("gpt2");
    expect(pick({ MODEL_NAME: "Qwen/Qwen2-0.5B" })).toBe("gpt2");
  });
});
