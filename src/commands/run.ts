/**
 * `vbench run`: validate everything, discover the endpoint, then run each
 * planned scenario (initial test request → warmups → the measured run),
 * print vLLM's result block, and hand results to the exporters.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ExportContext } from "../base/plugin-types.ts";
import type { ScenarioResult, RunInfo } from "../base/scenario-types.ts";
import type { Registry } from "../plugin-host/registry.ts";
import { dispatchThreadCount } from "../engine/dispatch-threads.ts";
import { resolveConfig, type ConfigSources, type PlannedRun } from "../config/config.ts";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { Logger } from "../base/log.ts";
import { writeError, writeFileAtomic } from "../base/atomic-write.ts";
import { checkBeforeSending } from "../run/preflight.ts";
import { discoverModel } from "../run/discovery.ts";
import { HttpClient } from "../engine/http.ts";
import { prepareScenario, requestHeaders } from "../engine/prepare.ts";
import { executeScenario } from "../engine/execute.ts";
import type { PreparedScenario } from "../engine/prepare.ts";
import { formatResultBlock, formatExtras } from "../results/console-block.ts";
import { evaluateThresholds, failedVerdictNames } from "../results/thresholds.ts";
import { localTimestamp, hostInfo, newRunId } from "../run/run-info.ts";
import { VERSION } from "../base/version.ts";
import { redactUrl } from "../base/redact.ts";
import { LiveRun } from "../monitoring/live-state.ts";
import { configHash, type ShardOptions } from "../config/shard.ts";
import { assertNotLate } from "../engine/common-start.ts";
import { shardManifest, writeShardManifest } from "../run/shard-manifest.ts";
import { startLiveMetricsServer } from "../monitoring/live-metrics.ts";

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
  /** Exit immediately (second Ctrl-C); provided by cli.ts, the only place that exits. */
  exitNow(code: number): never;
  /** --shard, --run-id, --start-at (src/config/shard.ts). */
  shardOptions?: ShardOptions;
}

export interface RunOutcome {
  exitCode: number;
  results: ScenarioResult[];
}

