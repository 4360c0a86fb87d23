/**
 * The open-loop load generator. Request i is released at t0 + offsetsMs[i]
 * (absolute, never relative sleeps), waits for a `max_concurrency` slot if
 * needed (a FIFO semaphore, as vLLM), and is sent at once. Every timestamp is
 * taken here or in the HTTP client on one monotonic clock.
 *
 * Released-but-waiting requests are always a contiguous index range (release
 * order is index order), so the semaphore's queue is two counters.
 */
import type { BackendPlugin, RequestRecord } from "./types.ts";
import type { HttpClient, Origin } from "./http.ts";
import { sendTimed, sweepIntervalMs, sweepTimeouts, TimedRequest, type PreparedRequest } from "./request.ts";
import { createReleaseClock, EARLY_MS, type ReleaseClock } from "./release-clock.ts";

export interface LoadOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  /** Request i uses pool[i % pool.length] (prompts prepared before the clock starts). */
  pool: PreparedRequest[];
  /** Release offsets from t0 in ms; its length is the number of requests. */
  offsetsMs: Float64Array;
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
  const offsets = options.offsetsMs;
  const spread = offsets.length > 1 && offsets[offsets.length - 1]! > 0;
  const clock = spread ? await createReleaseClock() : null;
  return runWithClock(options, clock);
}

function runWithClock(options: LoadOptions, clock: ReleaseClock | null): Promise<LoadResult> {
  const { client, origin, backend, pool, offsetsMs, maxConcurrency, requestIdPrefix } = options;
  const count = offsetsMs.length;
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
      resolve({ records, t0, endMs, dispatched, firstDispatchMs, lastDispatchMs, notDispatched: count - dispatched, cancelled });
    };

    const onDone = (request: TimedRequest, record: RequestRecord) => {
      inFlight.delete(request);
      records.push(record);
      if (record.doneAtMs > endMs) endMs = record.doneAtMs;
      options.onRecord(record);
      // A slot freed: the longest-waiting released request takes it.
      if (!stopped && dispatched < released) dispatch(dispatched, performance.now() - t0);
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
      const request = new TimedRequest(g, requestIdPrefix + g, pool[g % pool.length]!, backend, t0, offsetsMs[i]!, nowMs, onDone);
      inFlight.add(request);
      sendTimed(client, origin, request, t0);
    };

    const tick = () => {
      if (dispatchTimer) clearTimeout(dispatchTimer);
      dispatchTimer = null;
      if (stopped) return finishIfDone();
      const nowMs = performance.now() - t0;
      const before = released;
      let sent = 0;
      while (released < count && offsetsMs[released]! <= nowMs && sent < BURST_SLICE) {
        released++;
        if (dispatched === released - 1 && inFlight.size < limit) {
          dispatch(released - 1, nowMs);
          sent++;
        }
        if (stopped) return finishIfDone();
      }
      if (released > before) woken = false;
      if (released >= count) return finishIfDone();
      // A burst continues after the event loop has read the sockets (see BURST_SLICE).
      if (sent === BURST_SLICE && offsetsMs[released]! <= performance.now() - t0) return void setImmediate(tick);
      scheduleTick(offsetsMs[released]! - (performance.now() - t0));
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
    clock?.start(offsetsMs, t0, (last) => {
      // A wake for releases a spin or a late message already handled needs nothing.
      if (last < released) return;
      woken = true;
      tick();
    });
    scheduleTick(offsetsMs[0]! - (performance.now() - t0));
  });
}
