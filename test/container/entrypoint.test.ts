/**
 * The container's entrypoint (`vbench run` with the image's ENV, WORKDIR and
 * baked-in config, read from the Dockerfile) run with exactly the seed's
 * environment variables against the simulator: each variable must change
 * what the run does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SpawnedMock } from "../../src/mock/spawn.ts";
import { REPO, startMock, truthSummary, type RunOutput } from "../helpers/vbench.ts";
import { ImageRoot } from "./dockerfile.ts";

type Doc = Record<string, unknown> & { vbench: Record<string, unknown> & { config: Record<string, unknown> } };

function found(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
}
function docs(dir: string): Doc[] {
  return found(dir, "benchmark_results.json").map((f) => JSON.parse(readFileSync(f, "utf8")) as Doc);
}

/** A small scenario file mounted into the image, so runs take milliseconds. */
function smallConfig(image: ImageRoot, scenarios: Record<string, unknown>[], at = "/configs/custom.json"): string {
  const host = join(image.root, "host-config.json");
  writeFileSync(host, JSON.stringify({ name: "container test", scenarios }));
  return image.mount(host, at);
}

const SMALL = { num_prompts: 4, max_concurrency: 2, random_input_len: 24, random_output_len: 4 };

/** Run `work` over `items` with at most `limit` at once (the machine has 2 cores; runs are mostly waiting). */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  }));
  return out;
}

interface Case {
  image: ImageRoot;
  env: Record<string, string>;
  result?: RunOutput;
}

