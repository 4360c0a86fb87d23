/**
 * Requests are built as they are needed (src/engine/request-producer.ts), not
 * all before the clock starts: the compiled binary against the simulator or
 * a recording server on 127.0.0.1.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, REPO, requireBinary, tempDir, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { startRecordingServer } from "../helpers/recording-server.ts";
import { resolveConfig } from "../../src/config/config.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import { prepareRequest, requestHeaders } from "../../src/engine/prepare.ts";
import { plannedCount } from "../../src/config/planned-count.ts";
import { buildWorkload } from "../../src/workload/index.ts";
import { loadTokenizer } from "../../src/workload/tokenizer.ts";
import { builtinRegistry } from "../helpers/registry.ts";

const mock = sharedMock({ ttftMs: 5, itlMs: 1 });

function findFile(dir: string, name: string): string | undefined {
  const entry = (readdirSync(dir, { recursive: true }) as string[]).find((e) => e.endsWith(name));
  return entry === undefined ? undefined : join(dir, entry);
}

/** Peak resident set (VmHWM, KiB) of a live process; null once it has exited. */
function peakRssKiB(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

describe("memory does not grow with num_prompts", () => {
  test.each([
    ["max_concurrency 4 at rate inf (the main thread's loop)", { max_concurrency: 4 }],
    ["200 requests/s (dispatch threads and release clocks walk a generated schedule)", { request_rate: 200 }],
  ])("num_prompts 1e9, %s, interrupted: results written, peak RSS under 300 MB", async (_label, keys) => {
    requireBinary();
    const out = tempDir();
    const config = await writeConfig(out, [{ name: "huge", num_prompts: 1_000_000_000, random_input_len: 1024, random_output_len: 16, ...keys }]);
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const proc = Bun.spawn([BINARY, "run", "--config", config, "--base-url", mock.url, "--output-dir", out], { cwd: REPO, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    let stderr = "";
    const reading = (async () => {
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk);
    })();
    let peakKiB = 0;
    const sampler = setInterval(() => (peakKiB = Math.max(peakKiB, peakRssKiB(proc.pid) ?? 0)), 50);
    // Interrupt a few seconds into the measured run.
    for (let waited = 0; !stderr.includes("Starting main benchmark run") && waited < 60_000; waited += 50) await Bun.sleep(50);
    await Bun.sleep(3000);
    peakKiB = Math.max(peakKiB, peakRssKiB(proc.pid) ?? 0);
    proc.kill("SIGINT");
    const code = await proc.exited;
    clearInterval(sampler);
    await reading;
    expect(stderr).toContain("Starting main benchmark run");
    expect(code).toBe(130);
    const results = findFile(out, "benchmark_results.json");
    expect(results).toBeDefined();
    const doc = JSON.parse(readFileSync(results!, "utf8"));
    expect(doc.completed).toBeGreaterThan(4);
    expect(peakKiB).toBeGreaterThan(0);
    expect(peakKiB).toBeLessThan(300 * 1024);
  }, 120_000);
});

describe("a time-bound run builds what it sends plus a small look-ahead", () => {
  test("DURATION=2 at rate inf, max_concurrency 2: no prompt-reuse announcement; bodies built <= sent + look-ahead", async () => {
    const out = tempDir();
    const config = await writeConfig(out, [{ name: "tb", max_concurrency: 2, random_input_len: 256, random_output_len: 8 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out], { env: { DURATION: "2" } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/reuse|distinct prompts/);
    const mainLog = readFileSync(join(out, readdirSync(out).find((f) => f.startsWith("vllm_benchmark_main_"))!), "utf8");
    const m = /request bodies built: (\d+) for (\d+) sent \(look-ahead (\d+)\)/.exec(mainLog);
    expect(m).not.toBeNull();
    const [built, sent, lookAhead] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(sent).toBeGreaterThan(0);
    expect(lookAhead).toBeLessThanOrEqual(16);
    expect(built).toBeLessThanOrEqual(sent + lookAhead);
    // The time-bound slots (two million) were never built.
    expect(built).toBeLessThan(10_000);
  }, 60_000);
});

describe("the same seed gives the same bytes, built lazily or all at once", () => {
  const registry = builtinRegistry();

  test.each([
    ["the main thread's loop (max_concurrency)", { name: "lz", num_prompts: 300, max_concurrency: 3, random_input_len: 24, random_range_ratio: 0.5, random_output_len: 2, seed: 5, warmups: 3 }],
    ["dispatch threads (a request rate), prefix groups", { name: "lz", dataset_type: "prefix", num_prefix_groups: 4, prefix_len: 16, num_prompts: 300, request_rate: 250, random_input_len: 12, random_output_len: 2, seed: 9, warmups: 2 }],
  ])("%s", async (_label, scenarioKeys) => {
    const server = await startRecordingServer();
    try {
      const out = tempDir();
      const config = await writeConfig(out, [{ ...scenarioKeys, base_url: server.url }]);
      const r = await vbench(["run", "--config", config, "--output-dir", out]);
      expect(r.code).toBe(0);

      // The eager reference: every request of the run built here, in this thread, in index order.
      const { scenario: resolved } = resolveConfig({ configPath: config, flags: {}, env: {}, select: [], plugins: [] }, registry).runs[0]!;
      const scenario = { ...resolved, servedModel: "recorder", model: resolved.model || "recorder" };
      const backend = registry.backend(scenario.backend);
      const workload = await buildWorkload(scenario, await loadTokenizer(scenario.tokenizer), plannedCount(scenario));
      const headers = requestHeaders(scenario, backend, undefined);
      const eager = (g: number) => {
        const tail = prepareRequest(parseOrigin(server.url), scenario, backend, headers, workload.source.item(g), workload.ignoreEos).tail;
        return new TextDecoder().decode(tail).slice(4); // after the blank line
      };

      const measured = server.ids.map((id, k) => ({ id, body: server.bodies[k]! })).filter((x) => /-lz-\d+$/.test(x.id));
      expect(measured).toHaveLength(300);
      const byIndex = new Map(measured.map((x) => [Number(/-(\d+)$/.exec(x.id)![1]), x.body]));
      expect([...byIndex.keys()].sort((a, b) => a - b)).toEqual([...Array(300).keys()]);
      for (let g = 0; g < 300; g++) expect(byIndex.get(g)).toBe(eager(g));
      // The initial test request and the warmups send the first requests' bytes too (each dispatch thread starts its own from request 0).
      const test = server.ids.findIndex((id) => id.includes("-test-"));
      expect(server.bodies[test]).toBe(eager(0));
      const warmups = server.bodies.filter((_, k) => server.ids[k]!.includes("-warmup-"));
      expect(warmups).toHaveLength(scenarioKeys.warmups);
      const first = Array.from({ length: scenarioKeys.warmups }, (_, w) => eager(w));
      for (const body of warmups) expect(first).toContain(body);
    } finally {
      await server.stop();
    }
  }, 90_000);
});
