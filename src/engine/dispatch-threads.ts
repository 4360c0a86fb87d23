/**
 * The main run on several dispatch threads (./dispatcher.ts): the main
 * thread starts them and as many release clocks, each clock waking every
 * thread, passes each finished record to `onRecord` as batches arrive, and
 * returns the same LoadResult as the single-thread load generator.
 *
 * Why a clock per thread: a clock is a thread too, and on a busy machine any
 * thread now and then waits a millisecond or more for a core. With one clock
 * that wait made every dispatch thread late at once; with one per thread, a
 * release is late only when every clock or every dispatch thread is held up.
 * Measured at 1000 req/s on 2 vCPUs, five interleaved rounds: p99 dispatch
 * lag 0.81–1.27 ms against 1.13–1.61 ms with one clock waking both threads,
 * for 0.5–0.9 s more CPU per 10 s (docs/performance.md).
 *
 * Used for open-loop schedules that spread requests over time (a request
 * rate, no max_concurrency) with a built-in backend; everything else, and
 * any machine where workers cannot start, keeps the single event loop
 * (./loadgen.ts). VBENCH_DISPATCH_THREADS sets the count (default 2; 1
 * keeps one event loop).
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { LoadOptions, LoadResult } from "./loadgen.ts";
import { createReleaseClock, type ReleaseClock } from "./release-clock.ts";
import type { DispatcherInit, FromDispatcher, ToDispatcher } from "./dispatcher.ts";
import { Counter, engineCounters } from "./engine.ts";
import type { FeedPort } from "./request-feed.ts";
import type { PreparedRequest } from "./request.ts";
import { VbenchError, ExitCode } from "../base/errors.ts";
import { workerEntry } from "../base/worker-entry.ts";

export const DEFAULT_DISPATCH_THREADS = 2;
const MAX_DISPATCH_THREADS = 16;

/** Dispatch threads asked for by VBENCH_DISPATCH_THREADS (default 2); 1 means the single event loop. */
export function dispatchThreadCount(env: Record<string, string | undefined> = process.env): number {
  const raw = env.VBENCH_DISPATCH_THREADS;
  if (raw === undefined || raw === "") return DEFAULT_DISPATCH_THREADS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DISPATCH_THREADS) {
    throw new VbenchError("config_invalid", `VBENCH_DISPATCH_THREADS must be a whole number from 1 to ${MAX_DISPATCH_THREADS}, not "${raw}"`, {
      hint: "Unset it for the default (2), or set 1 to dispatch from the main thread only.",
      exitCode: ExitCode.config,
    });
  }
  return n;
}

/** Why this load keeps the single event loop, or null when dispatch threads can run it. */
export function singleLoopReason(options: Pick<LoadOptions, "schedule" | "maxConcurrency" | "backend">, threads: number, backendBuiltIn: boolean): string | null {
  const { schedule } = options;
  if (threads < 2) return "VBENCH_DISPATCH_THREADS=1";
  if (schedule.count < 2 || schedule.allAtStart) return "every request is released at once (request rate inf)";
  if (options.maxConcurrency !== null) return "max_concurrency is set (its queue lives in one thread)";
  if (!backendBuiltIn) return `backend "${options.backend.name}" is loaded from disk (dispatch threads load only the built-in backends)`;
  return null;
}

export interface ThreadedLoadOptions extends Omit<LoadOptions, "onRecord" | "onDispatch" | "signal" | "client" | "requests"> {
  threads: number;
  /** Request bytes: one producer port per thread (./request-feed.ts), or one fixed list every thread uses. */
  requests: { kind: "ports"; ends: FeedPort[] } | { kind: "list"; list: PreparedRequest[] };
  /** Bytes of the warm-up requests (request w uses warmupRequests[w mod length]). */
  warmupRequests: PreparedRequest[];
  /** Warm-up requests, shared out between the threads and sent before the clock starts (each thread opens its own connections). */
  warmups: number;
  warmupPrefix: string;
}

/** The load result, with how many requests each thread sent. */
export interface ThreadedLoadResult extends LoadResult {
  dispatchedPerThread: number[];
}

