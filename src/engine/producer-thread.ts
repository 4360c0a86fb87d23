/**
 * The main side of the request producer (./request-producer.ts): start its
 * thread, size its look-ahead, hand each dispatcher (the main loop, or every
 * dispatch thread) a port the batches arrive on, and stop it when the run
 * ends.
 *
 * The look-ahead covers about a second of the schedule (the busiest second
 * of it), twice max_concurrency for a closed loop at rate inf, and at most
 * MAX_LOOK_AHEAD requests and MAX_BYTES_AHEAD bytes. The producer builds
 * again once a quarter of it was taken (the dispatcher that takes it wakes
 * the producer), so three quarters of it are the margin for the producer to
 * catch up.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import type { Origin } from "./http.ts";
import type { Schedule } from "./schedule.ts";
import { PRODUCER_SLOTS, ProducerSlot, type FeedPort } from "./request-feed.ts";
import type { FromProducer, ProducerInit } from "./request-producer.ts";
import type { WorkloadData } from "../workload/datasets.ts";
import { workerEntry } from "../base/worker-entry.ts";

export const MIN_LOOK_AHEAD = 16;
export const MAX_LOOK_AHEAD = 16_384;
export const MAX_BYTES_AHEAD = 64 * 1024 * 1024;

/** Requests to build ahead of the dispatchers for this schedule. */
export function lookAheadFor(schedule: Schedule, maxConcurrency: number | null): number {
  let wanted: number;
  if (schedule.allAtStart) wanted = maxConcurrency === null ? schedule.count : 2 * maxConcurrency;
  else wanted = busiestSecond(schedule);
  return Math.max(1, Math.min(schedule.count, Math.max(MIN_LOOK_AHEAD, Math.min(MAX_LOOK_AHEAD, wanted))));
}

/** Releases looked at to find the busiest second (a generated schedule is not walked to its end for it). */
const SCANNED = 65_536;

/** Requests taken before the producer builds again: a quarter of the look-ahead, so batches are few and large. */
export function refillChunk(lookAhead: number): number {
  return Math.max(1, Math.floor(lookAhead / 4));
}

/** Most releases within any one second of the schedule's first SCANNED. */
function busiestSecond(schedule: Schedule): number {
  let most = 0;
  let from = 0;
  for (let i = 0; i < Math.min(schedule.count, SCANNED); i++) {
    while (schedule.at(i) - schedule.at(from) >= 1000) from++;
    if (i - from + 1 > most) most = i - from + 1;
    if (most >= MAX_LOOK_AHEAD) break;
  }
  return most;
}

export interface ProducerOptions {
  data: WorkloadData;
  tokenizer: string;
  backend: BackendPlugin;
  /** A built-in backend builds bytes in the producer; one loaded from disk gets items, its bodies built by the dispatcher. */
  backendBuiltIn: boolean;
  scenario: ResolvedScenario;
  origin: Origin;
  headers: Record<string, string>;
  ignoreEos: boolean;
  /** Local requests; local j is global request first + j·step. */
  count: number;
  indexMap?: { first: number; step: number };
  lookAhead: number;
  /** Dispatchers, each given every batch. */
  consumers: number;
}

export interface ProducerThread {
  /** One per consumer. */
  feeds: FeedPort[];
  /** Resolves once the first look-ahead was sent; rejects when the thread failed before. */
  filled: Promise<void>;
  /** Set when the thread failed; the run cannot go on without it. */
  failure: string | null;
  /** Called once if the thread fails. */
  onFailure: ((message: string) => void) | null;
  /** Stop building: how many requests were built, and the notes known only after building. */
  stop(): Promise<{ built: number; notes: string[] }>;
}

/** Start the producer thread; null when no thread can start (the caller then builds requests itself). */
export function startProducerThread(options: ProducerOptions): ProducerThread | null {
  let worker: Worker;
  try {
    worker = new Worker(workerEntry("request-worker.ts"));
  } catch {
    return null;
  }
  const refill = refillChunk(options.lookAhead);
  const control = new SharedArrayBuffer(4 * PRODUCER_SLOTS);
  const flags = new Int32Array(control);
  const feeds: FeedPort[] = [];
  const ports: MessagePort[] = [];
  for (let k = 0; k < options.consumers; k++) {
    const channel = new MessageChannel();
    ports.push(channel.port1);
    // The dispatchers wake the producer as soon as a refill is due; its own polling is only the safety net.
    feeds.push({ port: channel.port2, control, lowWater: options.lookAhead - refill });
  }
  let filledSettle: { resolve(): void; reject(e: Error): void } = { resolve() {}, reject() {} };
  const filled = new Promise<void>((resolve, reject) => (filledSettle = { resolve, reject }));
  filled.catch(() => {}); // a failure is also reported through `failure` and onFailure
  let finish: (result: { built: number; notes: string[] }) => void = () => {};
  const finished = new Promise<{ built: number; notes: string[] }>((resolve) => (finish = resolve));
  const thread: ProducerThread = { feeds, filled, failure: null, onFailure: null, stop };
  const fail = (message: string) => {
    if (thread.failure !== null) return;
    thread.failure = message;
    // The thread builds nothing more: end it, so an idle thread keeps neither the process nor its ports alive.
    worker.terminate();
    filledSettle.reject(new Error(message));
    finish({ built: 0, notes: [] });
    thread.onFailure?.(message);
  };
  worker.onmessage = (event: MessageEvent) => {
    const message = event.data as FromProducer;
    if (message.kind === "filled") filledSettle.resolve();
    else if (message.kind === "done") finish({ built: message.built, notes: message.notes });
    else fail(message.message);
  };
  worker.onerror = (event: ErrorEvent) => fail(event.message || "the request producer thread stopped");
  const init: ProducerInit = {
    kind: "init",
    data: options.data,
    tokenizer: options.tokenizer,
    backendName: options.backendBuiltIn ? options.backend.name : null,
    scenario: options.scenario,
    origin: options.origin,
    headers: options.headers,
    ignoreEos: options.ignoreEos,
    count: options.count,
    first: options.indexMap?.first ?? 0,
    step: options.indexMap?.step ?? 1,
    lookAhead: options.lookAhead,
    refill,
    maxBytesAhead: MAX_BYTES_AHEAD,
    control,
    ports,
  };
  worker.postMessage(init, ports);

  let stopping: Promise<{ built: number; notes: string[] }> | null = null;
  function stop(): Promise<{ built: number; notes: string[] }> {
    stopping ??= (async () => {
      Atomics.store(flags, ProducerSlot.Stop, 1);
      Atomics.notify(flags, ProducerSlot.Wake);
      // A batch in progress finishes first (a few ms); a thread stuck longer is not waited for.
      const result = await Promise.race([finished, Bun.sleep(2000).then(() => ({ built: -1, notes: [] }))]);
      worker.terminate();
      return result;
    })();
    return stopping;
  }
  return thread;
}
