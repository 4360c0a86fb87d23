/**
 * The open-loop load generator. Request i is released at t0 + schedule.at(i)
 * (absolute, never relative sleeps), waits for a `max_concurrency` slot if
 * needed (a FIFO semaphore, as vLLM), and is sent at once, its bytes taken
 * from the request feed (built ahead by the producer thread,
 * ./request-feed.ts). Every timestamp is taken here or in the HTTP client on
 * one monotonic clock.
 *
 * Released-but-waiting requests are always a contiguous index range (release
 * order is index order), so the semaphore's queue is two counters.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { HttpClient, Origin } from "./http.ts";
import { sendTimed, sweepIntervalMs, sweepTimeouts, TimedRequest } from "./request.ts";
import { createReleaseClock, EARLY_MS, type ReleaseClock } from "./release-clock.ts";
import type { RequestFeed } from "./request-feed.ts";
import { releasedBy, type Schedule } from "./schedule.ts";

export interface LoadOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  /** Request i's bytes (built ahead of the schedule, ./request-feed.ts). */
  requests: RequestFeed;
  /** Release i at t0 + schedule.at(i) ms; its count is the number of requests. */
  schedule: Schedule;
  maxConcurrency: number | null;
  /** `x-request-id` of request i is `${requestIdPrefix}${i}`. */
  requestIdPrefix: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  /** Time-bound runs: nothing is dispatched after t0 + deadlineMs. */
  deadlineMs?: number;
  /** Called as each request finishes (success or not). Must be cheap: it runs on the hot path. */
  onRecord(record: RequestRecord): void;
  /** Called as each request is handed to the HTTP client (live metrics). Must be cheap: it runs on the hot path. */
  onDispatch?(): void;
  /** Aborting stops dispatching and cancels in-flight requests. */
  signal?: AbortSignal;
  /** Sharded runs (./shard.ts): offsetsMs holds this shard's releases, local j being global request first + j*step (ids, prompts, record index). */
  indexMap?: { first: number; step: number };
  /** The schedule origin on performance.now() (a common --start-at instant); default: a hair after the call. */
  t0Ms?: number;
}

export interface LoadResult {
  records: RequestRecord[];
  /** performance.now() at t0: every record time is relative to it. */
  t0: number;
  /** When the last request finished (ms from t0). */
  endMs: number;
  dispatched: number;
  firstDispatchMs: number;
  lastDispatchMs: number;
  /** Requests never dispatched (deadline reached or cancelled before their turn). */
  notDispatched: number;
  cancelled: boolean;
  /** Set when a dispatch thread failed mid-run (./dispatch-threads.ts): the run ended early, like an interruption. */
  failure?: string;
}

/**
 * Requests sent per turn of the event loop when many are due at once (rate inf, or a late
 * dispatcher catching up). Sending 4096 requests takes ~150 ms of syscalls; without yielding,
 * responses that arrive meanwhile wait unread and the first requests' TTFT grows by that much
 * (measured: +192 ms mean at 4096 streams; docs/performance.md). Each request's own send time
 * is stamped as it goes, so the later ones' lateness shows as dispatch lag, not as latency.
 */
const BURST_SLICE = 64;

/** Without a release clock: wake the dispatcher with a timer this early, then yield-spin to the exact time. */
const SPIN_WINDOW_MS = 1.5;

