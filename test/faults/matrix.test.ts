/**
 * The fault matrix: every server fault of test/faults/cases.ts, run through
 * the compiled binary against the simulator. For each: the exit code, the
 * failure categories and counts in benchmark_results.json and requests.jsonl,
 * the report's failure lines on stderr, the implicit success_rate gate, and that
 * the server saw each request exactly once (no retries).
 *
 * The runs happen up front, a few at a time; each test then checks one case.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { MATRIX_CASES, OUTPUT_TOKENS, RUN_PROMPTS, type MatrixCase } from "./cases.ts";
import { findFile, pool, runCase, type CaseRun } from "./harness.ts";
import { vbench } from "../helpers/vbench.ts";

const runs = new Map<string, CaseRun>();

beforeAll(async () => {
  const done = await pool(MATRIX_CASES.map((c) => () => runCase(c)), 3);
  MATRIX_CASES.forEach((c, i) => runs.set(c.id, done[i]!));
}, 120_000);

function categoryCounts(c: MatrixCase): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of c.failures) counts[f.category] = (counts[f.category] ?? 0) + 1;
  return counts;
}

function checkResults(c: MatrixCase, run: CaseRun): void {
  const doc = run.results!;
  expect(doc).not.toBeNull();
  expect(doc.completed).toBe(RUN_PROMPTS - c.failures.length);
  expect(doc.failed).toBe(c.failures.length);
  expect(doc.vbench.failures.by_category).toEqual(categoryCounts(c));
  expect(doc.vbench.interrupted).toBe(false);
  expect(doc.errors).toHaveLength(RUN_PROMPTS);
  const failedAt = new Map(c.failures.map((f) => [f.index, f]));
  for (let i = 0; i < RUN_PROMPTS; i++) {
    const want = failedAt.get(i);
    if (!want) {
      expect(doc.errors[i]).toBe("");
      expect(doc.output_lens[i]).toBe(OUTPUT_TOKENS);
      continue;
    }
    expect(doc.errors[i]).toStartWith(`${want.category}: `);
    expect(doc.errors[i]).toContain(want.message);
    expect(doc.output_lens[i]).toBe(0);
  }
  // The report's samples are the first three failures of each category, in request order.
  const samples = doc.vbench.failures.samples as { index: number; category: string; message: string }[];
  const perCategory = new Map<string, number>();
  const expected = c.failures.filter((f) => {
    const n = perCategory.get(f.category) ?? 0;
    perCategory.set(f.category, n + 1);
    return n < 3;
  });
  expect(samples.map((s) => s.index)).toEqual(expected.map((f) => f.index));

  // requests.jsonl: one complete line per request, agreeing with the results file.
  expect(run.lines).toHaveLength(RUN_PROMPTS);
  const byIndex = new Map(run.lines.map((l) => [l.index as number, l]));
  for (let i = 0; i < RUN_PROMPTS; i++) {
    const line = byIndex.get(i)!;
    const want = failedAt.get(i);
    expect(line.success).toBe(!want);
    if (want) expect(line.error.category).toBe(want.category);
    else expect(line.error).toBeNull();
  }
  const standardized = findFile(run.files, "_standardized.json");
  expect(standardized).toBeDefined();
  expect(() => JSON.parse(readFileSync(standardized!, "utf8"))).not.toThrow();
}

function checkStderr(c: MatrixCase, run: CaseRun): void {
  expect(run.stderr).not.toContain("internal error");
  expect(run.stdout).toBe("");
  for (const text of c.stderrHas ?? []) expect(run.stderr).toContain(text);
  if (c.failures.length === 0) {
    expect(run.stderr).not.toContain("Failures by category:");
    return;
  }
  const line = run.stderr.split("\n").find((l) => l.startsWith("Failures by category:"));
  expect(line).toBeDefined();
  for (const [category, n] of Object.entries(categoryCounts(c))) expect(line).toContain(`${category} ${n}`);
  // The report lists the first three failures of each category.
  const shown = new Map<string, number>();
  for (const f of c.failures) {
    const n = shown.get(f.category) ?? 0;
    shown.set(f.category, n + 1);
    if (n < 3) expect(run.stderr).toContain(`  #${f.index} ${f.category}: `);
    else expect(run.stderr).not.toContain(`  #${f.index} ${f.category}: `);
  }
  expect(run.stderr).toContain(c.failures[0]!.message.replace(/[\x00-\x1f]/g, ""));
  // No threshold is configured: the implicit success_rate >= 1 sees every failure, and the results say so.
  expect(run.stderr).toContain("FAIL success_rate");
  expect(run.results!.vbench.thresholds).toEqual([expect.objectContaining({ key: "success_rate", limit: 1, passed: false, implicit: true })]);
}

function checkSpecial(c: MatrixCase, run: CaseRun): void {
  const doc = run.results!;
  switch (c.check) {
    case "http-body": {
      for (const f of c.failures) {
        const line = run.lines.find((l) => l.index === f.index)!;
        expect(line.error.status).toBe(Number(/HTTP (\d{3})/.exec(f.message)![1]));
        expect(line.error.body).toContain(`Mock fault: HTTP ${line.error.status}`);
      }
      break;
    }
    case "slow-first-byte":
      // Lower bound only: the 300 ms hold is inside TTFT (timers may fire a hair early).
      expect(doc.ttfts[1]).toBeGreaterThanOrEqual(0.29);
      expect(doc.ttfts[0]).toBeLessThan(doc.ttfts[1]);
      break;
    case "huge-event":
      expect(doc.generated_texts[1].length).toBeGreaterThan(1024 * 1024);
      expect(doc.total_output_tokens).toBe(RUN_PROMPTS * OUTPUT_TOKENS);
      break;
    case "bad-utf8":
      for (const text of doc.generated_texts as string[]) expect(text).toContain("\uFFFD");
      expect(doc.total_output_tokens).toBe(RUN_PROMPTS * OUTPUT_TOKENS);
      break;
    case "stall-truth": {
      // The server really sent 2 tokens and then nothing: the timeout came from silence mid-stream.
      const stalled = run.truth.find((t) => t.index === 3)!;
      expect(stalled.fault).toBe("stall");
      expect(stalled.outputTokens).toBe(2);
      break;
    }
    case "no-escapes": {
      expect(run.stderr).toContain("RED");
      expect(run.stderr).not.toMatch(/[\x1b\x07]/);
      // Files keep the text JSON-escaped: no raw control byte anywhere.
      for (const file of run.files) expect(readFileSync(file, "latin1")).not.toMatch(/[\x1b\x07]/);
      const line = run.lines.find((l) => l.index === 1)!;
      expect(line.error.body).toContain("\x1b[31mRED");
      break;
    }
  }
}

describe("fault matrix (compiled binary against the simulator)", () => {
  for (const c of MATRIX_CASES) {
    test(`${c.id}: ${c.when}`, () => {
      const run = runs.get(c.id)!;
      if (run.code !== c.exit) throw new Error(`exit ${run.code}, expected ${c.exit}; stderr:\n${run.stderr}`);
      checkStderr(c, run);
      if (c.mock === null) {
        expect(run.results).toBeNull();
        expect(run.lines).toHaveLength(0);
        return;
      }
      if (c.serverReceived !== null) expect(run.serverReceived).toBe(c.serverReceived ?? 1 + RUN_PROMPTS);
      checkResults(c, run);
      checkSpecial(c, run);
    });
  }
});

describe("documented defaults", () => {
  test("`vbench run --help` states the timeout defaults the table quotes", async () => {
    const help = await vbench(["run", "--help"]);
    expect(help.code).toBe(0);
    const text = help.stdout + help.stderr;
    expect(text).toMatch(/--timeout-s <s>[^\n]*default: 21600/);
    expect(text).toMatch(/--idle-timeout-s <s>[^\n]*default: 300/);
  });
});
