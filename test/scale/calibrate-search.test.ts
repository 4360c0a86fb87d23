/**
 * `vbench calibrate` and `vbench search` run in-process against the
 * simulator in its own process (the compiled binary's `mock`). Structure and
 * verdict logic only; the search's server has wide margins so the walk is
 * the same on a loaded machine.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { calibrate, autoTokensPerChunk, calibrationRow, calibrationScenario } from "../../src/commands/calibrate.ts";
import { calibrationLevels, walkLevels } from "../../src/commands/calibrate-levels.ts";
import { runSearchCommand, stepOverrides, type SearchCommandOptions, type SearchResult } from "../../src/commands/search.ts";
import { BINARY, requireBinary, tempDir, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { builtinRegistry } from "../helpers/registry.ts";
import { unprivileged } from "../helpers/unprivileged.ts";


describe("calibrate", () => {
  test("levels, tokens per chunk and the scenario of a level", () => {
    expect(calibrationLevels(4096)).toEqual([16, 64, 256, 1024, 4096]);
    expect(calibrationLevels(300)).toEqual([16, 64, 256, 300]);
    expect(autoTokensPerChunk(16, 10)).toBe(1);
    expect(autoTokensPerChunk(1024, 10)).toBe(5);
    const steady = calibrationScenario(100, 256, 50, 10);
    // 100 streams of 2.6 s each: 100 / 2.6 req/s keeps about 100 running.
    expect(steady).toMatchObject({ num_prompts: 200, max_concurrency: 100, warmups: 100, request_rate: 38.462, burstiness: "inf" });
    expect(calibrationScenario(100, 256, 50, 10, "burst")).toMatchObject({ num_prompts: 100, request_rate: "inf" });
  });

  test("the walk: the grid to its first failure, then bisection to within a quarter of the ceiling", async () => {
    const walk = async (limit: number, options: { allLevels?: boolean; refine?: boolean } = {}, grid = calibrationLevels(4096)) => {
      const tried: number[] = [];
      const ceilings: number[] = [];
      // A client exact up to `limit` streams.
      const ceiling = await walkLevels(grid, async (n) => (tried.push(n), n <= limit), options, (n) => ceilings.push(n));
      return { tried, ceiling, ceilings };
    };
    // 1024 within, 4096 outside: 2560 within, 3330 within (midpoints to 3 significant digits, as search's);
    // (3330, 4096) is within a quarter of 3330.
    expect(await walk(3500)).toEqual({ tried: [16, 64, 256, 1024, 4096, 2560, 3330], ceiling: 3330, ceilings: [16, 64, 256, 1024, 2560, 3330] });
    // 2560 outside: 1790 within, 2180 outside; REFINE_LEVELS (3) levels, and the bracket is narrow enough.
    expect(await walk(2000)).toEqual({ tried: [16, 64, 256, 1024, 4096, 2560, 1790, 2180], ceiling: 1790, ceilings: [16, 64, 256, 1024, 1790] });
    expect((await walk(3500, { refine: false })).tried).toEqual([16, 64, 256, 1024, 4096]);
    // Every level within: nothing to bisect. The first level outside: no ceiling, nothing to bisect either.
    expect(await walk(1e9)).toEqual({ tried: [16, 64, 256, 1024, 4096], ceiling: 4096, ceilings: [16, 64, 256, 1024, 4096] });
    expect(await walk(8)).toEqual({ tried: [16], ceiling: null, ceilings: [] });
    // --all-levels measures the whole grid; a level within above a failure is not the ceiling.
    const odd = [16, 64, 256];
    const verdicts = new Map([[16, true], [64, false], [256, true], [40, true], [52, true]]);
    const tried: number[] = [];
    expect(await walkLevels(odd, async (n) => (tried.push(n), verdicts.get(n)!), { allLevels: true })).toBe(52);
    expect(tried).toEqual([16, 64, 256, 40, 52]);
    // An interrupt (null) ends the walk with the ceiling so far.
    expect(await walkLevels([16, 64, 256], async (n) => (n === 64 ? null : true))).toBe(16);
  });

  test("a small run compares every request with the simulator's truth", async () => {
    requireBinary();
    const dir = tempDir("calibrate-");
    const result = await calibrate({ levels: [2, 4], outputTokens: 8, itlMs: 2, ttftMs: 5, allLevels: true, refine: false, selfCommand: [BINARY], outputDir: dir, workers: 2 }, builtinRegistry());
    expect(result.levels.map((l) => l.streams)).toEqual([2, 4]);
    for (const level of result.levels) {
      expect(level.tokensPerChunk).toBe(1);
      expect(level.failed).toBe(0);
      expect(level.completed).toBe(2 * level.streams);
      // Every measured request found in the truth with the same chunks: 8 tokens, one per chunk.
      expect(level.comparison.matched).toBe(level.completed);
      expect(level.comparison.chunkCountMismatch).toBe(0);
      expect(level.comparison.gaps).toBe(level.completed * 7);
      // The server never sends before it received: its truth TTFT covers the configured 5 ms.
      expect(level.comparison.trueMeanTtftMs).toBeGreaterThanOrEqual(5);
      const within = Math.abs(level.comparison.ttftErrorMs.mean) <= 1 && Math.abs(level.comparison.itlErrorMs) <= 0.2;
      expect(level.passed).toBe(within);
      expect(calibrationRow(level)).toContain(String(level.streams));
      // The simulator's own lateness: its mean TTFT past the 5 ms configured, named in the row when beyond the tolerance.
      expect(level.simulatorLateMs).toBe(level.comparison.trueMeanTtftMs - 5);
      expect(calibrationRow({ ...level, passed: false, failed: 0, simulatorLateMs: 3.2, stealMs: 0 })).toMatch(/OUTSIDE \(simulator 3\.20 ms behind\)$/);
      expect(calibrationRow({ ...level, passed: true, simulatorLateMs: 0.4, stealMs: 0 })).toMatch(/within$/);
      // The hypervisor's share, from the level's own result (steal on the client's CPUs), named in the row.
      expect(level.stealMs).toBeNumber();
      expect(calibrationRow({ ...level, passed: false, failed: 0, simulatorLateMs: 3.2, stealMs: 640 })).toMatch(/OUTSIDE \(simulator 3\.20 ms behind, steal 640 ms\)$/);
    }
    const passing = result.levels.filter((l, i) => result.levels.slice(0, i + 1).every((p) => p.passed));
    expect(result.ceilingStreams).toBe(passing.at(-1)?.streams ?? null);
    expect(existsSync(join(dir, "streams_2", "requests.jsonl"))).toBe(true);
    // The levels ran on the two worker threads asked for, as a measured run does, not on the main thread.
    const workers = readFileSync(join(dir, "streams_4", "requests.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line).worker);
    expect(new Set(workers)).toEqual(new Set([0, 1]));
  }, 60_000);
  // Root can capture (CI runs as root and installs tcpdump, .ci/run); anyone else gets the error tested below.
  const canCapture = process.getuid?.() === 0 && ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].some(existsSync);

  test("--wire: every level judged against the packets, the simulator's record kept beside", async () => {
    requireBinary();
    const options = { levels: [2, 4], outputTokens: 8, itlMs: 2, ttftMs: 5, allLevels: true, refine: false, selfCommand: [BINARY], outputDir: tempDir("calibrate-wire-"), wire: true };
    if (!canCapture) return void expect(calibrate(options, builtinRegistry())).rejects.toThrow("calibrate --wire cannot capture");
    const result = await calibrate(options, builtinRegistry());
    expect(result.reference).toBe("wire");
    for (const level of result.levels) {
      const wire = level.comparison;
      const record = level.simulatorRecord!;
      // Every request found on the wire with as many token messages as the client read (8 tokens, one per chunk).
      expect(wire.matched).toBe(level.completed);
      expect(wire.chunkCountMismatch).toBe(0);
      expect(wire.gaps).toBe(level.completed * 7);
      // The wire sees a request when its last packet reaches the server, the record when the handler runs: never later.
      expect(wire.trueMeanTtftMs).toBeGreaterThanOrEqual(record.trueMeanTtftMs - 0.05);
      // Both references time the same token messages: the same mean gap, to the loopback's jitter.
      expect(Math.abs(wire.trueMeanItlMs - record.trueMeanItlMs)).toBeLessThan(0.2);
      expect(level.simulatorLateMs).toBe(record.trueMeanTtftMs - 5);
      expect(level.passed).toBe(Math.abs(wire.ttftErrorMs.mean) <= 1 && Math.abs(wire.itlErrorMs) <= 0.2 && level.failed === 0);
    }
  }, 60_000);

  test("--wire where tcpdump may not capture: a config error that says what to do, before any level is measured", async () => {
    requireBinary();
    // As root the command runs as nobody (no CAP_NET_RAW); as anyone else it runs as them.
    {
      const child = Bun.spawn(unprivileged([BINARY, "calibrate", "--max-streams", "16", "--wire", "--no-refine"]), { cwd: "/tmp", stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      expect(code).toBe(2);
      expect(stderr).toContain("calibrate --wire cannot capture the loopback interface");
      expect(stderr).toContain("hint: run it as root");
      expect(stderr).not.toContain("Calibrating the client"); // checked before the table: nothing was measured
      expect(stdout).toBe("");
    }
  }, 60_000);
});

describe("search", () => {
  // 4 server slots; a request holds one for 50 + 4 × 20 = 130 ms. Up to 4 concurrent requests see TTFT ≈ 50 ms;
  // beyond, queued requests wait ≥ 130 ms for a slot, so their TTFT exceeds 180 ms.
  const mock = sharedMock({ ttftMs: 50, itlMs: 20, maxConcurrency: 4 });

  test("step overrides: time-bound rate steps, prompt-count concurrency steps", () => {
    const base = { by: "rate", fraction: 0.9, maxSteps: 5, tolerance: 0.05 } as SearchCommandOptions;
    expect(stepOverrides(base, 40)).toEqual({ durationS: 10, requestRate: 40, rampUp: null });
    expect(stepOverrides({ ...base, stepPrompts: 50 }, 40)).toEqual({ durationS: null, numPrompts: 50, requestRate: 40, rampUp: null });
    expect(stepOverrides({ ...base, by: "concurrency" }, 8)).toEqual({ durationS: null, numPrompts: 32, maxConcurrency: 8 });
    expect(stepOverrides({ ...base, by: "concurrency", stepDurationS: 3 }, 8)).toEqual({ durationS: 3, maxConcurrency: 8 });
  });

  test("finds the highest concurrency whose TTFT SLO holds and reports the walked curve", async () => {
    const dir = tempDir("search-");
    const config = await writeConfig(dir, [{ name: "s", backend: "openai", random_input_len: 8, random_output_len: 5 }]);
    const out = join(dir, "search.json");
    const options: SearchCommandOptions = {
      sources: { configPath: config, flags: { base_url: mock.url, goodput: "ttft:120" }, env: {}, select: [], plugins: [] },
      outputDir: dir,
      by: "concurrency",
      fraction: 0.9,
      min: 1,
      max: 16,
      stepPrompts: 12,
      maxSteps: 10,
      tolerance: 0.05,
      out,
    };
    const code = await runSearchCommand(options, builtinRegistry());
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as SearchResult;
    expect(result.steps.map((s) => s.value)).toEqual([1, 2, 4, 8, 6, 5]);
    expect(result.steps.map((s) => s.passed)).toEqual([true, true, true, false, false, false]);
    expect(result).toMatchObject({ by: "concurrency", best: 4, firstFailure: 5, stoppedBy: "converged", slo: { ttft: 120 } });
    for (const s of result.steps) {
      expect(s.total).toBe(12);
      expect(s.goodFraction).toBeCloseTo(s.good / s.total, 12);
      expect(existsSync(join(s.dir, "requests.jsonl"))).toBe(true);
    }
    // The same document is kept next to the steps.
    expect(JSON.parse(readFileSync(join(result.dir, "search.json"), "utf8")).best).toBe(4);
  }, 60_000);

  test("no SLO: a configuration error before anything is sent", async () => {
    const dir = tempDir("search-");
    const config = await writeConfig(dir, [{ name: "s", backend: "openai" }]);
    const options = { sources: { configPath: config, flags: { base_url: mock.url }, env: {}, select: [], plugins: [] }, outputDir: dir, by: "rate", fraction: 0.9, maxSteps: 3, tolerance: 0.05 } as unknown as SearchCommandOptions;
    await expect(runSearchCommand(options, builtinRegistry())).rejects.toThrow("search needs at least one SLO");
  });
});
