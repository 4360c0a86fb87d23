/**
 * One scenario, end to end on the wire: the initial test request (its
 * failure stops the run with the server's own words), warmups, then the
 * measured run (./measured-run.ts) with records streamed to disk, and the
 * summary.
 */
import { join } from "node:path";
import type { PreparedScenario } from "./prepare.ts";
import { sanitizeForTerminal } from "../base/log.ts";
import { redactUrl } from "../base/redact.ts";
import { runLoad } from "./loadgen.ts";
import { startDispatchThreads, type DispatchThreads, type ThreadedLoadOptions } from "./dispatch-threads.ts";
import type { PreparedRequest } from "./request.ts";
import { atStart } from "./schedule.ts";
import { listFeed } from "./request-feed.ts";
import { supplyRequests, type RequestSupply } from "./request-supply.ts";
import { RecordLog } from "../results/record-log.ts";
import { jitTierNote } from "../base/jit-tier.ts";
import { SHORT_SLICE_NS, shortSliceForMainThread } from "../base/thread-slice.ts";
import { summarize } from "../results/metrics.ts";
import { ExitCode, VbenchError } from "../base/errors.ts";
import type { ExecuteContext, Executed } from "./execute-context.ts";
import { runOrigin, type RunOrigin } from "./common-start.ts";
import { logRunHeader, measuredRun, planLoad, type LoadPlan } from "./measured-run.ts";
import { perTurnStats, prefixGroupStats, sampleTokenizerCounts } from "./scenario-stats.ts";


export type { ExecuteContext, Executed } from "./execute-context.ts";

/** How long a forced exit (a second Ctrl-C) waits for the worker threads' last records. */
const FORCED_EXIT_WAIT_MS = 250;

/** Warm-ups send the run's first requests, at most this many distinct ones (cycled). */
const WARMUP_DISTINCT = 64;

export async function executeScenario(prepared: PreparedScenario, ctx: ExecuteContext): Promise<Executed> {
  const { scenario } = prepared.run;
  const { log } = ctx;
  // Before the first load: the release clock's worker inherits the slice from this thread.
  if (shortSliceForMainThread()) log.debug(`dispatcher thread: short scheduler slice (${SHORT_SLICE_NS / 1000} µs)`);
  else log.debug("dispatcher thread: default scheduler slice (VBENCH_DEFAULT_SLICE=1, or short slices unavailable: they need Linux 6.12+)");
  const plan = planLoad(prepared, ctx);
  // Requests are built as they are needed, by the producer thread, a look-ahead ahead of the dispatchers;
  // it starts now so that loading its tokenizer overlaps the initial test request.
  const consumers = plan.singleLoop === null ? ctx.workers : 1;
  const supplyStarting = prepared.sessions || ctx.signal.aborted ? Promise.resolve(null) : supplyRequests(prepared, { schedule: plan.schedule, maxConcurrency: plan.maxConcurrency, indexMap: plan.byIndex, consumers, backendBuiltIn: ctx.backendBuiltIn, log });
  // The producer thread would keep the process alive: every way out before the run stops it.
  const stopSupply = () => supplyStarting.then((started) => started?.finish());
  await initialTest(prepared, ctx, plan).catch(async (error: unknown) => {
    await stopSupply();
    throw error;
  });
  const supply = await supplyStarting;
  const threads = await warmUp(prepared, ctx, plan, supply);
  if (!ctx.signal.aborted) logRunHeader(prepared, plan, log);
  const { recordLog, origin } = await openRun(ctx, threads, async () => {
    threads?.close();
    await stopSupply();
  });

  const load = await measuredRun(prepared, ctx, plan, { supply, threads, recordLog, t0Ms: origin.t0Ms });
  // A failed records file (disk full) must not lose the in-memory results: report it after they are written.
  const recordsError = await recordLog.close().then(
    () => undefined,
    (error: unknown) => (error instanceof VbenchError ? error : new VbenchError("write_failed", `cannot write requests.jsonl: ${String(error)}`, { exitCode: ExitCode.io })),
  );
  log.debug(`records written: ${recordLog.written} to ${join(ctx.scenarioDir, "requests.jsonl")}`);

  const records = load.records.sort((a, b) => a.index - b.index);
  sampleTokenizerCounts(records, prepared.tokenizer, scenario.saveGeneratedText);
  if (load.notDispatched > 0 && scenario.durationS !== null) log.debug(`${load.notDispatched} scheduled slots were not used before the deadline`);
  if (load.notDispatched > 0 && prepared.sessions) log.info(`${load.notDispatched} turns were not sent: an earlier turn of their session failed or the run was interrupted`);

  // Thresholds on statistics that were not selected are computed by summarize() beside the reported ones.
  // A shard's own slots decide which of its requests waited for one (the client-side extras).
  const { client } = load;
  const summary = summarize(records, plan.shard ? { ...scenario, maxConcurrency: plan.maxConcurrency } : scenario, { benchStartMs: 0, benchEndMs: load.endMs, eventLoopLagMs: client.eventLoopLagMs, eventLoopLoops: client.eventLoopLoops, readStalls: client.readStalls, clientCpuS: client.clientCpuS, stealMs: client.stealMs });
  if (prepared.sessions) summary.extras.perTurn = perTurnStats(records, scenario.metricPercentiles);
  if (prepared.workload.groupOf) summary.extras.prefixGroups = prefixGroupStats(records, prepared.workload.groupOf, scenario.metricPercentiles);
  return { records, summary, interrupted: load.cancelled, t0EpochMs: origin.t0EpochMs, ...(recordsError ? { recordsError } : {}) };
}

