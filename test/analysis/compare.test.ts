/**
 * `vbench compare` on simulator data: a candidate whose TTFT is 20% slower
 * (simulator TTFT 96 ms instead of 80 ms) is a regression; two runs of the
 * same simulator configuration with different seeds are within noise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { ExitCode } from "../../src/core/errors.ts";
import { runCompareCommand } from "../../src/commands/compare.ts";
import { type SimRun, cleanup, simulate, sink } from "./sim.ts";

afterAll(cleanup);

type Stat = { key: string; verdict: string; method: string; change_relative: number | null; interval_relative: [number, number] | null; interval_level: number | null };
type Doc = { scenarios: { verdict: string; statistics: Stat[] }[]; regressed: boolean };

let base: SimRun, same: SimRun, slow: SimRun;

beforeAll(async () => {
  // Sequential: runs in parallel would disturb each other's timing on a 2-core machine.
  base = await simulate({ mockSeed: 1 });
  same = await simulate({ mockSeed: 2 });
  slow = await simulate({ mockSeed: 3, ttftMs: 96 });
}, 90_000);

async function compare(a: string, b: string, opts: Parameters<typeof runCompareCommand>[2] = {}): Promise<{ code: number; doc: Doc; err: string }> {
  const out = sink();
  const err = sink();
  const code = await runCompareCommand(a, b, { format: "json", failOnRegression: true, stdout: out.write, stderr: err.write, ...opts });
  return { code, doc: JSON.parse(out.text()) as Doc, err: err.text() };
}

const stat = (doc: Doc, key: string) => doc.scenarios[0]!.statistics.find((s) => s.key === key)!;

describe("vbench compare on simulator data", () => {
  test("a candidate with 20% slower TTFT is a regression (bootstrap interval above 0), exit code 6", async () => {
    const { code, doc, err } = await compare(base.outputDir, slow.outputDir);
    expect(code).toBe(ExitCode.regression);
    expect(doc.regressed).toBe(true);
    expect(doc.scenarios[0]!.verdict).toBe("regressed");
    const ttft = stat(doc, "ttft_mean");
    expect(ttft.method).toBe("bootstrap");
    expect(ttft.verdict).toBe("regressed");
    expect(ttft.interval_relative![0]).toBeGreaterThan(0);
    expect(ttft.change_relative!).toBeGreaterThan(0.1);
    // Nothing about the token stream changed: TPOT and ITL stay within noise.
    for (const key of ["tpot_mean", "itl_mean"]) expect(stat(doc, key).verdict).toBe("within-noise");
    expect(err).toContain("REGRESSED");
    expect(err).toContain("Bonferroni");
  });

  test("two runs of the same configuration (simulator seeds 1 and 2) are within noise, exit 0", async () => {
    const { code, doc } = await compare(base.outputDir, same.outputDir);
    expect(code).toBe(ExitCode.ok);
    const called = doc.scenarios[0]!.statistics.filter((s) => s.verdict !== "within-noise" && s.verdict !== "n/a");
    expect(called.map((s) => `${s.key} ${s.verdict} change ${s.change_relative} interval ${s.interval_relative}`)).toEqual([]);
    expect(doc.scenarios[0]!.verdict).toBe("within-noise");
    // Throughputs too are judged statistically: requests resampled and replayed at the run's send times.
    expect(stat(doc, "output_throughput").method).toBe("replay");
    // 64 requests are too few to judge a p99 (fewer than 10 values beyond it): reported, not judged.
    expect(stat(doc, "ttft_p99").method).toBe("too-few-values");
    // Every interval is a Bonferroni share of alpha 0.05.
    const judged = doc.scenarios[0]!.statistics.filter((s) => s.interval_level !== null);
    expect(judged.length).toBeGreaterThan(5);
    for (const s of judged) expect(s.interval_level!).toBeCloseTo(1 - 0.05 / judged.length, 10);
  });

  test("deterministic: the same inputs give byte-identical output", async () => {
    const a = await compare(base.outputDir, slow.outputDir);
    const b = await compare(base.outputDir, slow.outputDir);
    expect(JSON.stringify(a.doc)).toBe(JSON.stringify(b.doc));
  });

  test("summary-only inputs (standardized documents) fall back to the relative tolerance", async () => {
    const parsed = (r: SimRun) => join(r.outputDir, "parsed", readdirSync(join(r.outputDir, "parsed"))[0]!);
    const strict = await compare(parsed(base), parsed(slow));
    expect(stat(strict.doc, "ttft_mean").method).toBe("tolerance");
    expect(stat(strict.doc, "ttft_mean").interval_relative).toBeNull();
    expect(stat(strict.doc, "ttft_mean").verdict).toBe("regressed");
    expect(strict.code).toBe(ExitCode.regression);
    const loose = await compare(parsed(base), parsed(slow), { tolerance: 0.5 });
    expect(stat(loose.doc, "ttft_mean").verdict).toBe("within-noise");
    // With the tolerance alone, exactly the changes beyond it are called.
    for (const s of loose.doc.scenarios[0]!.statistics) {
      if (s.change_relative === null) continue;
      expect(s.verdict === "within-noise").toBe(Math.abs(s.change_relative) <= 0.5);
    }
  });

  test("without --fail-on-regression a regression still exits 0", async () => {
    const { code } = await compare(base.resultsPath, slow.resultsPath, { failOnRegression: false });
    expect(code).toBe(ExitCode.ok);
  });

  test("rejects an alpha outside (0, 1)", async () => {
    await expect(runCompareCommand(base.outputDir, slow.outputDir, { alpha: 1.5, stderr: () => undefined })).rejects.toThrow("--alpha");
  });
});
