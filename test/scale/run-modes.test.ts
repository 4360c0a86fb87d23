/**
 * Sweeps, time-bound runs and ramp-up through the compiled binary against
 * the simulator. Structure and ordering only: no wall-clock thresholds.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import { tempDir, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";

function findAll(dir: string, name: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((e) => e.endsWith(name)).map((e) => join(dir, e)).sort();
}

function records(path: string): { dispatched_ms: number; scheduled_ms: number; success: boolean }[] {
  return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

const mock = sharedMock({ ttftMs: 20, itlMs: 5 });

describe("time-bound runs (--duration)", () => {
  test("a closed loop stops dispatching at the deadline, drains, and reports the drain", async () => {
    const dir = tempDir();
    const config = await writeConfig(dir, [{ name: "timed", backend: "openai", random_input_len: 8, random_output_len: 20, max_concurrency: 4 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir, "--duration", "1"]);
    expect(r.stderr).toContain("Time-bound: dispatching for 1 s, then draining");
    expect(r.code).toBe(0);
    const recs = records(findAll(dir, "requests.jsonl")[0]!);
    // A closed loop at concurrency 4 keeps dispatching until the deadline, never after it.
    expect(recs.length).toBeGreaterThan(4);
    expect(recs.length).toBeLessThan(2_000_000);
    expect(Math.max(...recs.map((x) => x.dispatched_ms))).toBeLessThanOrEqual(1000);
    expect(recs.every((x) => x.success)).toBe(true);
    const doc = JSON.parse(readFileSync(findAll(dir, "benchmark_results.json")[0]!, "utf8"));
    expect(doc.completed).toBe(recs.length);
    // Requests in flight at the deadline finish afterwards: the drain is that tail, reported on its own.
    expect(doc.vbench.client.drain_s).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/Drain \(s\):\s+\d/);
  }, 30_000);

  test("DURATION from the environment does the same", async () => {
    const dir = tempDir();
    const config = await writeConfig(dir, [{ name: "timed", backend: "openai", random_input_len: 8, random_output_len: 4, request_rate: 20 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir], { env: { DURATION: "1" } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Time-bound: dispatching for 1 s");
    const recs = records(findAll(dir, "requests.jsonl")[0]!);
    // 20 req/s for 1 s schedules 20 requests, the last at exactly 1000 ms.
    expect(recs.length).toBeLessThanOrEqual(20);
    expect(Math.max(...recs.map((x) => x.dispatched_ms))).toBeLessThanOrEqual(1000);
  }, 30_000);
});

describe("sweeps", () => {
  test("--request-rates 5,inf runs each point and writes one summary.csv row per point", async () => {
    const dir = tempDir();
    const config = await writeConfig(dir, [{ name: "sweep", backend: "openai", random_input_len: 8, random_output_len: 4, num_prompts: 6 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir, "--request-rates", "5,inf", "--export", "csv,json"]);
    expect(r.code).toBe(0);
    const csv = Papa.parse<Record<string, string>>(readFileSync(join(dir, "summary.csv"), "utf8").trim(), { header: true });
    expect(csv.data).toHaveLength(2);
    expect(csv.data.map((row) => row.variant)).toEqual(["r5", "rinf"]);
    const docs = findAll(dir, "benchmark_results.json").map((p) => JSON.parse(readFileSync(p, "utf8")));
    expect(docs.map((d) => d.request_rate).sort()).toEqual([5, "inf"].sort());
    expect(docs.every((d) => d.completed === 6)).toBe(true);
  }, 30_000);

  test("--concurrency-levels 1,3 runs each level with its own max_concurrency", async () => {
    const dir = tempDir();
    const config = await writeConfig(dir, [{ name: "levels", backend: "openai", random_input_len: 8, random_output_len: 4, num_prompts: 6 }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir, "--concurrency-levels", "1,3", "--export", "csv"]);
    expect(r.code).toBe(0);
    const csv = Papa.parse<Record<string, string>>(readFileSync(join(dir, "summary.csv"), "utf8").trim(), { header: true });
    expect(csv.data.map((row) => row.variant)).toEqual(["c1", "c3"]);
    expect(r.stderr).toContain("Maximum request concurrency: 1");
    expect(r.stderr).toContain("Maximum request concurrency: 3");
  }, 30_000);
});

describe("ramp-up", () => {
  test("a linear ramp from 5 to 100 req/s dispatches faster at the end than at the start", async () => {
    const dir = tempDir();
    const config = await writeConfig(dir, [{ name: "ramp", backend: "openai", random_input_len: 8, random_output_len: 2, num_prompts: 60, burstiness: "inf" }]);
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", dir, "--ramp-up-strategy", "linear", "--ramp-up-start-rps", "5", "--ramp-up-end-rps", "100"]);
    expect(r.stderr).toContain("Ramp-up: linear from 5 to 100 RPS");
    expect(r.code).toBe(0);
    const recs = records(findAll(dir, "requests.jsonl")[0]!).sort((a, b) => a.scheduled_ms - b.scheduled_ms);
    expect(recs).toHaveLength(60);
    const rate = (xs: typeof recs) => (xs.length - 1) / ((xs.at(-1)!.dispatched_ms - xs[0]!.dispatched_ms) / 1000);
    const first = rate(recs.slice(0, 15));
    const last = rate(recs.slice(-15));
    // Scheduled: about 10 req/s over the first quarter, about 90 req/s over the last.
    expect(last).toBeGreaterThan(2 * first);
    // The schedule itself rises monotonically in rate: gaps shrink.
    const gaps = recs.slice(1).map((x, i) => x.scheduled_ms - recs[i]!.scheduled_ms);
    expect(gaps[0]!).toBeGreaterThan(gaps.at(-1)!);
  }, 30_000);
});
