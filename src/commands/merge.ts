/**
 * `vbench merge SHARD_DIR... --output-dir DIR [--allow-partial]`: one result
 * from the shards of a sharded run (src/run/shard-merge.ts), written in the
 * layout of `vbench run` (scenario_LABEL_TIMESTAMP/ with
 * benchmark_results.json, requests.jsonl, ...; parsed/; summary.csv;
 * metrics.prom), so analyze, compare, report and export work on it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Registry } from "../plugin-host/registry.ts";
import type { ScenarioResult } from "../base/scenario-types.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { Logger } from "../base/log.ts";
import { writeFileAtomic } from "../base/atomic-write.ts";
import { recordToJsonLine } from "../results/record-log.ts";
import { formatExtras, formatResultBlock } from "../results/console-block.ts";
import { evaluateThresholds, failedVerdictNames } from "../results/thresholds.ts";
import { hostInfo } from "../run/run-info.ts";
import { loadShard, shardScenarioDirs, type LoadedShard } from "../run/shard-load.ts";
import { checkBelongTogether, checkScenarioShards, mergedSummary, mergeInfo, unionRecords } from "../run/shard-merge.ts";
import { exportContext, exportersFor, writeWithExporters } from "./export.ts";
import { VERSION } from "../base/version.ts";

export interface MergeCommandOptions {
  outputDir: string;
  allowPartial: boolean;
  /** Exporters, comma-separated (default: the normal layout's json, csv, msgpack, prometheus). */
  format: string;
}

/** Shards grouped by scenario label (name plus sweep variant), in the order first seen. */
function byLabel(shards: LoadedShard[]): Map<string, LoadedShard[]> {
  const groups = new Map<string, LoadedShard[]>();
  for (const s of shards) {
    const group = groups.get(s.manifest.label) ?? [];
    group.push(s);
    groups.set(s.manifest.label, group);
  }
  return groups;
}

function missingError(label: string, count: number, missing: number[], shards: LoadedShard[]): VbenchError {
  const have = shards.map((s) => s.manifest.shard.index).sort((a, b) => a - b);
  return new VbenchError("merge_missing", `scenario "${label}": ${missing.map((i) => `shard ${i}/${count}`).join(", ")} ${missing.length === 1 ? "is" : "are"} missing (given: ${have.join(", ") || "none"})`, {
    hint: "Pass every shard's directory, or --allow-partial to merge the shards given (the result is marked partial).",
    exitCode: ExitCode.config,
  });
}

/** One merged scenario result, ready for the exporters. */
function mergeScenario(label: string, shards: LoadedShard[], missing: number[], outputDir: string, log: Logger): ScenarioResult {
  const merged = unionRecords(label, shards);
  const summary = mergedSummary(merged, shards);
  const first = shards.reduce((a, b) => (a.manifest.timestamp <= b.manifest.timestamp ? a : b));
  const host = first.host ?? hostInfo();
  const run: ScenarioResult["run"] = {
    runId: first.manifest.run_id,
    toolVersion: VERSION,
    startedAtIso: new Date(merged.t0EpochMs).toISOString(),
    timestamp: first.manifest.timestamp,
    scenarioDir: "",
    outputDir,
    parsedDir: join(outputDir, "parsed"),
    variant: first.manifest.variant,
    host: { ...host, hostname: [...new Set(shards.map((s) => s.host?.hostname ?? "?"))].join(",") },
    // A shard that was interrupted or died sent less than its share.
    interrupted: shards.some((s) => s.client === null || s.client.interrupted),
    t0EpochMs: merged.t0EpochMs,
    merge: mergeInfo(shards, missing),
  };
  const result: ScenarioResult = { scenario: merged.scenario, records: merged.records, summary, run, thresholds: evaluateThresholds(merged.scenario.thresholds, summary) };
  for (const s of shards) {
    const how = s.client === null ? "no result file (the shard died or was stopped): merged from requests.jsonl" : `its result and requests.jsonl${s.client.interrupted ? " (it was interrupted)" : ""}`;
    log.info(`  shard ${s.manifest.shard.index}/${s.manifest.shard.count}: ${s.records.length} records from ${how}${s.badLines ? `; ${s.badLines} unreadable line(s) skipped` : ""} [${s.dir}]`);
  }
  const t0s = shards.filter((s) => s.records.length > 0 && s.t0EpochMs !== null).map((s) => s.t0EpochMs!);
  if (first.manifest.start_at === null && t0s.length > 1) {
    log.warn(`scenario "${label}": the shards had no common start (--start-at); their schedules began ${(Math.max(...t0s) - Math.min(...t0s)).toFixed(1)} ms apart by their clocks, and the merged schedule is that much skewed`);
  }
  if (missing.length) log.warn(`scenario "${label}" is partial: shard(s) ${missing.join(", ")} of ${shards[0]!.manifest.shard.count} missing`);
  return result;
}

export async function runMergeCommand(dirs: string[], opts: MergeCommandOptions, registry: Registry): Promise<number> {
  if (dirs.length === 0) throw new VbenchError("merge_input", "no shard directory given", { hint: "vbench merge out/shard-0 out/shard-1 out/shard-2 --output-dir out/merged" });
  const log = new Logger();
  const exporters = exportersFor(opts.format, registry);
  const shards = dirs.flatMap(shardScenarioDirs).map(loadShard);
  checkBelongTogether(shards);
  const groups = byLabel(shards);
  const planned: { label: string; shards: LoadedShard[]; missing: number[] }[] = [];
  for (const [label, group] of groups) {
    const missing = checkScenarioShards(label, group);
    if (missing.length && !opts.allowPartial) throw missingError(label, group[0]!.manifest.shard.count, missing, group);
    planned.push({ label, shards: group, missing });
  }

  const results: ScenarioResult[] = [];
  for (const { label, shards: group, missing } of planned) {
    log.info(`Merging scenario ${label} of run ${group[0]!.manifest.run_id}:`);
    results.push(mergeScenario(label, group, missing, opts.outputDir, log));
  }
  const writeOpts = { outDir: opts.outputDir, flat: false, log: (m: string) => log.debug(m) };
  for (const result of results) {
    result.run.scenarioDir = exportContext(exporters[0]!, result, writeOpts).scenarioDir;
  }
  await writeWithExporters(results, exporters, writeOpts);
  for (const result of results) {
    // The merged records, on the common axis, as a run writes them.
    mkdirSync(result.run.scenarioDir, { recursive: true });
    await writeFileAtomic(join(result.run.scenarioDir, "requests.jsonl"), result.records.map((r) => recordToJsonLine(r, result.run.t0EpochMs) + "\n").join(""));
    log.raw(formatResultBlock(result.summary, result.scenario));
    log.raw(formatExtras(result.summary, result.scenario, result.thresholds));
    log.info(`Results: ${result.run.scenarioDir}`);
  }
  const failed = failedVerdictNames(results);
  if (failed.length) {
    log.error(`Thresholds failed: ${failed.join(", ")} (exit code ${ExitCode.threshold})`);
    return ExitCode.threshold;
  }
  return ExitCode.ok;
}
