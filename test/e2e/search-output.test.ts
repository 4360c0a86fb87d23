/**
 * What `vbench search` and `--mock` print on stderr: one table row per step
 * (no progress lines beside it), an answer that keeps its steps' client-bound
 * caveat, and a `Simulator:` line that states the simulator's settings.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { conclusion, tableRow, type SearchResult, type SearchStepResult } from "../../src/commands/search.ts";
import { tempDir, vbench, writeConfig } from "../helpers/vbench.ts";

const ROW = /^\d+\s+(grow|bisect)\s+\d/;

function step(value: number, passed: boolean, clientBound: boolean): SearchStepResult {
  return {
    step: value, phase: "grow", value, passed, interrupted: false, dir: `/r/step_${value}`,
    total: 10, completed: 10, failed: 0, good: passed ? 10 : 0, goodFraction: passed ? 1 : 0, goodputRps: 1, throughputRps: 1,
    meanTtftMs: 1, p95TtftMs: 1, p95TpotMs: 1, achievedRateRps: value, clientBound, durationS: 10,
  };
}

function searchResult(steps: SearchStepResult[], best: number | null, firstFailure: number | null): SearchResult {
  return { by: "rate", fraction: 0.9, slo: { ttft: 100 }, scenario: "s", baseUrl: "http://x", model: "m", best, firstFailure, stoppedBy: "converged", clientBound: steps.some((s) => s.clientBound), dir: "/r", steps };
}

describe("search's answer", () => {
  test("keeps the client-bound caveat of its steps, naming them", () => {
    const text = conclusion(searchResult([step(1, true, false), step(2, true, true), step(4, false, true), step(3, true, false)], 3, 4), "rate (req/s)");
    expect(text).toBe(
      "Highest passing rate (req/s): 3 (first failure at 4); bracket converged after 4 step(s). Steps: /r\n" +
        "!!! client-bound at rate (req/s) 2, 4: those steps measured this client's limit as much as the server's, so the answer is not trustworthy",
    );
    expect(conclusion(searchResult([step(1, false, true)], null, 1), "concurrency")).toBe(
      "No passing concurrency: the SLOs fail already at 1 (bracket converged). Steps: /r\n" +
        "!!! client-bound at concurrency 1: those steps measured this client's limit as much as the server's, so the answer is not trustworthy",
    );
  });

  test("has no caveat when no step was client-bound", () => {
    expect(conclusion(searchResult([step(1, true, false), step(2, false, false)], 1, 2), "rate (req/s)")).toBe(
      "Highest passing rate (req/s): 1 (first failure at 2); bracket converged after 2 step(s). Steps: /r",
    );
  });
});

describe("search's table", () => {
  test("keeps a space between cells when a value is wider than its column", () => {
    // Requests released all at once (a concurrency step at rate inf) give an achieved rate of millions per second.
    const row = tableRow({ ...step(4, true, false), p95TpotMs: 10.034, achievedRateRps: 4357298.47 });
    expect(row.trimEnd().split(/\s+/)).toEqual(["4", "grow", "4", "100.0%", "1.00", "1.0", "10.03", "4357298.47", "pass"]);
  });
});

describe("stderr of search --mock and run --mock", () => {
  test("search: the simulator's settings, the header, one row per step and the answer; no progress lines", async () => {
    const dir = tempDir("vbench-search-out-");
    const config = await writeConfig(dir, [{ name: "s", backend: "openai", random_input_len: 8, random_output_len: 4 }]);
    const out = join(dir, "search.json");
    const r = await vbench(["search", "--mock", "--config", config, "--output-dir", dir, "--out", out, "--by", "concurrency", "--min", "1", "--max", "2", "--step-prompts", "8", "--goodput", "ttft:5000"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Simulator: http:\/\/127\.0\.0\.1:\d+ \(vbench mock: ttft 50 ms, itl 10 ms, 1 token\(s\)\/chunk, max concurrency unlimited\)$/);
    expect(lines[1]).toMatch(/^Searching the highest concurrency of s at http:\/\/127\.0\.0\.1:\d+ where ≥ 90% of requests meet ttft ≤ 5000 ms$/);
    expect(lines[2]).toStartWith("step phase ");
    expect(lines.slice(3, 5).map((l) => l.match(ROW)?.[0].split(/\s+/))).toEqual([["0", "grow", "1"], ["1", "grow", "2"]]);
    expect(lines[5]).toStartWith("Highest passing concurrency: 2; passed at --max after 2 step(s). Steps: ");
    // A step flagged client-bound in its row (a loaded machine) carries into the answer; otherwise the answer ends there.
    const bound = lines.slice(3, 5).some((l) => l.includes("(client-bound"));
    expect(lines.slice(6).map((l) => l.startsWith("!!! client-bound at concurrency "))).toEqual(bound ? [true] : []);
    const json = JSON.parse(await Bun.file(out).text()) as SearchResult;
    expect(json.clientBound).toBe(bound);
  }, 60_000);

  test("run: the simulator's settings from --mock-args", async () => {
    const dir = tempDir("vbench-mock-line-");
    const config = await writeConfig(dir, [{ name: "m", backend: "openai", num_prompts: 2, random_input_len: 8, random_output_len: 2 }]);
    const r = await vbench(["run", "--mock", "--mock-args", "--ttft-ms 1 --itl-ms 0 --max-concurrency 3", "--config", config, "--output-dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")[0]).toMatch(/^Simulator: http:\/\/127\.0\.0\.1:\d+ \(vbench mock: ttft 1 ms, itl 0 ms, 1 token\(s\)\/chunk, max concurrency 3\)$/);
  }, 60_000);
});
