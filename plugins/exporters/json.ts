/**
 * json exporter: the vLLM-compatible benchmark_results.json in the scenario
 * directory and the standardized document in PARSED_DIR, both written
 * atomically (spec/output.md).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { buildBenchmarkResults, formatJson, scenarioLabel } from "../../src/results/result-docs.ts";
import { buildStandardized } from "../../src/results/standardized.ts";

export const BENCHMARK_RESULTS_FILE = "benchmark_results.json";

/**
 * Above this many requests benchmark_results.json leaves out vLLM's detailed
 * per-request arrays: building them and their text in memory added ~580 MiB
 * to a 1,000,000-request run (docs/performance.md). Every request is in
 * requests.jsonl and raw.msgpack anyway; option `detailed: true` forces them.
 */
export const DETAILED_LIMIT = 200_000;

/** Characters that are unsafe or awkward in file names become `_`. */
export function safeFileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** `NAME_TIMESTAMP_standardized.json`; NAME carries the sweep variant. The timestamp is the run's, never "now". */
export function standardizedFileName(result: ScenarioResult): string {
  return `${safeFileStem(scenarioLabel(result))}_${result.run.timestamp}_standardized.json`;
}

export default defineExporter({
  name: "json",
  description: "benchmark_results.json (vLLM-compatible) per scenario and the standardized result in PARSED_DIR",
  async preflight(ctx) {
    await checkWritableDir(ctx.scenarioDir, { create: true });
    // Checked, not created: PARSED_DIR appears only when a result is written (a failed preflight leaves none).
    await checkWritableDir(ctx.parsedDir, { create: true, dryRun: true });
  },
  async write(result, ctx) {
    // A directory that cannot be made surfaces in the write below, with the file's path and an I/O exit code.
    await mkdir(ctx.parsedDir, { recursive: true }).catch(() => undefined);
    const resultsPath = join(ctx.scenarioDir, BENCHMARK_RESULTS_FILE);
    const standardizedPath = join(ctx.parsedDir, standardizedFileName(result));
    const taskName = typeof ctx.options.task_name === "string" ? ctx.options.task_name : undefined;
    const detailed = ctx.options.detailed === true || (ctx.options.detailed !== false && result.records.length <= DETAILED_LIMIT);
    const doc = buildBenchmarkResults(result, { detailed });
    if (!detailed) (doc.vbench as Record<string, unknown>).detailed_arrays = `omitted above ${DETAILED_LIMIT} requests; every request is in requests.jsonl`;
    await writeFileAtomic(resultsPath, formatJson(doc));
    await writeFileAtomic(standardizedPath, formatJson(buildStandardized(result, taskName)));
    return [resultsPath, standardizedPath];
  },
});