export async function runCommand(options: RunCommandOptions, registry: Registry): Promise<RunOutcome> {
  const log = new Logger();
  const plan = resolveConfig(options.sources, registry);
  const dispatchThreads = dispatchThreadCount();
  const timestamp = localTimestamp(new Date());
  const sharding = options.shardOptions ?? { shard: null, runId: null, startAtEpochMs: null };
  const runId = sharding.runId ?? newRunId();
  checkShardedPlan(plan.runs.length * (options.repeat ?? 1), sharding);

  // Preflight, in the order that fails cheapest first; nothing is sent until all pass.
  // The local checks are `vbench validate`'s too (output directories, tokenizers, datasets).
  const { tokenizers, workloads } = await checkBeforeSending(plan, { outputDir: options.outputDir, parsedDir: options.parsedDir, dryRun: false });
  const mainLog = join(options.outputDir, `vllm_benchmark_main_${timestamp}.log`);
  log.addFile(mainLog);
  log.debug(`vbench ${VERSION} run ${runId}; config ${plan.configPath ?? "(none)"}; ${plan.runs.length} planned run(s)`);
  const exporters = plan.exporters.map((name) => registry.exporter(name));
  const exporterContext = (scenarioDir: string, name: string): ExportContext => ({
    scenarioDir,
    outputDir: options.outputDir,
    parsedDir: options.parsedDir,
    options: { ...(plan.exporterOptions[name] ?? {}), ...(options.exporterOptions?.[name] ?? {}) },
    log: (message) => log.info(message),
  });
  for (const exporter of exporters) await exporter.preflight?.(exporterContext(options.outputDir, exporter.name));

  const discovered = new Map<string, string>();
  const runs: PlannedRun[] = [];
  /** Each run's config fingerprint, taken before discovery fills in the model (shards compare it). */
  const hashes = new Map<PlannedRun, string>();
  for (const run of plan.runs) {
    const backend = registry.backend(run.scenario.backend);
    const key = `${run.scenario.baseUrl} ${backend.name} ${run.scenario.servedModel} ${run.scenario.modelCheck}`;
    if (!discovered.has(key)) {
      const headers = requestHeaders(run.scenario, backend, options.apiKey);
      const found = await discoverModel(run.scenario.baseUrl, backend, run.scenario.servedModel, headers, { checkModel: run.scenario.modelCheck });
      if (found.warning) log.warn(found.warning);
      discovered.set(key, found.model);
      log.debug(`discovery ${run.scenario.baseUrl}${backend.discovery.path}: ${found.models.join(", ") || "(none listed)"}`);
    }
    const model = discovered.get(key)!;
    runs.push({ ...run, scenario: Object.freeze({ ...run.scenario, servedModel: model, model: run.scenario.model || model }) });
    hashes.set(runs[runs.length - 1]!, configHash(run.scenario));
  }

  const prepared: PreparedScenario[] = [];
  // runs[i] is plan.runs[i] with the discovered model; the pre-flight built its workload.
  for (const [i, run] of runs.entries()) prepared.push(await prepareScenario(run, registry.backend(run.scenario.backend), tokenizers.get(run.scenario.tokenizer)!, options.apiKey, workloads.get(plan.runs[i]!)));
  if (sharding.shard && prepared.some((p) => p.sessions)) {
    throw new VbenchError("shard_sessions", "multi-turn session workloads cannot be sharded yet", { hint: "Run session workloads from one machine, or shard a single-turn workload.", exitCode: ExitCode.config });
  }

  // Live /metrics (--metrics-port): bound before any benchmark request, stopped with the run's other resources.
  const live = options.metricsPort === undefined ? undefined : new LiveRun();
  const liveServer = live ? await startLiveMetricsServer(options.metricsPort!, live.snapshot, { hostname: options.metricsHost }) : undefined;
  if (liveServer) log.info(`Live metrics: ${liveServer.url}`);

  // Signals: the first stops dispatching and writes what finished; the second exits at once.
  const abort = new AbortController();
  let flushRecords: () => Promise<void> = async () => {};
  const onSignal = (signal: string) => {
    if (abort.signal.aborted) {
      log.warn(`${signal} again: exiting now; finished requests are in requests.jsonl`);
      void flushRecords().finally(() => options.exitNow(ExitCode.interrupted));
      return;
    }
    log.warn(`${signal}: stopping; cancelling in-flight requests and writing results of everything finished (press Ctrl-C again to exit at once)`);
    abort.abort();
  };
  const sigint = () => onSignal("SIGINT");
  const sigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", sigint);
  process.on("SIGTERM", sigterm);

  const results: ScenarioResult[] = [];
  const client = new HttpClient();
  const repeat = options.repeat ?? 1;
  /** Results that could not be written; the run goes on and exits with the first one's code. */
  const writeFailures: unknown[] = [];

  /** One measured run of a prepared scenario: execute, report, export. */
  const runOnce = async (scenario: PreparedScenario, variant: string): Promise<ScenarioResult> => {
    const { name } = scenario.run.scenario;
    const label = variant ? `${name}_${variant}` : name;
    const scenarioDir = join(options.outputDir, `scenario_${label}_${timestamp}`);
    const scenarioLog = join(options.outputDir, `scenario_${label}_${timestamp}.log`);
    // Held until the initial test request passed (openOutput): a failed preflight leaves only the main log.
    log.addFile(scenarioLog, { deferred: true });
    const runInfo: RunInfo = {
      runId,
      toolVersion: VERSION,
      startedAtIso: new Date().toISOString(),
      timestamp,
      scenarioDir,
      outputDir: options.outputDir,
      parsedDir: options.parsedDir,
      variant,
      host: hostInfo(),
      interrupted: false,
      ...(sharding.shard ? { shard: { ...sharding.shard, configHash: hashes.get(scenario.run)!, startAtIso: sharding.startAtEpochMs === null ? null : new Date(sharding.startAtEpochMs).toISOString() } } : {}),
    };
    const openOutput = async () => {
      try {
        mkdirSync(scenarioDir, { recursive: true });
      } catch (error) {
        throw writeError("write_failed", scenarioDir, error, ExitCode.io);
      }
      log.openFile(scenarioLog);
      // Before the first measured request: a shard that dies still leaves what merge needs beside its records.
      if (runInfo.shard) await writeShardManifest(scenarioDir, shardManifest(scenario.run.scenario, runInfo, runInfo.shard, label));
    };
    const s = scenario.run.scenario;
    log.info(`Scenario ${label}: ${s.description || s.name} (${s.backend} ${redactUrl(s.baseUrl)}${s.endpointPath}, model ${s.servedModel})`);
    for (const note of scenario.notes) log.info(note);
    live?.begin({ runId, scenario: s.name, variant, model: s.model, backend: s.backend, metrics: s.percentileMetrics });
    const executed = await executeScenario(scenario, { openOutput, client, log, runId, scenarioDir, signal: abort.signal, setFlush: (f) => (flushRecords = f), live, dispatchThreads, backendBuiltIn: registry.isBuiltInBackend(s.backend), shard: sharding.shard, startAtEpochMs: sharding.startAtEpochMs });
    live?.end();
    const pool = client.stats;
    log.debug(`connections of this thread so far: ${pool.opened} opened, ${pool.reused} reuses, ${pool.expired} idle ones closed unused (server keep-alive limit), ${pool.resent} requests re-sent after a reused connection closed`);
    runInfo.interrupted = executed.interrupted;
    runInfo.t0EpochMs = executed.t0EpochMs;
    const verdicts = evaluateThresholds(s.thresholds, executed.summary);
    const result: ScenarioResult = { scenario: s, records: executed.records, summary: executed.summary, run: runInfo, thresholds: verdicts };
    log.raw(formatResultBlock(executed.summary, s));
    log.raw(formatExtras(executed.summary, s, verdicts));
    if (executed.recordsError) writeFailures.push(executed.recordsError);
    for (const exporter of exporters) {
      // One exporter failing (disk full, a database down) must not stop the others or the next scenario.
      try {
        const written = await exporter.write(result, exporterContext(scenarioDir, exporter.name));
        for (const file of written) log.debug(`wrote ${file}`);
      } catch (error) {
        writeFailures.push(error);
        log.error(`exporter ${exporter.name} failed: ${errorMessage(error)}`);
      }
    }
    log.info(`Results: ${scenarioDir}`);
    log.removeFile(scenarioLog);
    return result;
  };

  try {
    for (const scenario of prepared) {
      const repeats: ScenarioResult[] = [];
      for (let rep = 1; rep <= repeat && !abort.signal.aborted; rep++) {
        const variant = [scenario.run.variant, repeat > 1 ? `rep${rep}` : ""].filter(Boolean).join("-");
        const result = await runOnce(scenario, variant);
        results.push(result);
        repeats.push(result);
      }
      if (repeat > 1 && repeats.length > 1) {
        const { summarizeRepeats, formatRepeatTable, repeatJson } = await import("../analysis/repeat.ts");
        const label = [scenario.run.scenario.name, scenario.run.variant].filter(Boolean).join("_");
        const summary = summarizeRepeats(repeats.map((r) => r.summary));
        log.raw(formatRepeatTable(summary, label));
        const path = join(options.outputDir, `repeat_${label}_${timestamp}.json`);
        await writeFileAtomic(path, JSON.stringify({ scenario: scenario.run.scenario.name, variant: scenario.run.variant, ...repeatJson(summary) }, null, 2) + "\n");
        log.info(`Repeat summary: ${path}`);
      }
    }
    for (const exporter of exporters) {
      try {
        const written = (await exporter.finish?.(results, exporterContext(options.outputDir, exporter.name))) ?? [];
        for (const file of written) log.debug(`wrote ${file}`);
      } catch (error) {
        writeFailures.push(error);
        log.error(`exporter ${exporter.name} failed: ${errorMessage(error)}`);
      }
    }
  } finally {
    await liveServer?.stop();
    client.closeAll();
    process.off("SIGINT", sigint);
    process.off("SIGTERM", sigterm);
  }

  if (writeFailures.length) {
    const first = writeFailures[0];
    throw first instanceof VbenchError ? new VbenchError(first.code, `${writeFailures.length} result write(s) failed; the first: ${first.message}`, { hint: first.hint, exitCode: first.exitCode, details: writeFailures.slice(1).map(errorMessage) }) : first;
  }
  if (abort.signal.aborted) {
    log.warn(`Interrupted: results of the ${results.reduce((n, r) => n + r.summary.completed, 0)} finished requests were written to ${options.outputDir}`);
    return { exitCode: ExitCode.interrupted, results };
  }
  const failedThresholds = failedVerdictNames(results);
  // A shard's verdicts judge its share only: the run's verdict (and exit code) is `vbench merge`'s. Failing here would also fail a Kubernetes Job whose merge still has to run.
  if (failedThresholds.length && sharding.shard) log.warn(`This shard's own thresholds failed (${failedThresholds.join(", ")}); the run is judged by \`vbench merge\` over every shard`);
  else if (failedThresholds.length) {
    log.error(`Thresholds failed: ${failedThresholds.join(", ")} (exit code ${ExitCode.threshold})`);
    return { exitCode: ExitCode.threshold, results };
  }
  return { exitCode: ExitCode.ok, results };
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