/** The initial test request; its failure stops the run with the server's own words. Then the output opens. */
async function initialTest(prepared: PreparedScenario, ctx: ExecuteContext, plan: LoadPlan): Promise<void> {
  const { scenario } = prepared.run;
  ctx.log.info("Starting initial single prompt test run...");
  const test = await runLoad({ ...plan.base, requests: listFeed([prepared.requestAt(0)]), schedule: atStart(1), maxConcurrency: 1, requestIdPrefix: `${ctx.runId}-test-`, onRecord: () => {}, signal: ctx.signal });
  const first = test.records[0];
  // Cancelled by Ctrl-C is not the server's fault: carry on to an empty, interrupted result (exit 130, not 3).
  if (first && !first.success && !ctx.signal.aborted) {
    const e = first.error!;
    const detail = e.category === "http" ? `HTTP ${e.status}: ${sanitizeForTerminal(e.body ?? "").slice(0, 500)}` : sanitizeForTerminal(e.message);
    throw new VbenchError("initial_request_failed", `the initial test request to ${redactUrl(scenario.baseUrl)}${scenario.endpointPath} failed (${e.category}): ${detail}`, {
      hint: "The server's own message is above. Check the model name, the endpoint path and the request parameters (e.g. max tokens vs the model's context length).",
      exitCode: ExitCode.preflight,
    });
  }
  await ctx.openOutput?.();
}

