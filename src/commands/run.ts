/**
 * `vbench run`: validate everything, discover the endpoint, then run each
 * planned scenario (initial test request → warmups → the measured run),
 * print vLLM's result block, and hand results to the exporters. The steps
 * are the run pipeline's (src/run/pipeline.ts); this file orders them and
 * returns the exit code.
 */
import { join } from "node:path";
import type { ScenarioResult } from "../base/scenario-types.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { workerCount } from "../engine/workers.ts";
import { resolveConfig, type ConfigSources, type PlannedRun, type RunPlan } from "../config/config.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { Logger } from "../base/log.ts";
import { failedVerdictNames } from "../results/thresholds.ts";
import { localTimestamp } from "../run/run-info.ts";
import { VERSION } from "../base/version.ts";
import { LiveRun } from "../monitoring/live-state.ts";
import { configHash, shardOptions, type ShardOptions } from "../config/shard.ts";
import { assertNotLate } from "../engine/common-start.ts";
import { startLiveMetricsServer } from "../monitoring/live-metrics.ts";
import { exporterOptionsFromFlags, metricsPort, outputDirs } from "../config/cli-flags.ts";
import { registryFor } from "./load-registry.ts";
import { withMock } from "./with-mock.ts";
import { FORCED_EXIT, RunPipeline, exitCodeFor } from "../run/pipeline.ts";
import { ResultWriter } from "../run/result-writer.ts";
import { runRepeats, type ScenarioRunContext } from "../run/scenario-run.ts";
import type { PreparedScenario } from "../engine/prepare.ts";
import type { BuiltWorkload } from "../workload/index.ts";

export interface RunCommandOptions {
  sources: ConfigSources;
  outputDir: string;
  parsedDir: string;
  apiKey?: string;
  /** Per-exporter options from flags, merged over the file's `exporter_options`. */
  exporterOptions?: Record<string, Record<string, unknown>>;
  /** Serve live Prometheus metrics on this port during the run (--metrics-port); undefined = off. */
  metricsPort?: number;
  metricsHost?: string;
  /** Run each scenario this many times and report the mean of each metric with a 95% confidence interval. */
  repeat?: number;
  /** --shard, --run-id, --start-at (src/config/shard.ts). */
  shardOptions?: ShardOptions;
  /** --workers as given (src/engine/workers.ts reads it, or VBENCH_WORKERS). */
  workers?: unknown;
}