describe("container entrypoint with the seed's environment", () => {
  let mock: SpawnedMock;
  let named: SpawnedMock;
  let fresh: SpawnedMock;
  const cases: Record<string, Case> = {};
  const run = (name: string) => cases[name]!.result!;
  const image = (name: string) => cases[name]!.image;

  beforeAll(async () => {
    [mock, named, fresh] = await Promise.all([
      startMock({ ttftMs: 1, itlMs: 0 }),
      startMock({ ttftMs: 1, itlMs: 0, model: "served-x" }),
      startMock({ ttftMs: 1, itlMs: 0 }),
    ]);
    const add = (name: string, env: (img: ImageRoot) => Record<string, string>) => {
      const img = new ImageRoot();
      cases[name] = { image: img, env: env(img) };
    };
    // Each case is one `docker run -e ...` of the image; MODEL_ENDPOINT is always needed (no server on localhost:8000 here).
    add("defaults", () => ({ MODEL_ENDPOINT: fresh.url }));
    add("unreachable", () => ({ MODEL_ENDPOINT: "http://127.0.0.1:9" }));
    add("config", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "light_load", ...SMALL }, { name: "heavy_load", ...SMALL, max_concurrency: 4, num_prompts: 8 }]) }));
    add("dirs", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "dirs", ...SMALL }]), OUTPUT_DIR: "/results", PARSED_DIR: "/parsed" }));
    add("rate", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "rated", ...SMALL }]), REQUEST_RATE: "40" }));
    add("served", (img) => ({ MODEL_ENDPOINT: named.url, CONFIG_PATH: smallConfig(img, [{ name: "models", ...SMALL }]), MODEL_NAME: "Org/Label-X", SERVED_MODEL_NAME: "served-x" }));
    add("labelOnly", (img) => ({ MODEL_ENDPOINT: named.url, CONFIG_PATH: smallConfig(img, [{ name: "models", ...SMALL }]), MODEL_NAME: "Org/Label-X" }));
    add("wrongServed", (img) => ({ MODEL_ENDPOINT: named.url, CONFIG_PATH: smallConfig(img, [{ name: "models", ...SMALL }]), MODEL_NAME: "served-x", SERVED_MODEL_NAME: "other" }));
    add("gpt2", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "tok", ...SMALL }]) }));
    add("tokenizer", (img) => ({
      MODEL_ENDPOINT: mock.url,
      CONFIG_PATH: smallConfig(img, [{ name: "tok", ...SMALL }]),
      TOKENIZER: img.mount(join(REPO, "test/fixtures/datasets/tiny-bpe-tokenizer.json"), "/tokenizers/tiny/tokenizer.json"),
    }));
    add("noTokenizer", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "tok", ...SMALL }]), TOKENIZER: "/tokenizers/none.json" }));
    add("sweep", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "sweep", random_input_len: 24, random_output_len: 4 }]), CONCURRENCY_LEVELS: "1,3" }));
    add("duration", (img) => ({ MODEL_ENDPOINT: mock.url, CONFIG_PATH: smallConfig(img, [{ name: "timed", random_input_len: 24, random_output_len: 4, num_prompts: 1000 }]), DURATION: "1", REQUEST_RATE: "20" }));
    await pool(Object.values(cases), 4, async (c) => {
      c.result = await c.image.run(c.env);
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([mock?.stop(), named?.stop(), fresh?.stop()]);
  });

  test("image defaults + MODEL_ENDPOINT: the baked-in seed config runs against that server, results in /app/results and /app/parsed", async () => {
    const r = run("defaults");
    const [doc] = docs(image("defaults").path("/app/results"));
    expect(doc, r.stderr).toBeDefined();
    // The seed's file: one basic_performance request (plus the initial test request) at concurrency 1, its four thresholds judged.
    expect((await truthSummary(fresh.url)).requestsReceived).toBe(2);
    expect(doc!.vbench.scenario).toBe("basic_performance");
    expect(doc!.max_concurrency).toBe(1);
    expect(doc!.request_rate).toBe("inf");
    expect(doc!.total_output_tokens).toBe(1024);
    // Its four thresholds all hold against a 1 ms simulator: each says so, and the run exits 0.
    const verdicts = doc!.vbench.thresholds as { key: string; passed: boolean }[];
    expect(verdicts.map((v) => [v.key, v.passed])).toEqual([["ttft_p95_ms", true], ["tpot_mean_ms", true], ["throughput_min", true], ["success_rate", true]]);
    expect(r.code, r.stderr).toBe(0);
    expect(found(image("defaults").path("/app/parsed"), "_standardized.json")).toHaveLength(1);
    expect(found(image("defaults").path("/app/results"), ".log").some((f) => /vllm_benchmark_main_\d{8}_\d{6}\.log$/.test(f))).toBe(true);
  });

  test("MODEL_ENDPOINT: an unreachable server is named and nothing runs (exit 3)", () => {
    expect(run("unreachable").code).toBe(3);
    expect(run("unreachable").stderr).toContain("http://127.0.0.1:9/v1/models");
  });

  test("CONFIG_PATH: a mounted scenario file replaces the baked-in one", () => {
    expect(run("config").code, run("config").stderr).toBe(0);
    const d = docs(image("config").path("/app/results"));
    expect(d.map((x) => x.vbench.scenario).sort()).toEqual(["heavy_load", "light_load"]);
    expect(d.map((x) => x.completed).sort()).toEqual([4, 8]);
  });

  test("OUTPUT_DIR and PARSED_DIR: the seed's stress-test layout (/results, /parsed)", () => {
    expect(run("dirs").code, run("dirs").stderr).toBe(0);
    const img = image("dirs");
    expect(docs(img.path("/results"))).toHaveLength(1);
    expect(found(img.path("/parsed"), "_standardized.json")).toHaveLength(1);
    expect(existsSync(img.path("/app/results"))).toBe(false);
    expect(existsSync(img.path("/app/parsed"))).toBe(false);
  });

  test("REQUEST_RATE: every scenario's arrival rate", () => {
    expect(run("rate").code, run("rate").stderr).toBe(0);
    expect(docs(image("rate").path("/app/results"))[0]!.request_rate).toBe(40);
    expect(run("rate").stderr).toContain("Traffic request rate: 40 RPS.");
  });

  test("MODEL_NAME and SERVED_MODEL_NAME: label vs the model field sent", () => {
    // The simulator serves only "served-x" and answers 404 to requests naming another model.
    expect(run("served").code, run("served").stderr).toBe(0);
    const [doc] = docs(image("served").path("/app/results"));
    expect(doc!.model_id).toBe("Org/Label-X");
    expect(doc!.completed).toBe(4); // the server accepted every request: they named served-x
    expect(run("served").stderr).toContain("model served-x");
    // Without SERVED_MODEL_NAME, MODEL_NAME is what is sent: the server does not serve it.
    expect(run("labelOnly").code).toBe(3);
    expect(run("labelOnly").stderr).toContain('model "Org/Label-X" is not served');
    // A wrong SERVED_MODEL_NAME is refused before any traffic even with a valid MODEL_NAME.
    expect(run("wrongServed").code).toBe(3);
    expect(run("wrongServed").stderr).toContain('model "other" is not served');
    expect(docs(image("wrongServed").path("/app/results"))).toHaveLength(0);
  });

  test("TOKENIZER: a mounted tokenizer.json builds different prompts than the built-in gpt2", () => {
    expect(run("gpt2").code, run("gpt2").stderr).toBe(0);
    expect(run("tokenizer").code, run("tokenizer").stderr).toBe(0);
    const [g] = docs(image("gpt2").path("/app/results"));
    const [t] = docs(image("tokenizer").path("/app/results"));
    expect(g!.tokenizer_id).toBe("gpt2");
    expect(t!.tokenizer_id).toBe(image("tokenizer").path("/tokenizers/tiny/tokenizer.json"));
    // total_input_tokens counts the prompt lengths each tokenizer built (vLLM's number). The simulator counts
    // the prompts with GPT-2: exact for gpt2-built prompts, different for the tiny vocabulary's.
    expect(g!.total_input_tokens).toBe(4 * 24);
    expect(t!.total_input_tokens).toBe(4 * 24);
    expect(g!.vbench.server_input_tokens).toBe(4 * 24);
    expect(t!.vbench.server_input_tokens).not.toBe(4 * 24);
    // A missing tokenizer file stops the run before traffic.
    expect(run("noTokenizer").code).toBe(2);
    expect(run("noTokenizer").stderr).toContain("none.json");
  });

  test("CONCURRENCY_LEVELS: every scenario once per level", () => {
    expect(run("sweep").code, run("sweep").stderr).toBe(0);
    const d = docs(image("sweep").path("/app/results")).sort((a, b) => (a.max_concurrency as number) - (b.max_concurrency as number));
    expect(d.map((x) => [x.vbench.variant, x.max_concurrency, x.completed])).toEqual([["c1", 1, 1], ["c3", 3, 3]]);
  });

  test("DURATION: every scenario becomes time-bound", () => {
    expect(run("duration").code, run("duration").stderr).toBe(0);
    const [doc] = docs(image("duration").path("/app/results"));
    expect(doc!.vbench.config.durationS).toBe(1);
    expect(run("duration").stderr).toContain("Time-bound: dispatching for 1 s");
    // 20 requests/s for 1 s instead of the file's 1000 prompts.
    expect((doc!.completed as number) + (doc!.failed as number)).toBeLessThanOrEqual(20);
    expect(doc!.completed as number).toBeGreaterThan(0);
  });
});