/** Started, warmed-up dispatch threads waiting for the clock. */
export interface DispatchThreads {
  /** Start the clock and run the load; every record goes to `onRecord` as its batch arrives. */
  run(callbacks: Pick<LoadOptions, "onRecord" | "onDispatch" | "signal" | "t0Ms">): Promise<ThreadedLoadResult>;
  /** Stop the threads without running (idempotent). */
  close(): void;
}

/**
 * Start `threads` dispatch threads and let them warm up their connections. Resolves null,
 * having sent nothing, when the threads or the release clock cannot start: the caller then
 * uses the single event loop.
 */
export async function startDispatchThreads(options: ThreadedLoadOptions): Promise<DispatchThreads | null> {
  const { threads } = options;
  // Every thread and clock walks the schedule on its own, from its spec.
  const { spec } = options.schedule;
  const count = options.schedule.count;
  const claim = engineCounters(options.maxConcurrency, true);
  // Started side by side (each takes about 15 ms); if any cannot start, none is used.
  const clocksOrNull = await Promise.all(Array.from({ length: threads }, () => createReleaseClock()));
  if (clocksOrNull.includes(null)) {
    for (const clock of clocksOrNull) clock?.stop();
    return null;
  }
  const clocks = clocksOrNull as ReleaseClock[];

  const workers: Worker[] = [];
  /** clockPorts[c]: clock c's port to each dispatch thread. */
  const clockPorts: MessagePort[][] = Array.from({ length: threads }, () => []);
  const state: ("starting" | "ready" | "running" | "done")[] = [];
  const dispatchedPerThread: number[] = [];
  const records: RequestRecord[] = [];
  let endMs = 0;
  let firstDispatchMs = Number.POSITIVE_INFINITY;
  let lastDispatchMs = Number.NEGATIVE_INFINITY;
  let failure: string | null = null;
  let cancelled = false;
  let callbacks: Pick<LoadOptions, "onRecord" | "onDispatch" | "signal"> = { onRecord: () => {} };
  let settle: () => void = () => {};
  const phase = () => new Promise<void>((resolve) => (settle = resolve));
  const all = (s: (typeof state)[number]) => state.every((x) => x === s);

  const abortAll = () => {
    Atomics.store(claim, Counter.Stop, 1);
    for (let k = 0; k < workers.length; k++) if (state[k] === "running") workers[k]!.postMessage({ kind: "abort" } satisfies ToDispatcher);
  };
  const onMessage = (k: number, message: FromDispatcher) => {
    if (state[k] === "done") return;
    switch (message.kind) {
      case "ready":
        state[k] = "ready";
        if (all("ready")) settle();
        break;
      case "records":
        for (const record of message.records) {
          records.push(record);
          if (record.doneAtMs > endMs) endMs = record.doneAtMs;
          callbacks.onRecord(record);
        }
        break;
      case "done":
        state[k] = "done";
        dispatchedPerThread[k] = message.dispatched;
        if (message.firstDispatchMs < firstDispatchMs) firstDispatchMs = message.firstDispatchMs;
        if (message.lastDispatchMs > lastDispatchMs) lastDispatchMs = message.lastDispatchMs;
        if (all("done")) settle();
        // A thread with nothing in flight learns here that the claiming is over.
        else for (let j = 0; j < workers.length; j++) if (state[j] === "running") workers[j]!.postMessage({ kind: "poke" } satisfies ToDispatcher);
        break;
      case "failed": {
        // Before the start nothing was sent: give up on threads. During the run: stop the others, keep what finished.
        const wasRunning = state[k] === "running";
        failure ??= message.message;
        state[k] = "done";
        workers[k]!.terminate();
        if (!wasRunning) return settle();
        abortAll();
        if (all("done")) settle();
        break;
      }
    }
  };
  const stopAll = () => {
    for (const clock of clocks) clock.stop();
    for (const worker of workers) worker.terminate();
  };

  // Start the threads and let each open its connections.
  const started = phase();
  try {
    for (let k = 0; k < threads; k++) {
      const worker = new Worker(workerEntry("dispatch-worker.ts"));
      state.push("starting");
      dispatchedPerThread.push(0);
      worker.onmessage = (event: MessageEvent) => onMessage(k, event.data as FromDispatcher);
      worker.onerror = (event: ErrorEvent) => onMessage(k, { kind: "failed", message: event.message || "the dispatch thread stopped" });
      workers.push(worker);
      const wakePorts: MessagePort[] = [];
      for (let c = 0; c < threads; c++) {
        const channel = new MessageChannel();
        clockPorts[c]!.push(channel.port1);
        wakePorts.push(channel.port2);
      }
      const init: DispatcherInit = {
        kind: "init",
        worker: k,
        origin: options.origin,
        backendName: options.backend.name,
        requests: options.requests.kind === "list" ? options.requests : { kind: "port", end: options.requests.ends[k]! },
        warmupRequests: options.warmupRequests,
        schedule: spec,
        requestIdPrefix: options.requestIdPrefix,
        timeoutMs: options.timeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        deadlineMs: options.deadlineMs ?? null,
        indexMap: options.indexMap ?? null,
        warmups: Math.floor(options.warmups / threads) + (k < options.warmups % threads ? 1 : 0),
        warmupPrefix: `${options.warmupPrefix}${k}-`,
        counters: claim.buffer as SharedArrayBuffer,
        wakePorts,
      };
      worker.postMessage(init, options.requests.kind === "ports" ? [...wakePorts, options.requests.ends[k]!.port] : wakePorts);
    }
  } catch {
    stopAll();
    return null;
  }
  await started;
  // A thread that could not start: nothing was sent yet, so the single event loop takes over.
  if (failure !== null) {
    stopAll();
    return null;
  }

  const run = async (given: Pick<LoadOptions, "onRecord" | "onDispatch" | "signal" | "t0Ms">): Promise<ThreadedLoadResult> => {
    callbacks = given;
    const { signal, onDispatch } = given;
    // Interrupted, or a thread died after warming up: nothing is sent.
    if (signal?.aborted || failure !== null) {
      stopAll();
      return {
        records,
        t0: performance.now(),
        endMs: 0,
        dispatched: 0,
        firstDispatchMs: NaN,
        lastDispatchMs: NaN,
        notDispatched: count,
        cancelled: true,
        dispatchedPerThread,
        ...(failure !== null ? { failure: `a dispatch thread failed before the run (${failure}); nothing was sent` } : {}),
      };
    }
    // A hair in the future, so every thread holds t0 before the first release (or the common --start-at instant).
    const t0EpochMs = performance.timeOrigin + (given.t0Ms ?? performance.now() + 2);
    const finished = phase();
    for (let k = 0; k < threads; k++) {
      state[k] = "running";
      workers[k]!.postMessage({ kind: "start", t0EpochMs } satisfies ToDispatcher);
    }
    for (let c = 0; c < threads; c++) clocks[c]!.startPorts(spec, t0EpochMs, clockPorts[c]!);

    // Live dispatch counts come from the shared counter (the threads send no message per request).
    let counted = 0;
    const countDispatched = () => {
      const claimed = Math.min(count, Atomics.load(claim, Counter.Next));
      for (; counted < claimed; counted++) onDispatch?.();
    };
    const counter = setInterval(countDispatched, 50);
    const onAbort = () => {
      cancelled = true;
      abortAll();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort);

    await finished;
    clearInterval(counter);
    countDispatched();
    signal?.removeEventListener("abort", onAbort);
    stopAll();
    const dispatched = Math.min(count, Atomics.load(claim, Counter.Next));
    return {
      records,
      t0: t0EpochMs - performance.timeOrigin,
      endMs,
      dispatched,
      firstDispatchMs: dispatched > 0 ? firstDispatchMs : NaN,
      lastDispatchMs: dispatched > 0 ? lastDispatchMs : NaN,
      notDispatched: count - dispatched,
      cancelled: cancelled || failure !== null,
      dispatchedPerThread,
      ...(failure !== null ? { failure: `a dispatch thread failed during the run (${failure}); the other threads were stopped and every request that finished is kept, but the failed thread's requests in flight are lost` } : {}),
    };
  };
  return { run, close: stopAll };
}
