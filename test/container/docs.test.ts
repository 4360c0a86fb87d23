/**
 * the README's pipeline section's container, CI-gate and Grafana commands, run as written
 * (addresses pointed at the simulator). The ClickHouse, Pushgateway and live
 * metrics blocks are run by test/monitoring/cli-wiring.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { REPO, startMock, tempDir } from "../helpers/vbench.ts";
import { docBlock, docBlocks, localize, parseDockerRun, runScript } from "./doc-blocks.ts";
import { ImageRoot, DOCKERFILE } from "./dockerfile.ts";

/** The seed config's thresholds, in its order, each expected to pass against the fast simulator. */
const SEED_VERDICTS = [["ttft_p95_ms", true], ["tpot_mean_ms", true], ["throughput_min", true], ["success_rate", true]];
const SEED_VARIABLES = ["MODEL_ENDPOINT", "CONFIG_PATH", "OUTPUT_DIR", "PARSED_DIR", "REQUEST_RATE", "MODEL_NAME", "SERVED_MODEL_NAME", "TOKENIZER", "CONCURRENCY_LEVELS", "DURATION"];

/** A folder laid out like a checkout: the doc commands use configs/vllm_benchmark.json relative to it. */
function checkout(): string {
  const dir = tempDir("vbench-docs-");
  mkdirSync(join(dir, "configs/grafana"), { recursive: true });
  cpSync(join(REPO, "configs/vllm_benchmark.json"), join(dir, "configs/vllm_benchmark.json"));
  cpSync(join(REPO, "configs/grafana/vbench-prometheus.json"), join(dir, "configs/grafana/vbench-prometheus.json"));
  return dir;
}

describe("the README's pipeline section", () => {
  let fast: SpawnedMock;
  let slow: SpawnedMock;
  beforeAll(async () => {
    // The docker-run block names Qwen/Qwen2-0.5B; the simulator serves exactly that id.
    [fast, slow] = await Promise.all([startMock({ ttftMs: 1, itlMs: 0, model: "Qwen/Qwen2-0.5B" }), startMock({ ttftMs: 300, itlMs: 0 })]);
  });
  afterAll(async () => {
    await Promise.all([fast?.stop(), slow?.stop()]);
  });

  test("every tested block exists once", () => {
    expect([...docBlocks().keys()].sort()).toEqual(["ci-gate", "clickhouse-query", "clickhouse-resend", "clickhouse-run", "docker-build", "docker-run", "docker-run-custom", "grafana-import", "live", "pushgateway", "shards-k8s", "shards-local"]);
  });

  test("docker build names the Dockerfile and the image the run blocks use", () => {
    const build = docBlock("docker-build").trim().split(/\s+/);
    expect(build.slice(0, 2)).toEqual(["docker", "build"]);
    expect(join(REPO, build[build.indexOf("-f") + 1]!)).toBe(DOCKERFILE);
    const tag = build[build.indexOf("-t") + 1]!;
    expect(parseDockerRun(docBlock("docker-run")).image).toBe(tag);
    expect(parseDockerRun(docBlock("docker-run-custom")).image).toBe(tag);
  });

  test("docker run (the seed's command) works as the image would run it", async () => {
    const run = parseDockerRun(localize(docBlock("docker-run"), { model: fast.url }));
    for (const name of Object.keys(run.env)) expect(SEED_VARIABLES).toContain(name);
    expect(run.mounts).toEqual({ "/app/results": "$(pwd)/results", "/app/parsed": "$(pwd)/parsed" });
    const image = new ImageRoot();
    const r = await image.run(run.env, run.args);
    const results = image.path("/app/results");
    const doc = (readdirSync(results, { recursive: true }) as string[]).find((f) => f.endsWith("benchmark_results.json"));
    expect(doc, r.stderr).toBeDefined();
    const parsed = JSON.parse(readFileSync(join(results, doc!), "utf8"));
    expect(parsed.model_id).toBe("Qwen/Qwen2-0.5B");
    // The seed's four thresholds all hold against a 1 ms simulator: the run exits 0 and says so for each.
    expect(parsed.vbench.thresholds.map((t: { key: string; passed: boolean }) => [t.key, t.passed])).toEqual(SEED_VERDICTS);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(image.path("/app/parsed")).some((f) => f.endsWith("_standardized.json"))).toBe(true);
  });

  test("docker run with a mounted scenario file, a sweep, a duration and exporter flags resolves as documented", async () => {
    const run = parseDockerRun(localize(docBlock("docker-run-custom"), { model: fast.url }));
    for (const name of Object.keys(run.env)) expect(SEED_VARIABLES).toContain(name);
    const image = new ImageRoot();
    const host = join(image.root, "custom_benchmark.json");
    writeFileSync(host, JSON.stringify({ scenarios: [{ name: "custom", random_input_len: 64, random_output_len: 16 }] }));
    const [target] = Object.entries(run.mounts).find(([, h]) => h.endsWith("custom_benchmark.json"))!;
    image.mount(host, target);
    // Resolved with `validate` instead of `run`: the documented 600 s sweep is not something a test should send.
    const r = await image.run(run.env, run.args, { command: "validate" });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.exporters).toEqual(["json", "csv", "msgpack", "prometheus"]);
    expect(plan.runs.map((x: { name: string; variant: string; maxConcurrency: number; durationS: number }) => [x.name, x.variant, x.maxConcurrency, x.durationS])).toEqual([
      ["custom", "c50", 50, 600],
      ["custom", "c100", 100, 600],
    ]);
    expect(plan.outputDir).toBe(image.path("/app/results"));
  });

  test("the CI gate: exit 0 when every threshold passes, exit 1 (vbench's 4) when one fails", async () => {
    // The slow simulator takes 300 ms to the first token against the seed's ttft_p95_ms of 200.
    const [pass, fail, down] = await Promise.all([fast.url, slow.url, "http://127.0.0.1:9"].map((url) => runScript(localize(docBlock("ci-gate"), { model: url }), checkout())));
    expect(pass!.stdout, pass!.stderr).toBe("benchmark passed every threshold\n");
    expect(pass!.code).toBe(0);
    expect(fail!.stdout, fail!.stderr).toBe("benchmark finished but a threshold failed\n");
    expect(fail!.code).toBe(1);
    expect(fail!.stderr).toContain("ttft_p95_ms");
    expect(down!.stdout).toBe("benchmark could not run\n");
    expect(down!.code).toBe(2);
  });

  test("the Grafana import call sends the dashboard as valid JSON", async () => {
    const dir = checkout();
    // curl stubbed: print each argument, so the -d payload the shell builds can be checked.
    const r = await runScript(docBlock("grafana-import"), dir, { prelude: 'curl() { for a in "$@"; do printf "%s\\n\\0" "$a"; done; }' });
    expect(r.code, r.stderr).toBe(0);
    const args = r.stdout.split("\n\0").slice(0, -1);
    expect(args).toContain("http://localhost:3000/api/dashboards/db");
    const payload = JSON.parse(args[args.indexOf("-d") + 1]!);
    expect(payload.overwrite).toBe(true);
    expect(payload.dashboard.uid).toBe("vbench-prometheus");
    expect(existsSync(join(dir, "configs/grafana/vbench-prometheus.json"))).toBe(true);
  });
});
