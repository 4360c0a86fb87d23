/**
 * The measured run on engine worker threads (./dispatcher.ts): the main
 * thread starts them and their release clocks, passes each finished record
 * to `onRecord` as batches arrive (it writes files and draws progress, and
 * sends nothing), and returns the same LoadResult as a load on this thread.
 * Every mode runs here: open-loop rates and ramp-ups, closed loops with
 * max_concurrency (one global slot count in the shared counters), multi-turn
 * sessions, built-in and plugin backends.
 *
 * Why several clocks: a clock is a thread too, and on a busy machine any
 * thread now and then waits a millisecond or more for a core; with one clock
 * that wait made every worker late at once. There is a clock per worker (at
 * most MAX_CLOCKS): clock c walks every C-th release and wakes its own
 * worker ahead of each, and should one still be unclaimed BACKUP_MS after it
 * fell due (that worker held up), wakes the others for it. Every clock used
 * to wake every worker ahead of every release, and each worker spun for
 * each: at 1575 req/s that was 557–565 µs of client CPU per request against
 * 459–471 with this layout, and 5.0–5.3 s per 10 s at 1000 req/s against
 * 4.4–4.7 (both with the wake 0.25 ms ahead, 0.1 since), at the same p99
 * dispatch lag (docs/performance.md, stop 27). A schedule that releases
 * everything at t0 needs none.
 *
 * Where workers cannot start, the caller runs the engine on this thread.
 */
import type { RequestRecord } from "../base/request-types.ts";
import type { LoadOptions, LoadResult } from "./loadgen.ts";
import { createReleaseClock, type ReleaseClock } from "./release-clock.ts";
import type { DispatcherInit, FromDispatcher, ToDispatcher } from "./dispatcher.ts";
import { Counter, engineCounters } from "./counters.ts";
import type { FeedPort } from "./request-feed.ts";
import type { PreparedRequest } from "./request.ts";
import { workerEntry } from "../base/worker-entry.ts";
import { unpackRecords } from "./record-pack.ts";
import { mergeReadStalls, type ReadStalls } from "./read-stalls.ts";
import { pooled } from "../results/stats.ts";

const MAX_CLOCKS = 4;

type DoneMessage = Extract<FromDispatcher, { kind: "done" }>;

/** Why this load runs on the main thread, or null when worker threads can run it. */
export function singleLoopReason(workers: number, backend: { name: string; builtIn: boolean; file: string | null }): string | null {
  if (workers < 1) return "--workers 0, or the default with one usable CPU";
  if (!backend.builtIn && backend.file === null) return `backend "${backend.name}" has no file a worker thread could load it from`;
  return null;
}

export interface ThreadedLoadOptions extends Omit<LoadOptions, "onRecord" | "onDispatch" | "signal" | "client" | "requests" | "t0Ms"> {
  threads: number;
  /** Request bytes: one producer port per thread (./request-feed.ts), or one fixed list every thread uses. */
  requests: { kind: "ports"; ends: FeedPort[] } | { kind: "list"; list: PreparedRequest[] };
  /** Bytes of the warm-up requests (request w uses warmupRequests[w mod length]). */
  warmupRequests: PreparedRequest[];
  /** Warm-up requests, shared out between the threads and sent before the clock starts (each thread opens its own connections). */
  warmups: number;
  warmupPrefix: string;
  /** A plugin backend's file (the workers load it); null for a built-in one. */
  backendFile: string | null;
  build: DispatcherInit["build"];
  /** Multi-turn sessions: the schedule releases sessions. */
  sessions: DispatcherInit["sessions"];
}

/** The load result, with how many units each thread claimed. */
export interface ThreadedLoadResult extends LoadResult {
  dispatchedPerThread: number[];
  /** Every worker's read callbacks (./read-stalls.ts). */
  readStalls: ReadStalls;
  /** Every worker's event-loop probe samples, pooled (./client-monitor.ts): the loops that stamped the reads. */
  eventLoopLagMs: Float64Array;
}

/** Started, warmed-up worker threads waiting for the clock. */
export interface DispatchThreads {
  /** Start the clock and run the load; every record goes to `onRecord` as its batch arrives. */
  run(callbacks: Pick<LoadOptions, "onRecord" | "onDispatch" | "signal" | "t0Ms">): Promise<ThreadedLoadResult>;
  /** Stop the threads without running (idempotent). */
  close(): void;
  /**
   * Resolves once every worker has posted its last records (the run ended, or was cancelled and each worker
   * failed what it had in flight), or after `timeoutMs`: a forced exit waits this long for records still in a worker.
   */
  settled(timeoutMs: number): Promise<void>;
}

/**
 * Start `threads` worker threads and let them warm up their connections. Resolves null, having
 * sent nothing, when a thread or a release clock cannot start: the caller then uses this thread.
 */
