/**
 * `vbench compare BASELINE CANDIDATE [--fail-on-regression] [--alpha 0.05]
 * [--tolerance 0.05] [--format table|json]`: per scenario and statistic the
 * change and a verdict (improved / regressed / within noise): regressed when
 * the whole interval lies beyond the tolerance, the interval from Student t
 * over repeated runs or a seeded time-block bootstrap of one run a side
 * (analysis/compare.ts, docs/analysis.md). Says under each table what the
 * verdicts rest on and which statistics had too few values to judge.
 * Deterministic: the same inputs give the same intervals.
 */
import { STEAL_WORTH_NAMING_MS } from "../base/steal.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { formatJson } from "../results/result-docs.ts";
import { loadRuns } from "../analysis/load.ts";
import { DEFAULT_COMPARE, compareScenario, matchScenarios, type CompareOptions, type MetricComparison, type ScenarioComparison } from "../analysis/compare.ts";
import { cell, clean, formatTable, percentCell } from "../analysis/table.ts";
import { TIME_BLOCKS } from "../analysis/time-blocks.ts";
import type { LoadedRun } from "../analysis/types.ts";

export const COMPARISON_SCHEMA = "vbench.comparison/1";

export interface CompareCommandOptions {
  format?: "table" | "json";
  /** Write the JSON document here instead of stdout (format json). */
  out?: string;
  failOnRegression?: boolean;
  alpha?: number;
  tolerance?: number;
  tailTolerance?: number;
  resamples?: number;
  seed?: number;
  verbose?: boolean;
  stderr?: (text: string) => void;
  stdout?: (text: string) => void;
}

function checkFraction(name: string, value: number, maxExclusive: number): void {
  if (!Number.isFinite(value) || value <= 0 || value >= maxExclusive) {
    throw new VbenchError("compare_option", `--${name} must be a number in (0, ${maxExclusive}), got ${value}`, { hint: name === "alpha" ? "0.05 gives 95% intervals." : "0.05 means 5%." });
  }
}

function intervalCell(metric: MetricComparison): string {
  if (!metric.interval || metric.baseline === null || metric.baseline === 0) return "-";
  const [lo, hi] = metric.interval.map((x) => x / Math.abs(metric.baseline!));
  return `[${percentCell(lo!)}, ${percentCell(hi!)}]`;
}

function describeSide(runs: LoadedRun[]): string {
  const data = runs.every((r) => r.requests) ? "per-request data" : "summary only";
  return `${runs.length} run${runs.length === 1 ? "" : "s"} (${data})`;
}

/** What the verdicts of one scenario rest on, one sentence per basis (printed under its table, and in the JSON). */
export function scenarioNotes(c: ScenarioComparison, opts: CompareOptions): string[] {
  const used = new Set(c.metrics.map((m) => m.method));
  const [nb, nc] = [c.baselineRuns.length, c.candidateRuns.length];
  const notes: string[] = [];
  if (used.has("runs-t")) {
    const single = nb === 1 || nc === 1 ? "; the single run is judged against the spread of the other side's runs" : "";
    notes.push(`between runs: Student t over the runs' values (${nb} vs ${nc} runs)${single}`);
  }
  if (used.has("bootstrap")) {
    const tail = Math.max(opts.tolerance, opts.tailTolerance) * 100;
    notes.push(`one run a side: intervals from ${TIME_BLOCKS} blocks of each run's time, resampled; they cover the noise within the runs, not a machine busier during one run than the other, which moves tails most: a p99 is called only when its interval lies beyond ±${tail}% (--tail-tolerance). For a test between runs, run both sides with --repeat 3 or more`);
  }
  if (used.has("tolerance")) notes.push("summary only, one run a side: no interval; a mean or median is called when its change alone exceeds the tolerance");
  const steal = (runs: LoadedRun[]) => runs.reduce((sum, r) => sum + (r.stealMs ?? 0), 0);
  const [sb, sc] = [steal(c.baselineRuns), steal(c.candidateRuns)];
  if (Math.max(sb, sc) >= STEAL_WORTH_NAMING_MS) {
    notes.push(`steal time (the hypervisor running something else while the client's CPUs had work; vbench.client.steal_ms): baseline ${sb.toFixed(0)} ms, candidate ${sc.toFixed(0)} ms; every timing across it is late by it, so a change may be the machine's`);
  }
  return notes;
}

export function formatComparison(c: ScenarioComparison, opts: CompareOptions): string {
  const alpha = opts.alpha;
  const level = c.metrics.find((m) => m.intervalLevel !== null)?.intervalLevel ?? null;
  const head = `\n== ${clean(c.scenario)}: baseline ${describeSide(c.baselineRuns)} vs candidate ${describeSide(c.candidateRuns)} → ${c.verdict.toUpperCase()}\n`;
  const rows = c.metrics.map((m) => {
    const digits = m.key === "success_rate" ? 4 : 2;
    const mark = m.verdict === "regressed" ? "regressed !" : m.verdict === "improved" ? "improved" : m.verdict === "within-noise" ? "within noise" : "n/a";
    return [m.label, cell(m.baseline, digits), cell(m.candidate, digits), percentCell(m.changeRelative), intervalCell(m), m.method, mark];
  });
  const conf = level === null ? "interval" : `${(level * 100).toFixed(2)}% interval`;
  const note = level === null ? "" : `  (${c.intervals} intervals, each at ${(level * 100).toFixed(2)}%: jointly ${((1 - alpha) * 100).toFixed(0)}% (Bonferroni); change and interval relative to the baseline; regressed or improved when the whole interval lies beyond the tolerance)\n`;
  const notes = [...scenarioNotes(c, opts).map((n) => `  note: ${n}\n`), ...c.metrics.filter((m) => m.note).map((m) => `  ${m.label}: ${m.note}\n`)].join("");
  return head + formatTable(["statistic", "baseline", "candidate", "change", conf, "method", "verdict"], rows, { align: ["l", "r", "r", "r", "r", "l", "l"] }) + note + notes;
}

