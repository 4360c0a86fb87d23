/**
 * `vbench aggregate --results-dir DIR --out FILE [--include-vllm-benchmark]`:
 * the seed's scripts/aggregate_metrics.py. Writes FILE (JSON) and the same
 * results as CSV next to it (FILE with a .csv extension).
 * `--include-vllm-benchmark` is accepted for the seed's command line; vLLM
 * benchmark results are always included (they are all vbench collects).
 */
import Papa from "papaparse";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { formatJson } from "../results/result-docs.ts";
import { loadRuns } from "../analysis/load.ts";
import { aggregateCsvRows, buildAggregate } from "../analysis/aggregate.ts";
import { clean } from "../analysis/table.ts";

export interface AggregateCommandOptions {
  resultsDir?: string;
  out?: string;
  /** Accepted for the seed's command line; no effect. */
  includeVllmBenchmark?: boolean;
  verbose?: boolean;
  stderr?: (text: string) => void;
  /** The `generated_at` timestamp (tests pin it). */
  nowIso?: string;
}

/** `out.json` → `out.csv`; any other name gets `.csv` appended. */
export function csvPathFor(out: string): string {
  return /\.json$/i.test(out) ? out.replace(/\.json$/i, ".csv") : `${out}.csv`;
}

/** Writes `out` and its CSV twin (csvPathFor); returns the exit code. */
export async function runAggregateCommand(opts: AggregateCommandOptions): Promise<number> {
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  if (!opts.resultsDir) throw new VbenchError("aggregate_args", "--results-dir is required", { hint: "vbench aggregate --results-dir benchmark_results/parsed --out aggregate.json" });
  if (!opts.out) throw new VbenchError("aggregate_args", "--out is required", { hint: "vbench aggregate --results-dir benchmark_results/parsed --out aggregate.json" });
  const { runs } = await loadRuns(opts.resultsDir, {
    warn: (m) => err(`warning: ${clean(m)}\n`),
    debug: (m) => (opts.verbose ? err(`debug: ${clean(m)}\n`) : undefined),
  });
  const doc = buildAggregate(runs, opts.resultsDir, opts.nowIso ?? new Date().toISOString());
  const { fields, rows } = aggregateCsvRows(doc);
  const csv = Papa.unparse({ fields, data: rows.map((r) => fields.map((f) => r[f] ?? "")) }, { newline: "\n" }) + "\n";
  const csvPath = csvPathFor(opts.out);
  await writeFileAtomic(opts.out, formatJson(doc));
  await writeFileAtomic(csvPath, csv);
  err(`aggregated ${runs.length} result(s) from ${clean(opts.resultsDir)} into ${clean(opts.out)} and ${clean(csvPath)}\n`);
  return ExitCode.ok;
}
