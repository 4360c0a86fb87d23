/**
 * One measured run of a prepared scenario as `vbench run` does it: execute
 * through the pipeline, print vLLM's result block and the extras, judge the
 * thresholds, hand the result to the exporters. With --repeat, a scenario's
 * runs are followed by the mean of each metric with its 95% interval.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunInfo, ScenarioResult } from "../base/scenario-types.ts";
import type { PreparedScenario } from "../engine/prepare.ts";
import type { PlannedRun } from "../config/config.ts";
import type { ShardOptions } from "../config/shard.ts";
import type { LiveRun } from "../monitoring/live-state.ts";
import { ExitCode } from "../base/errors.ts";
import { writeError, writeFileAtomic } from "../base/atomic-write.ts";
import { VERSION } from "../base/version.ts";
import { redactUrl } from "../base/redact.ts";
import { formatResultBlock, formatExtras } from "../results/console-block.ts";
import { evaluateThresholds } from "../results/thresholds.ts";
import { shardManifest, writeShardManifest } from "./shard-manifest.ts";
import { hostInfo } from "./run-info.ts";
import type { RunPipeline } from "./pipeline.ts";
import type { ResultWriter } from "./result-writer.ts";

export interface ScenarioRunContext {
  pipeline: RunPipeline;
  writer: ResultWriter;
  outputDir: string;
  parsedDir: string;
  /** `YYYYMMDD_HHMMSS` of the run, in every file name. */
  timestamp: string;
  sharding: ShardOptions;
  /** Each run's config fingerprint, taken before discovery filled in the model (shards compare it). */
  hashes: Map<PlannedRun, string>;
  live?: LiveRun;
}

/** Run a scenario `repeat` times (fewer when interrupted); with several runs, report and save their mean. */
export async function runRepeats(ctx: ScenarioRunContext, scenario: PreparedScenario, repeat: number): Promise<ScenarioResult[]> {
  const repeats: ScenarioResult[] = [];
  for (let rep = 1; rep <= repeat && !ctx.pipeline.interrupted; rep++) {
    const variant = [scenario.run.variant, repeat > 1 ? `rep${rep}` : ""].filter(Boolean).join("-");
    repeats.push(await runOnce(ctx, scenario, variant));
  }
  if (repeat > 1 && repeats.length > 1) {
    const { summarizeRepeats, formatRepeatTable, repeatJson } = await import("../analysis/repeat.ts");
    const label = [scenario.run.scenario.name, scenario.run.variant].filter(Boolean).join("_");
    const summary = summarizeRepeats(repeats.map((r) => r.summary));
    ctx.pipeline.log.raw(formatRepeatTable(summary, label));
    const path = join(ctx.outputDir, `repeat_${label}_${ctx.timestamp}.json`);
    await writeFileAtomic(path, JSON.stringify({ scenario: scenario.run.scenario.name, variant: scenario.run.variant, ...repeatJson(summary) }, null, 2) + "\n");
    ctx.pipeline.log.info(`Repeat summary: ${path}`);
  }
  return repeats;
}

function runInfoOf(ctx: ScenarioRunContext, run: PlannedRun, scenarioDir: string, variant: string): RunInfo {
  const { sharding } = ctx;
  return {
    runId: ctx.pipeline.runId,
    toolVersion: VERSION,
    startedAtIso: new Date().toISOString(),
    timestamp: ctx.timestamp,
    scenarioDir,
    outputDir: ctx.outputDir,
    parsedDir: ctx.parsedDir,
    variant,
    host: hostInfo(),
    interrupted: false,
    ...(sharding.shard ? { shard: { ...sharding.shard, configHash: ctx.hashes.get(run)!, startAtIso: sharding.startAtEpochMs === null ? null : new Date(sharding.startAtEpochMs).toISOString() } } : {}),
  };
}

/** One measured run: execute, report, export. */
export async function runOnce(ctx: ScenarioRunContext, scenario: PreparedScenario, variant: string): Promise<ScenarioResult> {
  const { pipeline, timestamp } = ctx;
  const log = pipeline.log;
  const s = scenario.run.scenario;
  const label = variant ? `${s.name}_${variant}` : s.name;
  const scenarioDir = join(ctx.outputDir, `scenario_${label}_${timestamp}`);
  const scenarioLog = join(ctx.outputDir, `scenario_${label}_${timestamp}.log`);
  // Held until the initial test request passed (openOutput): a failed preflight leaves only the main log.
  log.addFile(scenarioLog, { deferred: true });
  const runInfo = runInfoOf(ctx, scenario.run, scenarioDir, variant);
  const openOutput = async () => {
    try {
      mkdirSync(scenarioDir, { recursive: true });
    } catch (error) {
      throw writeError("write_failed", scenarioDir, error, ExitCode.io);
    }
    log.openFile(scenarioLog);
    // Before the first measured request: a shard that dies still leaves what merge needs beside its records.
    if (runInfo.shard) await writeShardManifest(scenarioDir, shardManifest(s, runInfo, runInfo.shard, label));
  };
  log.info(`Scenario ${label}: ${s.description || s.name} (${s.backend} ${redactUrl(s.baseUrl)}${s.endpointPath}, model ${s.servedModel})`);
  for (const note of scenario.notes) log.info(note);
  ctx.live?.begin({ runId: pipeline.runId, scenario: s.name, variant, model: s.model, backend: s.backend, metrics: s.percentileMetrics });
  const executed = await pipeline.execute(scenario, { openOutput, scenarioDir, live: ctx.live, shard: ctx.sharding.shard, startAtEpochMs: ctx.sharding.startAtEpochMs });
  ctx.live?.end();
  const pool = pipeline.connections;
  log.debug(`connections of this thread so far: ${pool.opened} opened, ${pool.reused} reuses, ${pool.expired} idle ones closed unused (server keep-alive limit), ${pool.resent} requests re-sent after a reused connection closed`);
  runInfo.interrupted = executed.interrupted;
  runInfo.t0EpochMs = executed.t0EpochMs;
  const verdicts = evaluateThresholds(s.thresholds, executed.summary);
  const result: ScenarioResult = { scenario: s, records: executed.records, summary: executed.summary, run: runInfo, thresholds: verdicts };
  log.raw(formatResultBlock(executed.summary, s));
  log.raw(formatExtras(executed.summary, s, verdicts));
  if (executed.recordsError) ctx.writer.recordFailure(executed.recordsError);
  await ctx.writer.write(result, scenarioDir);
  log.info(`Results: ${scenarioDir}`);
  log.removeFile(scenarioLog);
  return result;
}
