/**
 * Example exporter plugin: a Markdown summary per scenario (`summary.md`)
 * and one table of all scenarios in the output directory.
 *
 *   vbench run --plugin ./markdown-exporter.ts --export json,markdown ...
 */
import { defineExporter, type ScenarioResult } from "vbench/plugin";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const row = (r: ScenarioResult) => {
  const s = r.summary;
  const ttft = s.metrics.ttft;
  const label = r.run.variant ? `${r.scenario.name} (${r.run.variant})` : r.scenario.name;
  return `| ${label} | ${s.completed} | ${s.failed} | ${s.requestThroughput.toFixed(2)} | ${s.outputThroughput.toFixed(2)} | ${ttft ? ttft.mean.toFixed(2) : "-"} | ${ttft?.percentiles.p99?.toFixed(2) ?? "-"} |`;
};
const header = "| scenario | ok | failed | req/s | out tok/s | mean TTFT ms | p99 TTFT ms |\n|---|---|---|---|---|---|---|";

export default defineExporter({
  name: "markdown",
  description: "Example: Markdown summary tables",
  async write(result, ctx) {
    const path = join(ctx.scenarioDir, "summary.md");
    writeFileSync(path, `# ${result.scenario.name}\n\n${header}\n${row(result)}\n`);
    return [path];
  },
  async finish(results, ctx) {
    const path = join(ctx.outputDir, "summary.md");
    writeFileSync(path, `# vbench results\n\n${header}\n${results.map(row).join("\n")}\n`);
    return [path];
  },
});
