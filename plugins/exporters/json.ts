/**
 * json exporter: the vLLM-compatible benchmark_results.json in the scenario
 * directory and the standardized document in PARSED_DIR, both written
 * atomically (spec/output.md).
 */
import { join } from "node:path";
import type { ScenarioResult } from "../../src/core/types.ts";
import { defineExporter } from "../../src/core/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/core/atomic-write.ts";
import { buildBenchmarkResults, buildStandardized, formatJson, scenarioLabel } from "../../src/core/result-docs.ts";

export const BENCHMARK_RESULTS_FILE = "benchmark_results.json";

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
    await checkWritableDir(ctx.parsedDir, { create: true });
  },
  async write(result, ctx) {
    const resultsPath = join(ctx.scenarioDir, BENCHMARK_RESULTS_FILE);
    const standardizedPath = join(ctx.parsedDir, standardizedFileName(result));
    const taskName = typeof ctx.options.task_name === "string" ? ctx.options.task_name : undefined;
    await writeFileAtomic(resultsPath, formatJson(buildBenchmarkResults(result)));
    await writeFileAtomic(standardizedPath, formatJson(buildStandardized(result, taskName)));
    return [resultsPath, standardizedPath];
  },
});
