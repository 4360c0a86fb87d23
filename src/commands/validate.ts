/**
 * `vbench validate`: everything `vbench run` checks before sending (the
 * scenario file, flags, plugins, tokenizers, dataset files, output
 * directories), sending nothing; the resolved scenarios as JSON on stdout.
 */
import { withFlatDataset } from "../base/dataset-types.ts";
import { ExitCode } from "../base/errors.ts";
import { redactHeaders } from "../base/redact.ts";
import { outputDirs } from "../config/cli-flags.ts";
import { resolveConfig } from "../config/config.ts";
import { checkBeforeSending } from "../run/preflight.ts";
import { registryFor } from "./load-registry.ts";

export async function runValidateCommand(options: Record<string, unknown>): Promise<number> {
  const { registry, sources } = await registryFor(options);
  const plan = resolveConfig(sources, registry);
  const dirs = outputDirs(options, process.env);
  await checkBeforeSending(plan, { ...dirs, dryRun: true });
  const runs = plan.runs.map((r) =>
    withFlatDataset({
      variant: r.variant,
      ...r.scenario,
      headers: redactHeaders(r.scenario.headers),
      requestRate: Number.isFinite(r.scenario.requestRate) ? r.scenario.requestRate : "inf",
      burstiness: Number.isFinite(r.scenario.burstiness) ? r.scenario.burstiness : "inf",
    }),
  );
  process.stdout.write(JSON.stringify({ config: plan.configPath, ...dirs, exporters: plan.exporters, plugins: plan.plugins, runs }, null, 2) + "\n");
  process.stderr.write(`${plan.runs.length} scenario run(s) valid${plan.configPath ? ` in ${plan.configPath}` : " (no config file: built-in defaults)"}\n`);
  return ExitCode.ok;
}
