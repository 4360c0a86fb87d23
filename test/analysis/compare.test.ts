/**
 * `vbench compare`'s verdicts. First on synthetic per-request data
 * (synthetic-runs.ts: seeded, with bursts of machine pauses like those of
 * real runs), where the truth is known: identical distributions drawn with
 * different seeds must not be flagged, a 30% TTFT shift must be, and a
 * verdict that rests on too few values says so. Then on the simulator
 * (`vbench run --mock`), through the command: an A/A pair and a 30% TTFT pair.
 * The rates on many real A/A pairs are measured by bench/compare-noise.ts
 * (docs/analysis.md), not here: they depend on the machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { ExitCode } from "../../src/base/errors.ts";
import { runCompareCommand } from "../../src/commands/compare.ts";
import { compareScenario, matchScenarios, type ScenarioComparison } from "../../src/analysis/compare.ts";
import { resamplingUnits, timeBlockUnits } from "../../src/analysis/time-blocks.ts";
import { perRequestFromDetailed } from "../../src/analysis/per-request.ts";
import { toLoadedRun } from "../../src/analysis/normalize.ts";
import type { LoadedRun } from "../../src/analysis/types.ts";
import { type SimRun, cleanup, scratchDir, simulate, sink } from "./sim.ts";
import { syntheticDoc, syntheticRun, type SyntheticOptions } from "./synthetic-runs.ts";

afterAll(cleanup);

/** The statistics called anything but within noise / n/a, as readable lines (an empty list is the expectation). */
const called = (c: ScenarioComparison) => c.metrics.filter((m) => m.verdict === "regressed" || m.verdict === "improved").map((m) => `${m.key} ${m.verdict} ${m.changeRelative} [${m.interval}]`);
const metric = (c: ScenarioComparison, key: string) => c.metrics.find((m) => m.key === key)!;
/** Pair i of seeds (2i − 1, 2i): the two sides of one comparison. */
const pair = (i: number, candidate: Partial<SyntheticOptions> = {}) => [syntheticRun({ seed: 2 * i - 1 }), syntheticRun({ seed: 2 * i, ...candidate })] as const;