function comparisonJson(c: ScenarioComparison, opts: CompareOptions): Record<string, unknown> {
  return {
    scenario: c.scenario,
    verdict: c.verdict,
    baseline_runs: c.baselineRuns.map((r) => r.sourcePath),
    candidate_runs: c.candidateRuns.map((r) => r.sourcePath),
    notes: scenarioNotes(c, opts),
    statistics: c.metrics.map((m) => ({
      key: m.key,
      lower_is_better: m.lowerIsBetter,
      baseline: m.baseline,
      candidate: m.candidate,
      change: m.change,
      change_relative: m.changeRelative,
      method: m.method,
      interval: m.interval,
      interval_level: m.intervalLevel,
      tolerance: m.tolerance,
      interval_relative: m.interval && m.baseline ? m.interval.map((x) => x / Math.abs(m.baseline!)) : null,
      verdict: m.verdict,
      note: m.note,
    })),
  };
}

/** Run the command; returns ExitCode.regression when --fail-on-regression and anything regressed. */
export async function runCompareCommand(baseline: string, candidate: string, opts: CompareCommandOptions = {}): Promise<number> {
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  const out = opts.stdout ?? ((t: string) => process.stdout.write(t));
  const format = opts.format ?? "table";
  if (format !== "table" && format !== "json") throw new VbenchError("compare_format", `unknown --format "${format}"`, { hint: "Use table or json." });
  const settings = {
    ...DEFAULT_COMPARE,
    alpha: opts.alpha ?? DEFAULT_COMPARE.alpha,
    tolerance: opts.tolerance ?? DEFAULT_COMPARE.tolerance,
    tailTolerance: opts.tailTolerance ?? DEFAULT_COMPARE.tailTolerance,
    resamples: opts.resamples ?? DEFAULT_COMPARE.resamples,
    seed: opts.seed ?? DEFAULT_COMPARE.seed,
  };
  checkFraction("alpha", settings.alpha, 1);
  checkFraction("tolerance", settings.tolerance, 10);
  checkFraction("tail-tolerance", settings.tailTolerance, 10);
  if (!Number.isInteger(settings.resamples) || settings.resamples < 1000) throw new VbenchError("compare_option", `--resamples must be an integer >= 1000, got ${settings.resamples}`);
  const log = { warn: (m: string) => err(`warning: ${clean(m)}\n`), debug: (m: string) => (opts.verbose ? err(`debug: ${clean(m)}\n`) : undefined) };
  const base = await loadRuns(baseline, log);
  const cand = await loadRuns(candidate, log);
  const { pairs, onlyBaseline, onlyCandidate } = matchScenarios(base.runs, cand.runs);
  if (pairs.length === 0) {
    throw new VbenchError("compare_no_match", "no scenario appears in both the baseline and the candidate", {
      details: [`baseline: ${onlyBaseline.join(", ")}`, `candidate: ${onlyCandidate.join(", ")}`],
      hint: "Compare results of the same scenarios (matched by scenario name and sweep variant).",
    });
  }
  const comparisons = pairs.map((p) => compareScenario(p.scenario, p.base, p.cand, settings));
  for (const c of comparisons) err(formatComparison(c, settings));
  for (const n of onlyBaseline) err(`only in the baseline: ${clean(n)}\n`);
  for (const n of onlyCandidate) err(`only in the candidate: ${clean(n)}\n`);
  const regressed = comparisons.filter((c) => c.verdict === "regressed");
  err(`\n${regressed.length === 0 ? "no regression" : `REGRESSED: ${regressed.map((c) => clean(c.scenario)).join(", ")}`} (${comparisons.length} scenario${comparisons.length === 1 ? "" : "s"}; alpha ${settings.alpha}, tolerance ${settings.tolerance * 100}% (one-run p99 ${settings.tailTolerance * 100}%), ${settings.resamples} resamples, seed ${settings.seed})\n`);

  if (format === "json") {
    const text = formatJson({
      schema: COMPARISON_SCHEMA,
      baseline,
      candidate,
      method: { alpha: settings.alpha, tolerance: settings.tolerance, tail_tolerance: settings.tailTolerance, resamples: settings.resamples, seed: settings.seed, time_blocks: TIME_BLOCKS, rule: "interval beyond tolerance" },
      scenarios: comparisons.map((c) => comparisonJson(c, settings)),
      only_baseline: onlyBaseline,
      only_candidate: onlyCandidate,
      regressed: regressed.length > 0,
    });
    if (opts.out) await writeFileAtomic(opts.out, text);
    else out(text);
  }
  return opts.failOnRegression && regressed.length > 0 ? ExitCode.regression : ExitCode.ok;
}