/** Start the worker threads (each warms up its own connections), or warm up this thread's; null: the run stays here. */
async function warmUp(prepared: PreparedScenario, ctx: ExecuteContext, plan: LoadPlan, supply: RequestSupply | null): Promise<DispatchThreads | null> {
  const { scenario } = prepared.run;
  const { log } = ctx;
  // Warmups send the run's first few requests again (built here, before the clock starts).
  const warmupRequests = Array.from({ length: Math.min(scenario.warmups, WARMUP_DISTINCT, Math.max(1, prepared.count)) }, (_, w) => prepared.requestAt(w));
  const singleLoop = plan.singleLoop ?? (prepared.sessions || supply?.forThreads() ? null : "no request producer thread");
  let threads: DispatchThreads | null = null;
  if (singleLoop === null && !ctx.signal.aborted) {
    if (scenario.warmups > 0) log.info(`Warming up with ${scenario.warmups} request(s) across ${ctx.workers} worker threads...`);
    threads = await startDispatchThreads(threadOptions(prepared, ctx, plan, supply, warmupRequests));
    if (threads) log.debug(`engine: ${ctx.workers} worker threads`);
    else log.warn("worker threads could not start; running the engine on the main thread");
  } else log.debug(`engine: the main thread (${singleLoop ?? "interrupted"})`);
  log.debug(jitTierNote());
  if (threads || scenario.warmups === 0 || ctx.signal.aborted) return threads;
  log.info(`Warming up with ${scenario.warmups} request(s)...`);
  await runLoad({ ...plan.base, requests: listFeed(warmupRequests), schedule: atStart(scenario.warmups), maxConcurrency: plan.maxConcurrency, requestIdPrefix: `${ctx.runId}-warmup-`, onRecord: () => {}, signal: ctx.signal });
  return null;
}

/** The worker threads' load: requests from the producer's ports, or sessions whose turns each worker builds. */
function threadOptions(prepared: PreparedScenario, ctx: ExecuteContext, plan: LoadPlan, supply: RequestSupply | null, warmupRequests: PreparedRequest[]): ThreadedLoadOptions {
  const { scenario } = prepared.run;
  const common = { ...plan.base, schedule: plan.schedule, warmupRequests, indexMap: plan.byIndex, threads: ctx.workers, warmups: scenario.warmups, warmupPrefix: `${ctx.runId}-warmup-` };
  const build = { scenario, headers: prepared.headers, ignoreEos: prepared.ignoreEos };
  const prefix = `${ctx.runId}-${scenario.name}-`;
  const backendFile = ctx.backendFile ?? null;
  if (!prepared.sessions) return { ...common, requests: supply!.forThreads()!, maxConcurrency: plan.maxConcurrency, requestIdPrefix: prefix, deadlineMs: plan.deadlineMs, backendFile, build, sessions: null };
  // As on this thread: the scenario's own limit, no deadline.
  const sessions = { plan: prepared.sessions.plan, thinkTimeMs: prepared.sessions.thinkTimeMs };
  return { ...common, requests: { kind: "list", list: [] }, maxConcurrency: scenario.maxConcurrency, requestIdPrefix: `${prefix}s`, backendFile, build, sessions };
}

/** Open requests.jsonl and wait for the common start, if any; on failure `stop` ends the threads that would keep the process alive. */
async function openRun(ctx: ExecuteContext, threads: DispatchThreads | null, stop: () => Promise<void>): Promise<{ recordLog: RecordLog; origin: RunOrigin }> {
  const recordLog = new RecordLog();
  await recordLog.open(join(ctx.scenarioDir, "requests.jsonl")).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  // A second Ctrl-C writes what finished: records a worker still holds (it posts every 25 ms) come first, briefly.
  ctx.setFlush(async () => {
    await threads?.settled(FORCED_EXIT_WAIT_MS);
    await recordLog.flush();
  });
  // A full collection now, not in the run: the heap the initial test, the warm-ups and the built requests
  // left (30–42 MB at 1024 streams) otherwise met its first full collection ~0.7 s into the run, a 20 ms pause
  // of the thread stamping reads (BUN_JSC_logGC). Worker threads collect theirs after their warm-ups.
  Bun.gc(true);
  if (ctx.startAtEpochMs != null && !ctx.signal.aborted) ctx.log.info(`Waiting for the common start ${new Date(ctx.startAtEpochMs).toISOString()}...`);
  // The wait may refuse (the instant passed).
  const origin = await runOrigin(ctx.startAtEpochMs ?? null, ctx.signal).catch(async (error: unknown) => {
    await stop();
    await recordLog.close();
    throw error;
  });
  recordLog.t0EpochMs = origin.t0EpochMs;
  return { recordLog, origin };
}
