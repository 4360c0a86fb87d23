/**
 * The measured run of one scenario (./execute.ts has the steps before it):
 * its plan (the schedule, a shard's share, where it is dispatched from), the
 * header lines, and the run itself with records streamed to requests.jsonl,
 * live counters and the progress line, on the engine's worker threads or on
 * this thread.
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { Logger } from "../base/log.ts";
import { Progress, type ProgressCounters } from "../base/progress.ts";
import { indexMap, shardConcurrency, type ShardSpec } from "../config/shard.ts";
import type { RecordLog } from "../results/record-log.ts";
import type { ExecuteContext } from "./execute-context.ts";
import { runLoad, type LoadResult } from "./loadgen.ts";
import type { PreparedScenario } from "./prepare.ts";
import { listFeed } from "./request-feed.ts";
import type { RequestSupply } from "./request-supply.ts";
import { runSchedule, strided, type Schedule } from "./schedule.ts";
import { runSessions } from "./sessions.ts";
import { singleLoopReason, type DispatchThreads } from "./dispatch-threads.ts";
import { startClientMonitor, type ClientMonitor } from "./client-monitor.ts";
import { takeReadStalls, type ReadStalls } from "./read-stalls.ts";
import { dumpTrace } from "./stall-trace.ts";
import { loopLagStats } from "../results/client-metrics.ts";
import { loopLagText } from "../results/console-block.ts";
import { idleRuntimeHelpersUntilEnd } from "../base/thread-slice.ts";

/** How often the run looks for new runtime helper threads (the JIT starts its compile threads on demand). */
const HELPER_SCAN_MS = 1000;

/** What one scenario's loads share. */
export interface LoadPlan {
  base: { client: ExecuteContext["client"]; origin: PreparedScenario["origin"]; backend: PreparedScenario["backend"]; timeoutMs: number; idleTimeoutMs: number };
  globalSchedule: Schedule;
  /** This process's share of it (all of it unless sharded). */
  schedule: Schedule;
  shard: ShardSpec | null;
  /** This process's concurrency limit (a shard's share). */
  maxConcurrency: number | null;
  byIndex: { first: number; step: number } | undefined;
  deadlineMs: number | undefined;
  /** Why the run stays on this thread; null: worker threads can run it. */
  singleLoop: string | null;
}

export function planLoad(prepared: PreparedScenario, ctx: ExecuteContext): LoadPlan {
  const { scenario } = prepared.run;
  const shard = ctx.shard ?? null;
  // A shard sends its own share of the global schedule, with its share of the concurrency limit.
  const maxConcurrency = shardConcurrency(scenario.maxConcurrency, shard);
  const byIndex = indexMap(shard);
  const count = prepared.sessions ? prepared.sessions.plan.length : prepared.count;
  const globalSchedule = runSchedule({ count, rateRps: scenario.requestRate, burstiness: scenario.burstiness, rampUp: scenario.rampUp, seed: scenario.seed, durationS: scenario.durationS }, prepared.workload.offsetsMs);
  const schedule = strided(globalSchedule, byIndex);
  const singleLoop = singleLoopReason(ctx.workers, { name: prepared.backend.name, builtIn: ctx.backendBuiltIn, file: ctx.backendFile ?? null });
  const base = { client: ctx.client, origin: prepared.origin, backend: prepared.backend, timeoutMs: scenario.timeoutS * 1000, idleTimeoutMs: scenario.idleTimeoutS * 1000 };
  const deadlineMs = scenario.durationS === null ? undefined : scenario.durationS * 1000;
  return { base, globalSchedule, schedule, shard, maxConcurrency, byIndex, deadlineMs, singleLoop };
}

export function logRunHeader(prepared: PreparedScenario, plan: LoadPlan, log: Logger): void {
  const { scenario } = prepared.run;
  const { shard } = plan;
  log.info("Initial test run completed. Starting main benchmark run...");
  log.info(`Traffic request rate: ${Number.isFinite(scenario.requestRate) ? scenario.requestRate : "inf"} RPS.`);
  log.info(`Burstiness factor: ${formatBurstiness(scenario.burstiness)}`);
  log.info(`Maximum request concurrency: ${scenario.maxConcurrency ?? "None"}`);
  if (shard) log.info(`Shard ${shard.index}/${shard.count}: ${plan.schedule.count} of ${plan.globalSchedule.count} requests (i mod ${shard.count} = ${shard.index}), concurrency limit ${plan.maxConcurrency ?? "None"}`);
  if (scenario.rampUp) log.info(`Ramp-up: ${scenario.rampUp.strategy} from ${scenario.rampUp.startRps} to ${scenario.rampUp.endRps} RPS`);
  if (scenario.durationS !== null) log.info(`Time-bound: dispatching for ${scenario.durationS} s, then draining`);
}

function formatBurstiness(b: number): string {
  if (!Number.isFinite(b)) return "inf (constant intervals)";
  const text = Number.isInteger(b) ? b.toFixed(1) : String(b);
  return b === 1 ? `${text} (Poisson process)` : `${text} (Gamma distribution)`;
}

/** What the measured run gives the summary. */
export interface MeasuredLoad {
  records: RequestRecord[];
  endMs: number;
  cancelled: boolean;
  /** Requests (sessions: turns) never sent. */
  notDispatched: number;
  /** eventLoopLoops: how many loops' probe samples eventLoopLagMs pools (each worker's, or this thread's). */
  client: ReturnType<ClientMonitor["stop"]> & { readStalls: ReadStalls; eventLoopLoops: number };
}

