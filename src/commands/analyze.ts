/**
 * `vbench analyze PATH [--format table|json|csv] [--out FILE] [--config FILE] [--check]`:
 * the seed's analyze_vllm_results.py. A statistical summary per scenario
 * and sweep point, a trend table when one has several runs, a sweep's
 * points as one table (throughput against latency per level) (stderr), the same as
 * JSON or CSV (stdout or --out), and with --check a CI gate over the
 * thresholds (ExitCode.threshold when any fails).
 */
import Papa from "papaparse";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { formatJson } from "../results/result-docs.ts";
import { groupRuns, loadRuns } from "../analysis/load.ts";
import { describeFailure, judgeRuns, readThresholdConfig, thresholdFailures } from "../analysis/thresholds.ts";
import { formatRunSummary, runSummaryJson, summaryCsvRows } from "../analysis/summary.ts";
import { computeTrend, formatTrend, trendJson } from "../analysis/trend.ts";
import { findSweeps, formatSweep, sweepJson } from "../analysis/sweeps.ts";
import { clean } from "../analysis/table.ts";

export const ANALYSIS_SCHEMA = "vbench.analysis/1";

export interface AnalyzeCommandOptions {
  format?: "table" | "json" | "csv";
  /** Write json/csv here instead of stdout. */
  out?: string;
  /** Scenario file whose thresholds judge runs saved without thresholds. */
  config?: string;
  /** Exit with ExitCode.threshold when a threshold fails. */
  check?: boolean;
  /** Sparklines in the trend table (default: stderr is a TTY). */
  sparklines?: boolean;
  /** Debug notes (skipped files) on stderr. */
  verbose?: boolean;
  stderr?: (text: string) => void;
  stdout?: (text: string) => void;
}

/** Run the command; returns the exit code (ok, threshold, or config when --check could not read every result). */
export async function runAnalyzeCommand(path: string, opts: AnalyzeCommandOptions = {}): Promise<number> {
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  const out = opts.stdout ?? ((t: string) => process.stdout.write(t));
  const format = opts.format ?? "table";
  if (!["table", "json", "csv"].includes(format)) {
    throw new VbenchError("analyze_format", `unknown --format "${format}"`, { hint: "Use table, json or csv." });
  }
  const config = opts.config ? readThresholdConfig(opts.config) : null;
  const { runs, problems } = await loadRuns(path, {
    warn: (m) => err(`warning: ${clean(m)}\n`),
    debug: (m) => (opts.verbose ? err(`debug: ${clean(m)}\n`) : undefined),
  });
  const judged = judgeRuns(runs, config);
  const byRun = new Map(judged.map((j) => [j.run, j]));
  const groups = groupRuns(runs);
  const sparklines = opts.sparklines ?? process.stderr.isTTY === true;

  const trends = groups.map((g) => ({ group: g, rows: computeTrend(g) }));
  for (const { group, rows } of trends) {
    const n = group.runs.length;
    err(`\n== ${clean(group.scenario)} · model ${clean(group.model ?? "?")} · backend ${clean(group.backend ?? "?")} · ${n} run${n === 1 ? "" : "s"}\n`);
    if (n > 1) err(`  latest of ${n} runs (every run is in --format json/csv):\n`);
    err(formatRunSummary(byRun.get(group.runs[n - 1]!)!));
    if (n > 1) err(formatTrend(group, rows, sparklines));
  }

  // A concurrency or rate sweep: its points side by side, one row per level.
  const sweeps = findSweeps(runs);
  for (const sweep of sweeps) err(`\n${formatSweep(sweep)}`);

  const failures = thresholdFailures(judged);
  const unjudged = judged.filter((j) => j.source === "none").length;
  err("\n");
  if (failures.length > 0) {
    const runsFailed = new Set(failures.map((f) => f.run)).size;
    err(`thresholds: ${failures.length} failed in ${runsFailed} of ${runs.length} runs\n`);
    for (const f of failures) err(`  ${clean(describeFailure(f))}\n`);
  } else {
    err(`thresholds: ${judged.length - unjudged > 0 ? `all passed in ${judged.length - unjudged} runs` : "none to check"}\n`);
  }
  if (unjudged > 0) err(`  ${unjudged} run(s) carry no thresholds${config ? " and none in the config applies" : " (pass --config FILE to judge them)"}\n`);

  if (format !== "table") {
    let text: string;
    if (format === "json") {
      text = formatJson({
        schema: ANALYSIS_SCHEMA,
        path,
        config: opts.config ?? null,
        runs: judged.map(runSummaryJson),
        trends: trends.filter((t) => t.group.runs.length > 1).map((t) => trendJson(t.group, t.rows)),
        sweeps: sweeps.map(sweepJson),
        skipped: problems.map((p) => ({ path: p.path, reason: p.reason })),
        check: {
          passed: failures.length === 0,
          failures: failures.map((f) => ({ source: f.run.sourcePath, run_id: f.run.runId, scenario: f.run.scenario, variant: f.run.variant, timestamp: f.run.timestamp, ...f.verdict, by: f.by, by_relative: f.byRelative })),
        },
      });
    } else {
      const { fields, rows } = summaryCsvRows(judged, sweeps);
      text = Papa.unparse({ fields, data: rows.map((r) => fields.map((f) => r[f] ?? "")) }, { newline: "\n" }) + "\n";
    }
    if (opts.out) {
      await writeFileAtomic(opts.out, text);
      err(`wrote ${opts.out}\n`);
    } else out(text);
  }

  if (!opts.check) return ExitCode.ok;
  if (failures.length > 0) return ExitCode.threshold;
  if (problems.length > 0) {
    err(`check incomplete: ${problems.length} result file(s) could not be read (see the warnings above)\n`);
    return ExitCode.config;
  }
  return ExitCode.ok;
}