describe("compare on synthetic per-request data", () => {
  test("identical distributions drawn with different seeds are not flagged (10 pairs, bursty machine pauses)", () => {
    // Before time blocks, pairs 3 and 4 were called ITL p99 regressions (+13.5%, +22.2%): resampling
    // requests treated the gaps of one machine pause, which stretches all 8 streams at once, as independent.
    for (let i = 1; i <= 10; i++) {
      const [a, b] = pair(i);
      const c = compareScenario("aa", [a], [b]);
      expect({ pair: i, called: called(c) }).toEqual({ pair: i, called: [] });
      expect(c.verdict).toBe("within-noise");
    }
  }, 60_000);

  test("a 30% slower TTFT (50 → 65 ms) is regressed in every pair, with its whole interval beyond the 5% tolerance; the token stream is not", () => {
    for (let i = 1; i <= 10; i++) {
      const [a, b] = pair(i, { ttftMs: 65 });
      const c = compareScenario("slow", [a], [b]);
      expect(c.verdict).toBe("regressed");
      for (const key of ["ttft_mean", "ttft_median"]) {
        const m = metric(c, key);
        expect(m.method).toBe("bootstrap");
        expect(m.verdict).toBe("regressed");
        expect(m.interval![0] / m.baseline!).toBeGreaterThan(0.05);
      }
      for (const key of ["tpot_mean", "tpot_median", "itl_mean", "itl_median", "itl_p99"]) expect({ pair: i, key, verdict: metric(c, key).verdict }).toEqual({ pair: i, key, verdict: "within-noise" });
    }
  }, 60_000);

  test("a p99 from one run a side must lie beyond the tail tolerance (20%), a mean beyond 5%; a doubled ITL p99 is caught", () => {
    const [a, b] = pair(3, { pauseScale: 4 });
    const c = compareScenario("stalls", [a], [b]);
    expect(metric(c, "itl_p99").tolerance).toBe(0.2);
    expect(metric(c, "itl_mean").tolerance).toBe(0.05);
    const p99 = metric(c, "itl_p99");
    expect(p99.changeRelative!).toBeGreaterThan(0.8);
    expect(p99.interval![0] / p99.baseline!).toBeGreaterThan(0.2);
    expect(p99.verdict).toBe("regressed");
    expect(compareScenario("stalls", [a], [b], { alpha: 0.05, tolerance: 0.05, tailTolerance: 5, resamples: 4000, seed: 0 }).metrics.find((m) => m.key === "itl_p99")!.verdict).toBe("within-noise");
  });

  test("time blocks: values go to the block of their time, a request's gaps to the blocks they ended in", () => {
    // Request 0 sent at 0 ms: TTFT 125, gaps 62.5 and 125 (ending at 187.5 and 312.5 ms). Request 1 sent at 62.5 ms:
    // TTFT 62.5, one gap of 31.25 (ending at 156.25). The run spans 0–312.5 ms: 6 blocks of 52.08 ms.
    const data = perRequestFromDetailed({ ttfts: [0.125, 0.0625], itls: [[0.0625, 0.125], [0.03125]], output_lens: [3, 2], start_times: [10, 10.0625], errors: ["", ""] })!;
    expect(timeBlockUnits(data, "ttft", 6)!.map((u) => Array.from(u))).toEqual([[125], [62.5]]);
    // Block 3 holds the gaps of both requests that ended in it; request 0's second gap is in block 5.
    expect(timeBlockUnits(data, "itl", 6)!.map((u) => Array.from(u))).toEqual([[62.5, 31.25], [125]]);
    expect(timeBlockUnits(data, "success", 6)!.map((u) => Array.from(u))).toEqual([[1], [1]]);
    // Without send times there are no blocks (compare then resamples requests).
    expect(timeBlockUnits(perRequestFromDetailed({ ttfts: [0.1], itls: [[0.1]], output_lens: [2] })!, "ttft")).toBeNull();
  });

  test("success units leave out requests cancelled by an interrupt, as the success_rate threshold does", () => {
    // One success, one server failure, one cancelled: success rate 1/2, not 1/3.
    const detailed = { ttfts: [0.1, 0, 0], itls: [[0.1], [], []], output_lens: [2, 0, 0], errors: ["", "http: HTTP 500: boom", "cancelled: run interrupted"] };
    const blocks = timeBlockUnits(perRequestFromDetailed({ ...detailed, start_times: [1, 1.1, 1.2] })!, "success", 1)!;
    expect(blocks.map((u) => Array.from(u))).toEqual([[1, 0]]);
    const perRequestUnits = resamplingUnits(perRequestFromDetailed(detailed)!, "success");
    expect(perRequestUnits.map((u) => Array.from(u))).toEqual([[1], [0]]);
  });

  test("a verdict on too few values says so: a p99 of 64 TTFTs is reported, not judged", async () => {
    const dir = scratchDir();
    const write = (name: string, o: SyntheticOptions) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(syntheticDoc(o)));
      return path;
    };
    const err = sink();
    const out = sink();
    const code = await runCompareCommand(write("a.json", { seed: 1 }), write("b.json", { seed: 2, ttftMs: 65 }), { format: "json", failOnRegression: true, stdout: out.write, stderr: err.write });
    expect(code).toBe(ExitCode.regression);
    const doc = JSON.parse(out.text()) as { scenarios: { notes: string[]; statistics: { key: string; method: string; verdict: string; note: string | null }[] }[] };
    const ttftP99 = doc.scenarios[0]!.statistics.find((s) => s.key === "ttft_p99")!;
    expect(ttftP99).toMatchObject({ method: "too-few-values", verdict: "n/a", note: "too few values for a p99 verdict: 64 values, a p99 needs 1000 (10 beyond it)" });
    expect(err.text()).toContain("TTFT p99 (ms): too few values for a p99 verdict: 64 values, a p99 needs 1000 (10 beyond it)");
    // 64 requests of 63 gaps: enough for an ITL p99.
    expect(doc.scenarios[0]!.statistics.find((s) => s.key === "itl_p99")!.method).toBe("bootstrap");
    expect(doc.scenarios[0]!.notes[0]).toStartWith("one run a side: intervals from 20 blocks of each run's time");
    expect(err.text()).toContain("note: one run a side");
  });

  /** Runs as `vbench run --repeat 3` labels them: variant rep1, rep2, rep3. */
  const repeats = (seeds: number[], o: Partial<SyntheticOptions> = {}): LoadedRun[] =>
    seeds.map((seed, i) => ({ ...syntheticRun({ seed, ...o }), variant: `rep${i + 1}`, scenario: `synthetic_rep${i + 1}`, scenarioName: "synthetic" }));

  test("repeated runs are one group per side, judged by Student t between runs", () => {
    const base = repeats([101, 102, 103]);
    const { pairs } = matchScenarios(base, repeats([104, 105, 106]));
    expect(pairs.map((p) => [p.scenario, p.base.length, p.cand.length])).toEqual([["synthetic", 3, 3]]);
    const same = compareScenario("synthetic", pairs[0]!.base, pairs[0]!.cand);
    expect(called(same)).toEqual([]);
    const judged = same.metrics.filter((m) => m.method !== "too-few-values");
    expect(new Set(judged.map((m) => m.method))).toEqual(new Set(["runs-t"]));
    // A p99 is judged against the 5% tolerance between runs: their variation is measured.
    expect(metric(same, "itl_p99").tolerance).toBe(0.05);
    const slow = compareScenario("synthetic", base, repeats([104, 105, 106], { ttftMs: 65 }));
    expect(metric(slow, "ttft_mean").verdict).toBe("regressed");
    expect(metric(slow, "ttft_mean").interval![0] / metric(slow, "ttft_mean").baseline!).toBeGreaterThan(0.05);
    // One run against three: judged against the three runs' spread.
    const one = compareScenario("synthetic", base, [syntheticRun({ seed: 107, ttftMs: 65 })]);
    expect(metric(one, "ttft_mean").method).toBe("runs-t");
    expect(metric(one, "ttft_mean").verdict).toBe("regressed");
  });

  test("summary only, one run a side: a mean is judged by the tolerance alone, a p99 not at all", () => {
    const summaryOnly = (o: SyntheticOptions) => {
      const { ttfts, itls, start_times, errors, output_lens, input_lens, ...rest } = syntheticDoc(o);
      return toLoadedRun(rest, "vllm", `/synthetic/summary-${o.seed}.json`, 0);
    };
    const c = compareScenario("summary", [summaryOnly({ seed: 1 })], [summaryOnly({ seed: 2, ttftMs: 65 })]);
    expect(metric(c, "ttft_mean")).toMatchObject({ method: "tolerance", verdict: "regressed", interval: null });
    expect(metric(c, "itl_p99")).toMatchObject({ method: "too-few-runs", verdict: "n/a" });
    expect(metric(c, "itl_p99").note).toContain("not judged: a p99 from one run a side without per-request data");
  });
});