export interface MeasuredInputs {
  supply: RequestSupply | null;
  threads: DispatchThreads | null;
  recordLog: RecordLog;
  t0Ms: number;
}

export async function measuredRun(prepared: PreparedScenario, ctx: ExecuteContext, plan: LoadPlan, inputs: MeasuredInputs): Promise<MeasuredLoad> {
  const { scenario } = prepared.run;
  const { log } = ctx;
  const { supply, threads, recordLog, t0Ms } = inputs;
  const requestTotal = prepared.sessions ? prepared.sessions.plan.reduce((n, s) => n + s.turns.length, 0) : plan.schedule.count;
  const counters: ProgressCounters = { done: 0, failed: 0, cancelled: 0, total: scenario.durationS ?? requestTotal };
  // A quiet logger's caller (search, calibrate) prints its own line per step: no progress lines beside it.
  const progress = log.quiet ? null : new Progress(counters, scenario.durationS !== null);
  const tokenizer = prepared.tokenizer;
  const onRecord = (record: RequestRecord) => {
    // Only servers that report no usage pay this: the count is needed before the record is written.
    if (record.outputTokenSource === "tokenizer" && record.success) record.outputTokens = record.generatedText ? tokenizer.encode(record.generatedText).length : 0;
    counters.done++;
    if (record.error?.category === "cancelled") counters.cancelled!++;
    else if (!record.success) counters.failed++;
    recordLog.add(record);
    ctx.live?.onRecord(record);
  };
  // The producer failing mid-run stops the run as an interruption would (what finished is kept).
  const runStop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, runStop.signal]);
  let producerFailure: string | null = null;
  if (supply) supply.onFailure = (message) => ((producerFailure = message), runStop.abort());
  // The runtime's compile and allocator threads yield to the threads that stamp reads (thread-slice.ts).
  const helpers = idleRuntimeHelpersUntilEnd(HELPER_SCAN_MS);
  const monitor = startClientMonitor();
  takeReadStalls(); // this thread's reads so far were the test request's and warm-ups'; with worker threads it reads none
  progress?.start();
  ctx.live?.startClock();
  const onDispatch = ctx.live?.onDispatch;
  const prefix = `${ctx.runId}-${scenario.name}-`;
  let load: Pick<LoadResult, "records" | "endMs" | "cancelled" | "notDispatched"> & Partial<LoadResult> & { dispatchedPerThread?: number[]; readStalls?: ReadStalls; eventLoopLagMs?: Float64Array };
  if (threads) load = await threads.run({ signal, onRecord, onDispatch, t0Ms });
  else if (prepared.sessions) {
    const o = { ...plan.base, scenario, headers: prepared.headers, ignoreEos: prepared.ignoreEos, sessions: prepared.sessions.plan, schedule: plan.schedule, maxConcurrency: scenario.maxConcurrency, thinkTimeMs: prepared.sessions.thinkTimeMs };
    const r = await runSessions({ ...o, requestIdPrefix: `${prefix}s`, t0Ms, onRecord, onDispatch, signal: ctx.signal });
    load = { records: r.records, endMs: r.endMs, cancelled: r.cancelled, notDispatched: r.turnsSkipped };
  } else {
    const requests = supply?.forMainThread() ?? listFeed([]);
    load = await runLoad({ ...plan.base, requests, schedule: plan.schedule, indexMap: plan.byIndex, t0Ms, maxConcurrency: plan.maxConcurrency, requestIdPrefix: prefix, deadlineMs: plan.deadlineMs, signal, onRecord, onDispatch });
    dumpTrace(0, t0Ms); // VBENCH_STALL_TRACE with the engine on this thread (--workers 0)
  }
  const supplied = await supply?.finish();
  if (producerFailure) log.error(`the request producer thread failed during the run (${producerFailure}); the run stopped there and every request that finished is kept. Please report this.`);
  if (supplied && load.dispatched !== undefined) log.debug(`request bodies built: ${supplied.built ?? "(not counted)"} for ${load.dispatched} sent (look-ahead ${supply!.lookAhead})`);
  for (const note of supplied?.notes ?? []) log.info(note);
  if (load.dispatchedPerThread) log.debug(`${prepared.sessions ? "sessions" : "requests"} started per worker thread: ${load.dispatchedPerThread.join(", ")}`);
  if (load.failure) log.error(`${load.failure}. Set --workers 0 (VBENCH_WORKERS=0) to run the engine on the main thread, and please report this.`);
  const own = monitor.stop();
  // With workers, their loops stamped the reads: theirs is the run's lag; this thread only merged records.
  if (load.eventLoopLagMs) log.debug(`main thread's event-loop lag in ms (it merges records and draws progress, and times nothing): ${loopLagText(loopLagStats(own.eventLoopLagMs))}`);
  const client = { ...own, eventLoopLagMs: load.eventLoopLagMs ?? own.eventLoopLagMs, eventLoopLoops: load.dispatchedPerThread?.length ?? 1, readStalls: load.readStalls ?? takeReadStalls() };
  // After the run the compiles may run again at normal priority (where the kernel lets a thread back).
  log.debug(helpers.end());
  progress?.stop();
  return { records: load.records, endMs: load.endMs, cancelled: load.cancelled, notDispatched: load.notDispatched, client };
}
