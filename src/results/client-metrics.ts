/**
 * The client-side extras of a Summary (spec/metrics.md "vbench extras"): how
 * well the load generator kept its schedule, and whether its own lag makes the
 * run untrustworthy. They never change the vLLM-named numbers.
 */
import { STEAL_WORTH_NAMING_MS } from "../base/steal.ts";
import { computeStats, SeriesBuilder, unionPercentiles as union } from "./stats.ts";
import { foundFreeSlot } from "./sweeps.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { ReadStalls, SummaryExtras } from "../base/summary-types.ts";

/** What the load generator measured about itself, on the run clock (ms). */
export interface ClientStats {
  /**
   * Start of the measured run: the schedule origin t0 that arrival offsets
   * count from (vLLM's benchmark_start_time), after the test request and
   * warmups. For request_rate=inf it is also the first dispatch.
   */
  benchStartMs: number;
  /** When the last request finished, success or not. */
  benchEndMs: number;
  /** Event-loop lag samples (ms), pooled over `eventLoopLoops` loops (the worker threads'; default 1). */
  eventLoopLagMs: Float64Array;
  eventLoopLoops?: number;
  /** The engine's read callbacks (src/engine/read-stalls.ts); absent where not measured. */
  readStalls?: ReadStalls;
  /** CPU time the client process used during the run (user + system, s). */
  clientCpuS: number;
  /** Steal time of the CPUs the client may use during the run (ms, summed); null or absent where not reported. */
  stealMs?: number | null;
  /** Override of {@link CLIENT_BOUND_MS}. */
  dispatchLagBoundMs?: number;
  /**
   * Per record position, whether a concurrency slot was free at its release, when the caller knows
   * better than one FIFO semaphore of scenario.maxConcurrency: a merge of shards, each with its own.
   */
  foundFreeSlot?: Uint8Array;
}

/**
 * The client is flagged "client-bound" when the p99 of its own lateness
 * (dispatcher behind schedule, send lag, or event-loop lag) exceeds this.
 * 5 ms: at 200 req/s arrivals are 5 ms apart, and decode ITLs are typically
 * 10–50 ms, so a client late by more than 5 ms at p99 no longer keeps the
 * schedule and shifts latency percentiles by a visible fraction, while GC
 * pauses and timer granularity (~1 ms) stay well below it.
 */
export const CLIENT_BOUND_MS = 5;

/** Percentiles kept for the client-side extras series. */
export const EXTRA_PERCENTILES: readonly number[] = [50, 90, 99];

export interface ClientSeries {
  queue: SeriesBuilder;
  sendLag: SeriesBuilder;
  e2elInclQueue: SeriesBuilder;
  dispatched: number;
  lastDispatchMs: number;
  tokenSources: SummaryExtras["tokenSources"];
}

/** The event-loop probe's samples as the report gives them. */
export function loopLagStats(samples: Float64Array): SummaryExtras["eventLoopLagMs"] {
  const loop = computeStats(samples, [50, 99]);
  return { p50: loop.percentiles.p50!, p99: loop.percentiles.p99!, max: loop.max, samples: loop.count };
}

export function clientExtras(
  records: readonly RequestRecord[],
  scenario: ResolvedScenario,
  client: ClientStats,
  c: ClientSeries,
): SummaryExtras {
  const dispatchLag = new SeriesBuilder({ capacity: records.length });
  // Dispatcher lateness is dispatchedAt − scheduledAt of requests that did not
  // have to wait for a max_concurrency slot (with no limit: every request): the
  // engine records each one's slot wait; records from files that predate it
  // are reconstructed (see foundFreeSlot).
  const free = client.foundFreeSlot ?? (scenario.maxConcurrency === null ? null : (recordedFreeSlots(records) ?? foundFreeSlot(records, scenario.maxConcurrency)));
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.dispatchedAtMs === r.dispatchedAtMs && (free === null || free[i] === 1)) {
      dispatchLag.push(r.dispatchedAtMs - r.scheduledAtMs);
    }
  }
  const dispatchLagMs = dispatchLag.stats(EXTRA_PERCENTILES);
  const sendLagMs = c.sendLag.stats(EXTRA_PERCENTILES);
  const eventLoopLagMs = loopLagStats(client.eventLoopLagMs);

  const boundMs = client.dispatchLagBoundMs ?? CLIENT_BOUND_MS;
  const MIN_LOOP_SAMPLES = 50;
  const reasons: string[] = [];
  const check = (what: string, p99: number) => {
    if (p99 > boundMs) reasons.push(`${what} p99 ${p99.toFixed(2)} ms > ${boundMs} ms`);
  };
  // At rate inf every request is due at t0: the dispatch lag of that burst is how long sending it
  // takes (~10 µs a request even for a minimal C client on loopback, so p99 passes 5 ms from ~250
  // streams on), not lateness against a schedule. Reported, judged only for finite rates.
  if (Number.isFinite(scenario.requestRate)) check("dispatch lag", dispatchLagMs.percentiles.p99!);
  check("send lag", sendLagMs.percentiles.p99!);
  // The probe samples every 20 ms: below ~1 s of samples from each loop its "p99" is the
  // single worst pause (start-up JIT, one GC), which says nothing about the run.
  if (eventLoopLagMs.samples >= MIN_LOOP_SAMPLES * (client.eventLoopLoops ?? 1)) check("event-loop lag", eventLoopLagMs.p99);
  // Lateness is the client's or the machine's: a hypervisor that took the client's CPUs makes every
  // client late, so the verdict says how much it took.
  const stealMs = client.stealMs ?? null;
  if (reasons.length > 0 && stealMs !== null && stealMs >= STEAL_WORTH_NAMING_MS) reasons.push(`the hypervisor took ${stealMs.toFixed(0)} ms of the client's CPUs during the run (steal)`);

  // Achieved rate: requests dispatched / (last dispatch − t0). vLLM scales its
  // arrival offsets so the last one falls at exactly N/r after t0, so a perfect
  // dispatcher gives exactly the configured rate (for every burstiness), and
  // a late one a lower rate. (n−1)/(last − first) would not: the first offset
  // is itself a random gap. Null below 2 requests, as the contract says.
  const windowS = (c.lastDispatchMs - client.benchStartMs) / 1000;
  const achievedRateRps = c.dispatched >= 2 && windowS > 0 ? c.dispatched / windowS : null;

  return {
    clientQueueMs: c.queue.stats(EXTRA_PERCENTILES),
    sendLagMs,
    dispatchLagMs,
    e2elInclQueueMs: c.e2elInclQueue.stats(union(EXTRA_PERCENTILES, scenario.metricPercentiles)),
    configuredRateRps: Number.isFinite(scenario.requestRate) ? scenario.requestRate : "inf",
    achievedRateRps,
    tokenSources: c.tokenSources,
    eventLoopLagMs,
    ...(client.readStalls ? { readStalls: client.readStalls } : {}),
    clientCpuS: client.clientCpuS,
    stealMs,
    clientBound: reasons.length > 0,
    ...(reasons.length > 0 ? { clientBoundReason: reasons.join("; ") } : {}),
    drainS: c.dispatched > 0 ? Math.max(0, (client.benchEndMs - c.lastDispatchMs) / 1000) : 0,
  };
}

/** Per record position, whether its recorded slot wait is 0; null when a record carries none. */
function recordedFreeSlots(records: readonly RequestRecord[]): Uint8Array | null {
  const free = new Uint8Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const wait = records[i]!.slotWaitMs;
    if (wait === undefined) return null;
    if (wait === 0) free[i] = 1;
  }
  return free;
}