/**
 * Spread-out schedules get a release clock (a worker that sleeps precisely,
 * ./release-clock.ts) so the main thread does not spin between arrivals;
 * schedules that release everything at t0 (rate inf, warmups) need none.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const spread = options.schedule.count > 1 && !options.schedule.allAtStart;
  const clock = spread ? await createReleaseClock() : null;
  return runWithClock(options, clock);
}

function runWithClock(options: LoadOptions, clock: ReleaseClock | null): Promise<LoadResult> {
  const { client, origin, backend, requests, schedule, maxConcurrency, requestIdPrefix } = options;
  const count = schedule.count;
  const limit = maxConcurrency ?? Number.POSITIVE_INFINITY;
  const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
  const records: RequestRecord[] = [];
  const inFlight = new Set<TimedRequest>();

  // Start a hair in the future so the first release is measured against a clean clock.
  const t0 = options.t0Ms ?? performance.now() + 1;
  const first = options.indexMap?.first ?? 0;
  const step = options.indexMap?.step ?? 1;
  let released = 0;
  let dispatched = 0;
  let firstDispatchMs = NaN;
  let lastDispatchMs = NaN;
  let stopped = false;
  let cancelled = false;
  let endMs = 0;
  let dispatchTimer: ReturnType<typeof setTimeout> | null = null;
  /** The clock woke us for a release not yet processed: spin until it is due. */
  let woken = false;

  return new Promise<LoadResult>((resolve) => {
    const finishIfDone = () => {
      if (inFlight.size > 0) return;
      if (!stopped && dispatched < count) return;
      clearInterval(sweeper);
      if (dispatchTimer) clearTimeout(dispatchTimer);
      clock?.stop();
      options.signal?.removeEventListener("abort", onAbort);
      requests.onArrival = null;
      resolve({ records, t0, endMs, dispatched, firstDispatchMs, lastDispatchMs, notDispatched: count - dispatched, cancelled });
    };

    const onDone = (request: TimedRequest, record: RequestRecord) => {
      inFlight.delete(request);
      records.push(record);
      if (record.doneAtMs > endMs) endMs = record.doneAtMs;
      options.onRecord(record);
      // A slot freed: the longest-waiting released request takes it.
      if (!stopped && dispatched < released && requests.has(dispatched)) dispatch(dispatched, performance.now() - t0);
      finishIfDone();
    };

    const dispatch = (i: number, nowMs: number) => {
      if (nowMs > deadlineMs) {
        stopped = true;
        return;
      }
      dispatched++;
      options.onDispatch?.();
      if (Number.isNaN(firstDispatchMs)) firstDispatchMs = nowMs;
      lastDispatchMs = nowMs;
      const g = first + i * step;
      // Requests below the oldest waiting one are never looked up again (a generated schedule drops its chunks).
      if ((i & 1023) === 0) schedule.forgetBelow(i);
      const request = new TimedRequest(g, requestIdPrefix + g, requests.get(i), backend, t0, schedule.at(i), nowMs, onDone);
      inFlight.add(request);
      sendTimed(client, origin, request, t0);
    };

    const tick = () => {
      if (dispatchTimer) clearTimeout(dispatchTimer);
      dispatchTimer = null;
      if (stopped) return finishIfDone();
      const nowMs = performance.now() - t0;
      const before = released;
      // Every release due by now, at once: a release beyond a full concurrency limit only joins the queue.
      released = releasedBy(schedule, nowMs, released);
      if (released > before) woken = false;
      const sent = sendWaiting(nowMs);
      if (stopped) return finishIfDone();
      // A burst continues after the event loop has read the sockets (see BURST_SLICE).
      if (sent === BURST_SLICE && dispatched < released && inFlight.size < limit) return void setImmediate(tick);
      if (released >= count) return finishIfDone();
      scheduleTick(schedule.at(released) - (performance.now() - t0));
    };

    /** Send released requests, oldest first, while slots are free and their bytes are here; returns how many. */
    const sendWaiting = (nowMs: number): number => {
      let sent = 0;
      while (!stopped && dispatched < released && inFlight.size < limit && sent < BURST_SLICE && requests.has(dispatched)) {
        dispatch(dispatched, nowMs);
        sent++;
      }
      return sent;
    };
    // Bytes the producer was behind on: the requests waiting for them go now.
    requests.onArrival = () => {
      if (stopped || dispatched >= released || inFlight.size >= limit) return;
      if (sendWaiting(performance.now() - t0) === BURST_SLICE) setImmediate(tick);
      if (stopped) finishIfDone();
    };

    const scheduleTick = (waitMs: number) => {
      if (!clock) {
        if (waitMs > SPIN_WINDOW_MS) dispatchTimer = setTimeout(tick, waitMs - SPIN_WINDOW_MS + 0.5);
        else setImmediate(tick);
        return;
      }
      // The clock's message comes EARLY_MS before a release: spin only from then on. A timer 2 ms
      // after the release is the safety net should a message never come.
      if (woken || waitMs <= EARLY_MS) setImmediate(tick);
      else dispatchTimer = setTimeout(tick, waitMs + 2);
    };

    // Timeouts and the deadline are checked by one sweeper, so no per-request timer exists.
    const sweeper = setInterval(() => {
      const nowMs = performance.now() - t0;
      if (nowMs > deadlineMs && !stopped) {
        stopped = true;
        finishIfDone();
      }
      sweepTimeouts(inFlight, nowMs, options.timeoutMs, options.idleTimeoutMs);
    }, sweepIntervalMs(options.idleTimeoutMs));

    const onAbort = () => {
      if (stopped && cancelled) return;
      stopped = true;
      cancelled = true;
      const nowMs = performance.now() - t0;
      for (const request of [...inFlight]) request.abort("cancelled", "run interrupted", nowMs);
      finishIfDone();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort);

    if (count === 0) return finishIfDone();
    clock?.start(schedule.spec, t0, (last) => {
      // A wake for releases a spin or a late message already handled needs nothing.
      if (last < released) return;
      woken = true;
      tick();
    });
    scheduleTick(schedule.at(0) - (performance.now() - t0));
  });
}