type Stat = { key: string; verdict: string; method: string; change_relative: number | null; interval_relative: [number, number] | null; interval_level: number | null; note: string | null };
type Doc = { scenarios: { verdict: string; notes: string[]; statistics: Stat[] }[]; regressed: boolean };

describe("compare on the simulator", () => {
  let base: SimRun, same: SimRun, slow: SimRun;

  beforeAll(async () => {
    // Sequential: runs in parallel would disturb each other's timing on a 2-core machine.
    base = await simulate({ mockSeed: 1, ttftMs: 50, jitterMs: 5 });
    same = await simulate({ mockSeed: 2, ttftMs: 50, jitterMs: 5 });
    // 60% slower, not the bench's 30%: a test on a loaded machine needs a margin; bench/compare-noise.ts measures the 30% detection rate.
    slow = await simulate({ mockSeed: 3, ttftMs: 80, jitterMs: 5 });
  }, 90_000);

  async function compare(a: string, b: string, opts: Parameters<typeof runCompareCommand>[2] = {}): Promise<{ code: number; doc: Doc; err: string }> {
    const out = sink();
    const err = sink();
    const code = await runCompareCommand(a, b, { format: "json", failOnRegression: true, stdout: out.write, stderr: err.write, ...opts });
    return { code, doc: JSON.parse(out.text()) as Doc, err: err.text() };
  }
  const stat = (doc: Doc, key: string) => doc.scenarios[0]!.statistics.find((s) => s.key === key)!;

  test("A/A: one run a side is judged on time blocks, 64 requests are too few for a p99, every interval a Bonferroni share; the same inputs give byte-identical output", async () => {
    const first = await compare(base.outputDir, same.outputDir);
    expect(stat(first.doc, "ttft_mean").method).toBe("bootstrap");
    expect(stat(first.doc, "output_throughput").method).toBe("replay");
    expect(stat(first.doc, "ttft_p99")).toMatchObject({ method: "too-few-values", verdict: "n/a", note: "too few values for a p99 verdict: 64 values, a p99 needs 1000 (10 beyond it)" });
    expect(first.doc.scenarios[0]!.notes.join("\n")).toContain("intervals from 20 blocks of each run's time");
    expect(first.err).toContain("TTFT p99 (ms): too few values for a p99 verdict");
    const judged = first.doc.scenarios[0]!.statistics.filter((s) => s.interval_level !== null);
    expect(judged.length).toBeGreaterThan(5);
    for (const s of judged) expect(s.interval_level!).toBeCloseTo(1 - 0.05 / judged.length, 10);
    const again = await compare(base.outputDir, same.outputDir);
    expect(JSON.stringify(again.doc)).toBe(JSON.stringify(first.doc));
  });

  test("TTFT 50 → 80 ms (60%): regressed, exit code 6", async () => {
    const { code, doc, err } = await compare(same.outputDir, slow.outputDir);
    // On failure the message shows the statistic, not just the exit code.
    expect({ code, regressed: doc.regressed, ttft: stat(doc, "ttft_mean") }).toMatchObject({ code: ExitCode.regression, regressed: true, ttft: { verdict: "regressed" } });
    expect(stat(doc, "ttft_mean").interval_relative![0]).toBeGreaterThan(0.05);
    expect(err).toContain("REGRESSED");
  });

  test("summary-only inputs (standardized documents): means by the tolerance alone, p99s not judged", async () => {
    const parsed = (r: SimRun) => join(r.outputDir, "parsed", readdirSync(join(r.outputDir, "parsed"))[0]!);
    const strict = await compare(parsed(same), parsed(slow));
    expect(stat(strict.doc, "ttft_mean")).toMatchObject({ method: "tolerance", interval_relative: null, verdict: "regressed" });
    expect(strict.code).toBe(ExitCode.regression);
    for (const s of strict.doc.scenarios[0]!.statistics.filter((x) => x.key.endsWith("_p99"))) expect(s.verdict).toBe("n/a");
    const loose = await compare(parsed(same), parsed(slow), { tolerance: 0.9 });
    expect(stat(loose.doc, "ttft_mean").verdict).toBe("within-noise");
    // With the tolerance alone, exactly the changes beyond it are called.
    for (const s of loose.doc.scenarios[0]!.statistics) {
      if (s.method !== "tolerance") continue;
      expect(s.verdict === "within-noise").toBe(Math.abs(s.change_relative!) <= 0.9);
    }
  });

  test("a side whose run lost time to steal is named under the table, with each side's own figure", async () => {
    // A copy of `same` whose result says its client's CPUs lost 1.5 s to the hypervisor.
    const stolenPath = join(scratchDir(), "stolen.json");
    const doc = JSON.parse(readFileSync(same.resultsPath, "utf8"));
    doc.vbench.client.steal_ms = 1500;
    writeFileSync(stolenPath, JSON.stringify(doc));
    const baseSteal = JSON.parse(readFileSync(base.resultsPath, "utf8")).vbench.client.steal_ms as number;
    expect(baseSteal).toBeNumber();
    const { doc: result } = await compare(base.resultsPath, stolenPath);
    const note = result.scenarios[0]!.notes.find((n) => n.startsWith("steal time"));
    expect(note).toBe(`steal time (the hypervisor running something else while the client's CPUs had work; vbench.client.steal_ms): baseline ${baseSteal.toFixed(0)} ms, candidate 1500 ms; every timing across it is late by it, so a change may be the machine's`);
  });

  test("without --fail-on-regression a regression still exits 0", async () => {
    const { code } = await compare(same.resultsPath, slow.resultsPath, { failOnRegression: false });
    expect(code).toBe(ExitCode.ok);
  });

  test("rejects an alpha outside (0, 1) and a tail tolerance of 0", async () => {
    await expect(runCompareCommand(base.outputDir, slow.outputDir, { alpha: 1.5, stderr: () => undefined })).rejects.toThrow("--alpha");
    await expect(runCompareCommand(base.outputDir, slow.outputDir, { tailTolerance: 0, stderr: () => undefined })).rejects.toThrow("--tail-tolerance");
  });
});
