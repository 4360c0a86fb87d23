/**
 * `vbench report PATH --out report.html`: the HTML report (src/analysis/html.ts)
 * of every result under PATH, one self-contained file.
 */
import { ExitCode, VbenchError } from "../base/errors.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { loadRuns } from "../analysis/load.ts";
import { renderHtmlReport } from "../analysis/html.ts";
import { clean } from "../analysis/table.ts";

export interface ReportCommandOptions {
  out?: string;
  title?: string;
  verbose?: boolean;
  stderr?: (text: string) => void;
  /** The "generated" timestamp (tests pin it). */
  nowIso?: string;
}

export async function runReportCommand(path: string, opts: ReportCommandOptions = {}): Promise<number> {
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  const out = opts.out ?? "report.html";
  if (!/\.html?$/i.test(out)) {
    throw new VbenchError("report_out", `--out ${out} should end in .html`, { hint: "vbench report benchmark_results --out report.html" });
  }
  const { runs } = await loadRuns(path, {
    warn: (m) => err(`warning: ${clean(m)}\n`),
    debug: (m) => (opts.verbose ? err(`debug: ${clean(m)}\n`) : undefined),
  });
  await writeFileAtomic(out, renderHtmlReport(runs, { title: opts.title, generatedAtIso: opts.nowIso ?? new Date().toISOString() }));
  err(`wrote ${clean(out)} (${runs.length} run${runs.length === 1 ? "" : "s"})\n`);
  return ExitCode.ok;
}