/** `vbench run`'s flags (and environment) → the run, against the simulator with --mock. */
export async function runFromFlags(flags: Record<string, unknown>): Promise<number> {
  const { registry, sources } = await registryFor(flags);
  const dirs = outputDirs(flags, process.env);
  const repeat = Number(flags.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new VbenchError("bad_flag", `--repeat: expected a whole number >= 1, found ${String(flags.repeat)}`, { hint: "vbench run --repeat 5" });
  const sharding = shardOptions(flags, process.env);
  const options: RunCommandOptions = {
    sources,
    ...dirs,
    apiKey: process.env.OPENAI_API_KEY,
    repeat,
    workers: flags.workers,
    shardOptions: sharding,
    exporterOptions: exporterOptionsFromFlags(flags, process.env),
    metricsPort: metricsPort(flags, process.env),
    metricsHost: flags.metricsHost === undefined ? undefined : String(flags.metricsHost),
  };
  return withMock(flags, sources, () => runCommand(options, registry));
}

const INTERRUPTS = {
  first: (signal: string) => `${signal}: stopping; cancelling in-flight requests and writing results of everything finished (press Ctrl-C again to exit at once)`,
  again: (signal: string) => `${signal} again: exiting now; finished requests are in requests.jsonl`,
};

/** Run the plan; resolves with the exit code (0, 4 thresholds failed, 130 interrupted), throws VbenchError before traffic. */
export async function runCommand(options: RunCommandOptions, registry: Registry): Promise<number> {
  const log = new Logger();
  const plan = resolveConfig(options.sources, registry);
  const timestamp = localTimestamp(new Date());
  const sharding = options.shardOptions ?? { shard: null, runId: null, startAtEpochMs: null };
  const repeat = options.repeat ?? 1;
  checkShardedPlan(plan.runs.length * repeat, sharding);
  const pipeline = new RunPipeline({ registry, log, apiKey: options.apiKey, runId: sharding.runId ?? undefined, workers: workerCount(options.workers) });

  // Preflight, in the order that fails cheapest first; nothing is sent until all pass.
  // The local checks are `vbench validate`'s too (output directories, tokenizers, datasets).
  const workloads = await pipeline.checkBeforeSending(plan, { ...options, shard: sharding.shard });
  log.addFile(join(options.outputDir, `vllm_benchmark_main_${timestamp}.log`));
  log.debug(`vbench ${VERSION} run ${pipeline.runId}; config ${plan.configPath ?? "(none)"}; ${plan.runs.length} planned run(s)`);
  const writer = new ResultWriter(plan, registry, options, log);
  await writer.preflight();
  const { prepared, hashes } = await discoverAndPrepare(pipeline, plan, workloads);
  if (sharding.shard && prepared.some((p) => p.sessions)) {
    throw new VbenchError("shard_sessions", "multi-turn session workloads cannot be sharded yet", { hint: "Run session workloads from one machine, or shard a single-turn workload.", exitCode: ExitCode.config });
  }

  // Live /metrics (--metrics-port): bound before any benchmark request, stopped with the run's other resources.
  const live = options.metricsPort === undefined ? undefined : new LiveRun();
  const liveServer = live ? await startLiveMetricsServer(options.metricsPort!, live.snapshot, { hostname: options.metricsHost }) : undefined;
  if (liveServer) log.info(`Live metrics: ${liveServer.url}`);

  const ctx: ScenarioRunContext = { pipeline, writer, outputDir: options.outputDir, parsedDir: options.parsedDir, timestamp, sharding, hashes, live };
  const results: ScenarioResult[] = [];
  let done: void | typeof FORCED_EXIT;
  try {
    done = await pipeline.untilDone(INTERRUPTS, async () => {
      for (const scenario of prepared) results.push(...(await runRepeats(ctx, scenario, repeat)));
      await writer.finish(results);
    });
  } finally {
    await liveServer?.stop();
    pipeline.close();
  }
  if (done === FORCED_EXIT) return ExitCode.interrupted;
  writer.throwIfFailed();
  return outcome(log, results, pipeline.interrupted, sharding, options.outputDir);
}

/** Each run with its discovered model, prepared (the pre-flight built its workload), and its config fingerprint. */
async function discoverAndPrepare(pipeline: RunPipeline, plan: RunPlan, workloads: Map<PlannedRun, BuiltWorkload>) {
  const runs: PlannedRun[] = [];
  /** Taken before discovery fills in the model (shards compare it). */
  const hashes = new Map<PlannedRun, string>();
  for (const run of plan.runs) {
    const discovered: PlannedRun = { ...run, scenario: await pipeline.discover(run.scenario) };
    runs.push(discovered);
    hashes.set(discovered, configHash(run.scenario));
  }
  const prepared: PreparedScenario[] = [];
  // runs[i] is plan.runs[i] with the discovered model.
  for (const [i, run] of runs.entries()) prepared.push(await pipeline.prepare(run, workloads.get(plan.runs[i]!)));
  return { prepared, hashes };
}

function outcome(log: Logger, results: ScenarioResult[], interrupted: boolean, sharding: ShardOptions, outputDir: string): number {
  if (interrupted) {
    log.warn(`Interrupted: results of the ${results.reduce((n, r) => n + r.summary.completed, 0)} finished requests were written to ${outputDir}`);
    return exitCodeFor({ interrupted, failed: false });
  }
  const failedThresholds = failedVerdictNames(results);
  // A shard's verdicts judge its share only: the run's verdict (and exit code) is `vbench merge`'s. Failing here would also fail a Kubernetes Job whose merge still has to run.
  if (failedThresholds.length && sharding.shard) log.warn(`This shard's own thresholds failed (${failedThresholds.join(", ")}); the run is judged by \`vbench merge\` over every shard`);
  else if (failedThresholds.length) log.error(`Thresholds failed: ${failedThresholds.join(", ")} (exit code ${ExitCode.threshold})`);
  return exitCodeFor({ interrupted, failed: failedThresholds.length > 0 && !sharding.shard });
}

/**
 * A common start serves one measured run: the shards could not know when a second one begins. A shard
 * that starts after the instant refuses at once rather than after discovery and preparation.
 */
function checkShardedPlan(measuredRuns: number, sharding: ShardOptions): void {
  if (sharding.startAtEpochMs === null) return;
  if (measuredRuns > 1) {
    throw new VbenchError("start_at_one_run", `--start-at starts one measured run, but this plan has ${measuredRuns} (scenarios x sweep points x repeats)`, {
      hint: "Select one scenario with --scenario and no sweep or --repeat; run one Job (or one set of shards) per scenario.",
      exitCode: ExitCode.config,
    });
  }
  assertNotLate(sharding.startAtEpochMs, "when this process started");
}