export async function startDispatchThreads(options: ThreadedLoadOptions): Promise<DispatchThreads | null> {
  const { schedule, threads } = options;
  const spread = schedule.count > 1 && !schedule.allAtStart;
  // Started side by side (each takes about 15 ms); if any cannot start, none is used.
  const clocks = await Promise.all(Array.from({ length: spread ? Math.min(threads, MAX_CLOCKS) : 0 }, () => createReleaseClock()));
  if (clocks.includes(null)) {
    for (const clock of clocks) clock?.stop();
    return null;
  }
  const pool = new WorkerPool(options, clocks as ReleaseClock[]);
  return (await pool.start()) ? pool : null;
}

type State = "starting" | "ready" | "running" | "done";

class WorkerPool implements DispatchThreads {
  private readonly workers: Worker[] = [];
  private readonly state: State[] = [];
  /** clockPorts[c]: clock c's ports to the workers whose releases it announces, and to the others (its backups). */
  private readonly clockPorts: { own: MessagePort[]; backup: MessagePort[] }[];
  private readonly counters: Int32Array;
  private readonly records: RequestRecord[] = [];
  /** Each worker's last message (the end of its run), by worker. */
  private readonly finals: DoneMessage[] = [];
  private endMs = 0;
  private failure: string | null = null;
  private onRecord: (record: RequestRecord) => void = () => {};
  private settle: () => void = () => {};
  /** The measured run's end: every worker done (null before the run starts). */
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: ThreadedLoadOptions,
    private readonly clocks: ReleaseClock[],
  ) {
    this.counters = engineCounters(options.maxConcurrency, true);
    this.clockPorts = clocks.map(() => ({ own: [], backup: [] }));
  }

  /** Spawn the workers and wait for each to warm up; false (all stopped) when one could not. */
  async start(): Promise<boolean> {
    const started = this.phase();
    try {
      for (let k = 0; k < this.options.threads; k++) this.spawn(k);
    } catch {
      this.close();
      return false;
    }
    await started;
    if (this.failure === null) return true;
    this.close();
    return false;
  }

  private spawn(k: number): void {
    const { options } = this;
    const worker = new Worker(workerEntry("dispatch-worker.ts"));
    this.state.push("starting");
    worker.onmessage = (event: MessageEvent) => this.onMessage(k, event.data as FromDispatcher);
    worker.onerror = (event: ErrorEvent) => this.onMessage(k, { kind: "failed", message: event.message || "the worker thread stopped" });
    this.workers.push(worker);
    // Worker k is woken by clock k mod C for its share of the releases, and by the other clocks for theirs when late.
    const wakePorts = this.clockPorts.map((ports, c) => {
      const channel = new MessageChannel();
      (c === k % this.clockPorts.length ? ports.own : ports.backup).push(channel.port1);
      return channel.port2;
    });
    const init: DispatcherInit = {
      kind: "init",
      worker: k,
      origin: options.origin,
      backend: { name: options.backend.name, file: options.backendFile },
      build: options.build,
      requests: options.requests.kind === "list" ? options.requests : { kind: "port", end: options.requests.ends[k]! },
      sessions: options.sessions,
      warmupRequests: options.warmupRequests,
      schedule: options.schedule.spec,
      requestIdPrefix: options.requestIdPrefix,
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      deadlineMs: options.deadlineMs ?? null,
      indexMap: options.indexMap ?? null,
      warmups: Math.floor(options.warmups / options.threads) + (k < options.warmups % options.threads ? 1 : 0),
      warmupPrefix: `${options.warmupPrefix}${k}-`,
      maxActive: options.maxConcurrency === null ? null : Math.ceil(options.maxConcurrency / options.threads),
      counters: this.counters.buffer as SharedArrayBuffer,
      wakePorts,
    };
    worker.postMessage(init, options.requests.kind === "ports" ? [...wakePorts, options.requests.ends[k]!.port] : wakePorts);
  }

  settled(timeoutMs: number): Promise<void> {
    if (this.running === null) return Promise.resolve();
    return Promise.race([this.running, new Promise<void>((resolve) => setTimeout(resolve, timeoutMs))]);
  }

  private phase(): Promise<void> {
    return new Promise<void>((resolve) => (this.settle = resolve));
  }

  private all(s: State): boolean {
    return this.state.every((x) => x === s);
  }

  private post(message: ToDispatcher, only: State = "running"): void {
    for (let k = 0; k < this.workers.length; k++) if (this.state[k] === only) this.workers[k]!.postMessage(message);
  }

  private abortAll(): void {
    Atomics.store(this.counters, Counter.Stop, 1);
    this.post({ kind: "abort" });
  }

  private onMessage(k: number, message: FromDispatcher): void {
    if (this.state[k] === "done") return;
    if (message.kind === "records") {
      for (const record of unpackRecords(message.records)) {
        this.records.push(record);
        if (record.doneAtMs > this.endMs) this.endMs = record.doneAtMs;
        this.onRecord(record);
      }
    } else if (message.kind === "ready") {
      this.state[k] = "ready";
      if (this.all("ready")) this.settle();
    } else if (message.kind === "done") {
      this.state[k] = "done";
      this.finals[k] = message;
      if (this.all("done")) this.settle();
      // A worker with nothing in flight learns here that the claiming is over.
      else this.post({ kind: "poke" });
    } else {
      // Before the start nothing was sent: give up on workers. During the run: stop the others, keep what finished.
      const wasRunning = this.state[k] === "running";
      this.failure ??= message.message;
      this.state[k] = "done";
      this.workers[k]!.terminate();
      if (!wasRunning) return this.settle();
      this.abortAll();
      if (this.all("done")) this.settle();
    }
  }

  async run(given: Pick<LoadOptions, "onRecord" | "onDispatch" | "signal" | "t0Ms">): Promise<ThreadedLoadResult> {
    const { signal, onDispatch } = given;
    this.onRecord = given.onRecord;
    // Interrupted, or a thread died after warming up: nothing is sent.
    if (signal?.aborted || this.failure !== null) {
      this.close();
      const failure = this.failure === null ? {} : { failure: `a worker thread failed before the run (${this.failure}); nothing was sent` };
      return { records: this.records, t0: performance.now(), endMs: 0, dispatched: 0, firstDispatchMs: NaN, lastDispatchMs: NaN, notDispatched: this.units(), cancelled: true, dispatchedPerThread: this.workers.map(() => 0), readStalls: mergeReadStalls([]), eventLoopLagMs: new Float64Array(0), ...failure };
    }
    // A hair in the future, so every thread holds t0 before the first release (or the common --start-at instant).
    const t0EpochMs = performance.timeOrigin + (given.t0Ms ?? performance.now() + 2);
    const finished = this.phase();
    this.running = finished;
    this.post({ kind: "start", t0EpochMs }, "ready");
    this.state.fill("running");
    const share = { step: this.clocks.length, counters: this.counters.buffer as SharedArrayBuffer };
    this.clocks.forEach((clock, c) => clock.startPorts(this.options.schedule.spec, t0EpochMs, this.clockPorts[c]!.own, { ...share, first: c, backupPorts: this.clockPorts[c]!.backup }));
    // Live dispatch counts come from the shared counters (the threads send no message per request).
    let counted = 0;
    const countDispatched = () => {
      const sent = this.options.sessions ? Atomics.load(this.counters, Counter.Sent) : Math.min(this.options.schedule.count, Atomics.load(this.counters, Counter.Next));
      for (; counted < sent; counted++) onDispatch?.();
    };
    const counter = setInterval(countDispatched, 50);
    let cancelled = false;
    const onAbort = () => ((cancelled = true), this.abortAll());
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort);
    await finished;
    clearInterval(counter);
    countDispatched();
    signal?.removeEventListener("abort", onAbort);
    this.close();
    return this.result(t0EpochMs, cancelled);
  }

  /** What was scheduled: requests, or the sessions' turns. */
  private units(): number {
    return this.options.sessions ? this.options.sessions.plan.reduce((n, s) => n + s.turns.length, 0) : this.options.schedule.count;
  }

  private result(t0EpochMs: number, cancelled: boolean): ThreadedLoadResult {
    const dispatched = Math.min(this.options.schedule.count, Atomics.load(this.counters, Counter.Next));
    const finals = this.finals.filter((f) => f !== undefined);
    const sent = this.options.sessions ? finals.reduce((n, f) => n + f.turnsSent, 0) : dispatched;
    // A worker that sent nothing has no first or last dispatch (NaN).
    const sending = finals.filter((f) => f.dispatched > 0);
    const failure = this.failure === null ? {} : { failure: `a worker thread failed during the run (${this.failure}); the other threads were stopped and every request that finished is kept, but the failed thread's requests in flight are lost` };
    return {
      records: this.records,
      t0: t0EpochMs - performance.timeOrigin,
      endMs: this.endMs,
      dispatched,
      firstDispatchMs: sending.length > 0 ? Math.min(...sending.map((f) => f.firstDispatchMs)) : NaN,
      lastDispatchMs: sending.length > 0 ? Math.max(...sending.map((f) => f.lastDispatchMs)) : NaN,
      notDispatched: this.units() - sent,
      cancelled: cancelled || this.failure !== null,
      dispatchedPerThread: this.workers.map((_, k) => this.finals[k]?.dispatched ?? 0),
      readStalls: mergeReadStalls(finals.map((f) => f.readStalls)),
      eventLoopLagMs: pooled(finals.map((f) => f.eventLoopLagMs)),
      ...failure,
    };
  }

  close(): void {
    for (const clock of this.clocks) clock.stop();
    for (const worker of this.workers) worker.terminate();
  }
}
