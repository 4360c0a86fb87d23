/**
 * A load on this thread: the engine (./engine.ts) on the real clock, with a
 * release clock for spread-out schedules, cancelled by an AbortSignal.
 * `runLoad` sends single requests (the measured run without worker threads,
 * the initial test request, warm-ups); `runOnEngine` is the same set-up for
 * any units (multi-turn sessions, ./sessions.ts). Request i is released at
 * t0 + schedule.at(i), waits for a `max_concurrency` slot if needed (FIFO,
 * as vLLM's semaphore) and is sent at once. Every timestamp is taken by the
 * engine or the HTTP client on one monotonic clock.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { HttpClient, Origin } from "./http.ts";
import { createReleaseClock } from "./release-clock.ts";
import type { RequestFeed } from "./request-feed.ts";
import type { Schedule } from "./schedule.ts";
import { realClock } from "./clock.ts";
import { Engine, type EngineResult } from "./engine.ts";
import { engineCounters } from "./counters.ts";
import { RequestUnits } from "./request-units.ts";
import type { Readiness, Units, WakeSource } from "./units.ts";

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

/** What every load on this thread needs, whatever its units. */
export interface EngineRunOptions {
  schedule: Schedule;
  maxConcurrency: number | null;
  timeoutMs: number;
  idleTimeoutMs: number;
  deadlineMs?: number;
  feed?: Readiness;
  onDispatch?(): void;
  signal?: AbortSignal;
  t0Ms?: number;
}

/**
 * Run units on the engine in this thread. Spread-out schedules get a release clock (a worker
 * that sleeps precisely, ./release-clock.ts) so this thread does not spin between arrivals;
 * schedules that release everything at t0 (rate inf, warm-ups) need none.
 */
export async function runOnEngine(options: EngineRunOptions, makeUnits: (engine: Engine, t0: number) => Units): Promise<EngineResult & { t0: number }> {
  const spread = options.schedule.count > 1 && !options.schedule.allAtStart;
  const releaseClock = spread ? await createReleaseClock() : null;
  // Start a hair in the future so the first release is measured against a clean clock.
  const t0 = options.t0Ms ?? performance.now() + 1;
  const wake: WakeSource | null = releaseClock && { start: (onWake) => releaseClock.start(options.schedule.spec, t0, onWake), stop: () => releaseClock.stop() };
  const engine = new Engine({ clock: realClock, schedule: options.schedule, t0, counters: engineCounters(options.maxConcurrency), deadlineMs: options.deadlineMs ?? null, timeoutMs: options.timeoutMs, idleTimeoutMs: options.idleTimeoutMs, feed: options.feed, wake, onDispatch: options.onDispatch });
  const units = makeUnits(engine, t0);
  const onAbort = () => engine.cancel();
  if (options.signal?.aborted) engine.cancel();
  else options.signal?.addEventListener("abort", onAbort);
  const result = await engine.run(units);
  options.signal?.removeEventListener("abort", onAbort);
  return { ...result, t0 };
}

/** Send the schedule's requests from this thread. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const records: RequestRecord[] = [];
  let endMs = 0;
  const onRecord = (record: RequestRecord) => {
    records.push(record);
    if (record.doneAtMs > endMs) endMs = record.doneAtMs;
    options.onRecord(record);
  };
  const { schedule } = options;
  const result = await runOnEngine({ ...options, feed: options.requests }, (engine, t0) =>
    new RequestUnits(engine, { ...options, schedule, indexMap: options.indexMap ?? null, t0, worker: 0, onRecord }),
  );
  const { t0, dispatched, firstDispatchMs, lastDispatchMs, cancelled } = result;
  return { records, t0, endMs, dispatched, firstDispatchMs, lastDispatchMs, notDispatched: schedule.count - dispatched, cancelled };
}
