/**
 * One scenario, end to end on the wire: the initial test request (its
 * failure stops the run with the server's own words), warmups, then the
 * measured run with records streamed to disk, and the summary.
 */
import { join } from "node:path";
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { SummaryExtras } from "../base/summary-types.ts";
import { computeStats } from "../results/stats.ts";
import type { PlannedRun } from "../config/config.ts";
import type { HttpClient, Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";
import type { PreparedScenario } from "./prepare.ts";
import { runSessions } from "./sessions.ts";
import type { Logger } from "../base/log.ts";
import { sanitizeForTerminal } from "../base/log.ts";
import { redactUrl } from "../base/redact.ts";
import { runLoad } from "./loadgen.ts";
import { startDispatchThreads, singleLoopReason, type DispatchThreads } from "./dispatch-threads.ts";
import { atStart, runSchedule, strided } from "./schedule.ts";
import { listFeed } from "./request-feed.ts";
import { supplyRequests } from "./request-supply.ts";
import { RecordLog } from "../results/record-log.ts";
import { SHORT_SLICE_NS, shortSliceForMainThread } from "../base/thread-slice.ts";
import { startClientMonitor } from "./client-monitor.ts";
import { Progress, type ProgressCounters } from "../base/progress.ts";
import { summarize, type SummaryWithThresholdStats } from "../results/metrics.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { indexMap, shardConcurrency, type ShardSpec } from "../config/shard.ts";
import { runOrigin } from "./common-start.ts";
import type { LiveRun } from "../monitoring/live-state.ts";


export interface ExecuteContext {
  client: HttpClient;
  log: Logger;
  runId: string;
  scenarioDir: string;
  signal: AbortSignal;
  /** Lets the caller flush records on a second Ctrl-C. */
  setFlush(flush: () => Promise<void>): void;
  /** Live /metrics state (--metrics-port), fed from the load generator's callbacks. */
  live?: LiveRun;
  /** Dispatch threads for the main run (VBENCH_DISPATCH_THREADS, ./dispatch-threads.ts); 1: the main thread only. */
  dispatchThreads: number;
  /** The scenario's backend is built in (dispatch threads can load only those). */
  backendBuiltIn: boolean;
  /** Sharded run (./shard.ts): send only requests i with i mod count = index. */
  shard?: ShardSpec | null;
  /** Common start (--start-at), epoch ms: the measured run's t0. */
  startAtEpochMs?: number | null;
  /** Create the scenario's directory and log, once the initial test request passed (a failed one leaves nothing behind). */
  openOutput?(): Promise<void>;
}

export interface Executed {
  records: RequestRecord[];
  summary: SummaryWithThresholdStats;
  interrupted: boolean;
  /** requests.jsonl could not be written completely (the caller still writes the other results). */
  recordsError?: VbenchError;
  /** Wall-clock time (epoch ms) of the run clock's t0: record times + this = wall-clock times. */
  t0EpochMs: number;
}

/** Records whose tokenizer count is computed for the server/tokenizer mismatch statistic. */
const MISMATCH_SAMPLE = 100_000;
/** Warm-ups send the run's first requests, at most this many distinct ones (cycled). */
const WARMUP_DISTINCT = 64;

export async function executeScenario(p: PreparedScenario, ctx: ExecuteContext): Promise<Executed> {
  const { scenario } = p.run;
  const { log } = ctx;
  const loadBase = { client: ctx.client, origin: p.origin, backend: p.backend, timeoutMs: scenario.timeoutS * 1000, idleTimeoutMs: scenario.idleTimeoutS * 1000 };

  // Before the first load: the release clock's worker inherits the slice from this thread.
  if (shortSliceForMainThread()) log.debug(`dispatcher thread: short scheduler slice (${SHORT_SLICE_NS / 1000} µs)`);
  else log.debug("dispatcher thread: default scheduler slice (VBENCH_DEFAULT_SLICE=1, or short slices unavailable: they need Linux 6.12+)");
  const sessionCount = p.sessions?.plan.length ?? 0;
  const shard = ctx.shard ?? null;
  // A shard sends its own share of the global schedule, with its share of the concurrency limit.
  const maxConcurrency = shardConcurrency(scenario.maxConcurrency, shard);
  const byIndex = indexMap(shard);
  const globalSchedule = runSchedule({ count: p.sessions ? sessionCount : p.count, rateRps: scenario.requestRate, burstiness: scenario.burstiness, rampUp: scenario.rampUp, seed: scenario.seed, durationS: scenario.durationS }, p.workload.offsetsMs);
  const schedule = strided(globalSchedule, byIndex);
  let singleLoop = p.sessions ? "multi-turn sessions" : singleLoopReason({ schedule, maxConcurrency, backend: p.backend }, ctx.dispatchThreads, ctx.backendBuiltIn);
  // Requests are built as they are needed, by the producer thread, a look-ahead ahead of the dispatchers;
  // it starts now so that loading its tokenizer overlaps the initial test request.
  const supplyStarting = p.sessions || ctx.signal.aborted ? Promise.resolve(null) : supplyRequests(p, { schedule, maxConcurrency, indexMap: byIndex, consumers: singleLoop === null ? ctx.dispatchThreads : 1, backendBuiltIn: ctx.backendBuiltIn, log });
  // The producer thread would keep the process alive: every way out before the run stops it.
  const stopSupply = () => supplyStarting.then((started) => started?.finish());
  log.info("Starting initial single prompt test run...");
  const test = await runLoad({ ...loadBase, requests: listFeed([p.requestAt(0)]), schedule: atStart(1), maxConcurrency: 1, requestIdPrefix: `${ctx.runId}-test-`, onRecord: () => {}, signal: ctx.signal });
  const first = test.records[0];
  // Cancelled by Ctrl-C is not the server's fault: carry on to an empty, interrupted result (exit 130, not 3).
  if (first && !first.success && !ctx.signal.aborted) {
    await stopSupply();
    const e = first.error!;
    const detail = e.category === "http" ? `HTTP ${e.status}: ${sanitizeForTerminal(e.body ?? "").slice(0, 500)}` : sanitizeForTerminal(e.message);
    throw new VbenchError("initial_request_failed", `the initial test request to ${redactUrl(scenario.baseUrl)}${scenario.endpointPath} failed (${e.category}): ${detail}`, {
      hint: "The server's own message is above. Check the model name, the endpoint path and the request parameters (e.g. max tokens vs the model's context length).",
      exitCode: ExitCode.preflight,
    });
  }
  await ctx.openOutput?.().catch(async (error: unknown) => {
    await stopSupply();
    throw error;
  });

  // Warmups send the run's first few requests again (built here, before the clock starts).
  const warmupRequests = Array.from({ length: Math.min(scenario.warmups, WARMUP_DISTINCT, Math.max(1, p.count)) }, (_, w) => p.requestAt(w));
  const warmUpHere = async () => {
    if (scenario.warmups === 0 || ctx.signal.aborted) return;
    log.info(`Warming up with ${scenario.warmups} request(s)...`);
    await runLoad({ ...loadBase, requests: listFeed(warmupRequests), schedule: atStart(scenario.warmups), maxConcurrency, requestIdPrefix: `${ctx.runId}-warmup-`, onRecord: () => {}, signal: ctx.signal });
  };
  const supply = await supplyStarting;
  if (singleLoop === null && !supply?.forThreads()) singleLoop = "no request producer thread";
  // Dispatch threads warm up their own connections; the single loop warms up this thread's.
  let threads: DispatchThreads | null = null;
  if (singleLoop === null && !ctx.signal.aborted) {
    if (scenario.warmups > 0) log.info(`Warming up with ${scenario.warmups} request(s) across ${ctx.dispatchThreads} dispatch threads...`);
    threads = await startDispatchThreads({ ...loadBase, schedule, requests: supply!.forThreads()!, warmupRequests, indexMap: byIndex, maxConcurrency: null, requestIdPrefix: `${ctx.runId}-${scenario.name}-`, deadlineMs: scenario.durationS === null ? undefined : scenario.durationS * 1000, threads: ctx.dispatchThreads, warmups: scenario.warmups, warmupPrefix: `${ctx.runId}-warmup-` });
    if (threads) log.debug(`dispatch: ${ctx.dispatchThreads} dispatch threads`);
    else log.warn("dispatch threads could not start; dispatching from the main thread");
  } else log.debug(`dispatch: the main thread (${singleLoop ?? "interrupted"})`);
  if (!threads) await warmUpHere();
  if (!ctx.signal.aborted) {
    log.info("Initial test run completed. Starting main benchmark run...");
    log.info(`Traffic request rate: ${Number.isFinite(scenario.requestRate) ? scenario.requestRate : "inf"} RPS.`);
    log.info(`Burstiness factor: ${formatBurstiness(scenario.burstiness)}`);
    log.info(`Maximum request concurrency: ${scenario.maxConcurrency ?? "None"}`);
    if (shard) log.info(`Shard ${shard.index}/${shard.count}: ${schedule.count} of ${globalSchedule.count} requests (i mod ${shard.count} = ${shard.index}), concurrency limit ${maxConcurrency ?? "None"}`);
    if (scenario.rampUp) log.info(`Ramp-up: ${scenario.rampUp.strategy} from ${scenario.rampUp.startRps} to ${scenario.rampUp.endRps} RPS`);
    if (scenario.durationS !== null) log.info(`Time-bound: dispatching for ${scenario.durationS} s, then draining`);
  }

  const recordLog = new RecordLog();
  // The threads would keep the process alive: stop them if the records file cannot be opened.
  await recordLog.open(join(ctx.scenarioDir, "requests.jsonl")).catch(async (error: unknown) => {
    threads?.close();
    await stopSupply();
    throw error;
  });
  ctx.setFlush(() => recordLog.flush());
  if (ctx.startAtEpochMs != null && !ctx.signal.aborted) log.info(`Waiting for the common start ${new Date(ctx.startAtEpochMs).toISOString()}...`);
  // The wait may refuse (the instant passed): stop the threads, which would keep the process alive.
  const origin = await runOrigin(ctx.startAtEpochMs ?? null, ctx.signal).catch(async (error: unknown) => {
    threads?.close();
    await stopSupply();
    await recordLog.close();
    throw error;
  });
  recordLog.t0EpochMs = origin.t0EpochMs;

  const requestTotal = p.sessions ? p.sessions.plan.reduce((n, s) => n + s.turns.length, 0) : schedule.count;
  const counters: ProgressCounters = { done: 0, failed: 0, total: scenario.durationS ?? requestTotal };
  // A quiet logger's caller (search, calibrate) prints its own line per step: no progress lines beside it.
  const progress = log.quiet ? null : new Progress(counters, scenario.durationS !== null);
  const tokenizer = p.tokenizer;
  const onRecord = (record: RequestRecord) => {
    // Only servers that report no usage pay this: the count is needed before the record is written.
    if (record.outputTokenSource === "tokenizer" && record.success) record.outputTokens = record.generatedText ? tokenizer.encode(record.generatedText).length : 0;
    counters.done++;
    if (!record.success) counters.failed++;
    recordLog.add(record);
    ctx.live?.onRecord(record);
  };
  // The producer failing mid-run stops the run as an interruption would (what finished is kept).
  const runStop = new AbortController();
  const runSignal = AbortSignal.any([ctx.signal, runStop.signal]);
  let producerFailure: string | null = null;
  if (supply) supply.onFailure = (message) => ((producerFailure = message), runStop.abort());
  const monitor = startClientMonitor();
  progress?.start();
  ctx.live?.startClock();
  const onDispatch = ctx.live?.onDispatch;
  const load = p.sessions
    ? await runSessions({
        ...loadBase,
        scenario,
        headers: p.headers,
        ignoreEos: p.ignoreEos,
        sessions: p.sessions.plan,
        schedule,
        maxConcurrency: scenario.maxConcurrency,
        thinkTimeMs: p.sessions.thinkTimeMs,
        requestIdPrefix: `${ctx.runId}-${scenario.name}-s`,
        t0Ms: origin.t0Ms,
        onRecord,
        onDispatch,
        signal: ctx.signal,
      }).then((r) => ({ records: r.records, endMs: r.endMs, cancelled: r.cancelled, notDispatched: r.turnsSkipped }))
    : threads
      ? await threads.run({ signal: runSignal, onRecord, onDispatch, t0Ms: origin.t0Ms })
      : await runLoad({
        ...loadBase,
        requests: supply?.forMainThread() ?? listFeed([]),
        schedule,
        indexMap: byIndex,
        t0Ms: origin.t0Ms,
        maxConcurrency,
        requestIdPrefix: `${ctx.runId}-${scenario.name}-`,
        deadlineMs: scenario.durationS === null ? undefined : scenario.durationS * 1000,
        signal: runSignal,
        onRecord,
        onDispatch,
      });
  const supplied = await supply?.finish();
  if (producerFailure) log.error(`the request producer thread failed during the run (${producerFailure}); the run stopped there and every request that finished is kept. Please report this.`);
  if (supplied && "dispatched" in load) log.debug(`request bodies built: ${supplied.built ?? "(not counted)"} for ${load.dispatched} sent (look-ahead ${supply!.lookAhead})`);
  for (const note of supplied?.notes ?? []) log.info(note);
  if ("dispatchedPerThread" in load) log.debug(`requests sent per dispatch thread: ${(load.dispatchedPerThread as number[]).join(", ")}`);
  if ("failure" in load && load.failure) log.error(`${load.failure}. Set VBENCH_DISPATCH_THREADS=1 to dispatch from the main thread only, and please report this.`);
  const client = monitor.stop();
  progress?.stop();
  // A failed records file (disk full) must not lose the in-memory results: report it after they are written.
  const recordsError = await recordLog.close().then(
    () => undefined,
    (error: unknown) => (error instanceof VbenchError ? error : new VbenchError("write_failed", `cannot write requests.jsonl: ${String(error)}`, { exitCode: ExitCode.io })),
  );
  log.debug(`records written: ${recordLog.written} to ${join(ctx.scenarioDir, "requests.jsonl")}`);

  const records = load.records.sort((a, b) => a.index - b.index);
  let sampled = 0;
  for (const record of records) {
    if (record.generatedText !== undefined && record.outputTokenSource === "server" && sampled < MISMATCH_SAMPLE) {
      record.tokenizerOutputTokens = tokenizer.encode(record.generatedText).length;
      sampled++;
    }
    if (!scenario.saveGeneratedText) delete record.generatedText;
  }
  if (load.notDispatched > 0 && scenario.durationS !== null) log.debug(`${load.notDispatched} scheduled slots were not used before the deadline`);
  if (load.notDispatched > 0 && p.sessions) log.info(`${load.notDispatched} turns were not sent: an earlier turn of their session failed or the run was interrupted`);

  // Thresholds on statistics that were not selected are computed by summarize() beside the reported ones.
  // A shard's own slots decide which of its requests waited for one (the client-side extras).
  const summary = summarize(records, shard ? { ...scenario, maxConcurrency } : scenario, { benchStartMs: 0, benchEndMs: load.endMs, eventLoopLagMs: client.eventLoopLagMs, clientCpuS: client.clientCpuS });
  if (p.sessions) summary.extras.perTurn = perTurnStats(records, scenario.metricPercentiles);
  if (p.workload.groupOf) summary.extras.prefixGroups = prefixGroupStats(records, p.workload.groupOf, scenario.metricPercentiles);
  return { records, summary, interrupted: load.cancelled, t0EpochMs: origin.t0EpochMs, ...(recordsError ? { recordsError } : {}) };
}

function formatBurstiness(b: number): string {
  if (!Number.isFinite(b)) return "inf (constant intervals)";
  const text = Number.isInteger(b) ? b.toFixed(1) : String(b);
  return b === 1 ? `${text} (Poisson process)` : `${text} (Gamma distribution)`;
}

/** TTFT and E2EL by turn: turn 5 against turn 1 shows prefix caching at work. */
function perTurnStats(records: readonly RequestRecord[], percentiles: number[]): NonNullable<SummaryExtras["perTurn"]> {
  const byTurn = new Map<number, { ttft: number[]; e2el: number[] }>();
  for (const r of records) {
    if (!r.success || r.turn === undefined) continue;
    let series = byTurn.get(r.turn);
    if (!series) byTurn.set(r.turn, (series = { ttft: [], e2el: [] }));
    series.ttft.push(r.chunkAtMs[0]! - r.sentAtMs);
    series.e2el.push(r.endAtMs - r.sentAtMs);
  }
  return [...byTurn.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([turn, s]) => ({ turn, ttftMs: computeStats(s.ttft, percentiles), e2elMs: computeStats(s.e2el, percentiles) }));
}

/** First request of each prefix group (cold) against the rest (a cache can hit), by send time. */
function prefixGroupStats(records: readonly RequestRecord[], groupOf: (g: number) => number, percentiles: number[]): NonNullable<SummaryExtras["prefixGroups"]> {
  const seen = new Set<number>();
  const first: number[] = [];
  const repeat: number[] = [];
  const bySend = records.filter((r) => r.success).sort((a, b) => a.sentAtMs - b.sentAtMs);
  for (const r of bySend) {
    const group = groupOf(r.index);
    const ttft = r.chunkAtMs[0]! - r.sentAtMs;
    if (seen.has(group)) repeat.push(ttft);
    else {
      seen.add(group);
      first.push(ttft);
    }
  }
  return { groups: new Set(records.map((r) => groupOf(r.index))).size, firstTtftMs: computeStats(first, percentiles), repeatTtftMs: computeStats(repeat, percentiles) };
}
