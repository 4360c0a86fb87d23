/**
 * html exporter: report.html in each scenario directory and one combined
 * report_TIMESTAMP.html in OUTPUT_DIR after the last scenario
 * (src/analysis/html.ts): self-contained, no network, opens in any browser.
 */
import { join } from "node:path";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { loadedFromResult } from "../../src/analysis/normalize.ts";
import { renderHtmlReport } from "../../src/analysis/html.ts";
import type { LoadedRun } from "../../src/analysis/types.ts";

export const REPORT_FILE = "report.html";

/** The run as the analysis commands see its benchmark_results.json. */
function loaded(result: ScenarioResult): LoadedRun {
  return loadedFromResult(result, join(result.run.scenarioDir, "benchmark_results.json"));
}

export default defineExporter({
  name: "html",
  description: "Self-contained HTML report (latency CDFs, throughput and concurrency over time) per scenario and one for the whole run",
  async preflight(ctx) {
    await checkWritableDir(ctx.scenarioDir, { create: true });
    await checkWritableDir(ctx.outputDir, { create: true });
  },
  async write(result, ctx) {
    const path = join(ctx.scenarioDir, REPORT_FILE);
    await writeFileAtomic(path, renderHtmlReport([loaded(result)], { generatedAtIso: result.run.startedAtIso }));
    return [path];
  },
  async finish(results, ctx) {
    if (results.length === 0) return [];
    const path = join(ctx.outputDir, `report_${results[0]!.run.timestamp}.html`);
    await writeFileAtomic(path, renderHtmlReport(results.map(loaded), { generatedAtIso: results[0]!.run.startedAtIso }));
    return [path];
  },
});
