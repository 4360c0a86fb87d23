/**
 * One dispatch thread (runs in a worker; the main side is ./dispatch-threads.ts).
 *
 * Every dispatch thread holds its own keep-alive connections and walks the
 * same arrival schedule. Request i goes to whichever thread claims it first
 * (a compare-and-swap on one shared counter), so a release is late only when
 * every thread is stalled at once. Measured on 2 vCPUs at 1000 req/s: one
 * event loop stands still for 1–3 ms a few dozen times a second (collections,
 * the runtime's native work, the vCPU itself; docs/performance.md), which no
 * single thread can hide.
 *
 * A thread sends, reads and times its own requests exactly as the
 * single-thread load generator does (the same HttpClient and TimedRequest)
 * and passes finished records to the main thread in small batches. Request
 * bytes come from the request producer, every batch to every thread
 * (./request-feed.ts): a thread claims request i only once its bytes are
 * here.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import { HttpClient, type Origin } from "./http.ts";
import { sendTimed, sweepIntervalMs, sweepTimeouts, TimedRequest, type PreparedRequest } from "./request.ts";
import { runLoad } from "./loadgen.ts";
import { listFeed, openFeed, type FeedPort, type RequestFeed } from "./request-feed.ts";
import { atStart, openSchedule, type Schedule, type ScheduleSpec } from "./schedule.ts";

/** Slots of the shared Int32Array. */
export const enum Claim {
  /** The next request index nobody has claimed yet. */
  Next = 0,
  /** Non-zero: claim nothing more (the deadline passed or the run was interrupted). */
  Stop = 1,
}

export interface DispatcherInit {
  kind: "init";
  origin: Origin;
  backendName: string;
  /** Where request bytes come from: the producer's batches, or one fixed list (request i uses list[i mod length]). */
  requests: { kind: "port"; end: FeedPort } | { kind: "list"; list: PreparedRequest[] };
  /** Bytes of the warm-up requests, built before the clock starts. */
  warmupRequests: PreparedRequest[];
  /** The release schedule, walked by this thread from its spec. */
  schedule: ScheduleSpec;
  requestIdPrefix: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  /** Nothing is claimed after t0 + deadlineMs (time-bound runs); null: no deadline. */
  deadlineMs: number | null;
  /** Requests this thread sends at once before the clock starts, to open its connections. */
  warmups: number;
  warmupPrefix: string;
  /** Sharded runs: offsetsMs holds this shard's releases, local j being global request first + j*step. */
  indexMap: { first: number; step: number } | null;
  /** Two Int32 slots (see Claim), shared by every dispatch thread and the main thread. */
  claim: SharedArrayBuffer;
  /** One port from each release clock; each posts EARLY_MS (release-clock.ts) before every release. */
  wakePorts: MessagePort[];
}

export type ToDispatcher = DispatcherInit | { kind: "start"; t0EpochMs: number } | { kind: "abort" };

export type FromDispatcher =
  | { kind: "ready" }
  | { kind: "records"; records: RequestRecord[] }
  | { kind: "done"; dispatched: number; firstDispatchMs: number; lastDispatchMs: number }
  | { kind: "failed"; message: string };

/** Records are passed on at this many, or every RECORD_FLUSH_MS, whichever comes first. */
const RECORD_BATCH = 64;
const RECORD_FLUSH_MS = 25;
/** As the single-thread loop: a late thread catching up sends this many per turn, then reads its sockets. */
const BURST_SLICE = 64;

/** The worker's side: answer the main thread's messages. `findBackend` resolves a built-in backend by name. */
export function serveDispatcher(findBackend: (name: string) => BackendPlugin | undefined, post: (message: FromDispatcher) => void): (message: ToDispatcher) => void {
  let dispatcher: Dispatcher | null = null;
  return (message) => {
    if (message.kind === "init") {
      const backend = findBackend(message.backendName);
      if (!backend) return post({ kind: "failed", message: `backend "${message.backendName}" is not built in` });
      dispatcher = new Dispatcher(message, backend, post);
      dispatcher.warmUp().then(
        () => post({ kind: "ready" }),
        (error: unknown) => post({ kind: "failed", message: String(error) }),
      );
    } else if (message.kind === "start") dispatcher?.start(message.t0EpochMs);
    else dispatcher?.abort();
  };
}

class Dispatcher {
  private readonly client = new HttpClient();
  private readonly claim: Int32Array;
  private readonly schedule: Schedule;
  private readonly requests: RequestFeed;
  private readonly inFlight = new Set<TimedRequest>();
  private batch: RequestRecord[] = [];
  private t0 = 0;
  private started = false;
  private finished = false;
  /** The highest release index a wake has announced: releases up to it are due within EARLY_MS, so the thread spins for them. */
  private wokenThrough = -1;
  /** A tick is queued with setImmediate (spinning or catching up): wakes leave it to that tick. */
  private tickQueued = false;
  /** A due release's bytes had not arrived: the next batch ticks. */
  private waitingForBytes = false;
  private safetyTimer: ReturnType<typeof setTimeout> | null = null;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  private flusher: ReturnType<typeof setInterval> | null = null;
  private dispatched = 0;
  private firstDispatchMs = NaN;
  private lastDispatchMs = NaN;

  constructor(
    private readonly init: DispatcherInit,
    private readonly backend: BackendPlugin,
    private readonly post: (message: FromDispatcher) => void,
  ) {
    this.claim = new Int32Array(init.claim);
    this.schedule = openSchedule(init.schedule);
    this.schedule.at(0); // its first chunk generated now, not at t0
    // Batches every thread has claimed past are dropped as new ones arrive.
    this.requests = init.requests.kind === "list" ? listFeed(init.requests.list) : openFeed(init.requests.end, { floor: () => Atomics.load(this.claim, Claim.Next) });
  }

  async warmUp(): Promise<void> {
    const { init } = this;
    if (init.warmups === 0) return;
    await runLoad({ client: this.client, origin: init.origin, backend: this.backend, requests: listFeed(init.warmupRequests), schedule: atStart(init.warmups), maxConcurrency: null, requestIdPrefix: init.warmupPrefix, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs, onRecord: () => {} });
  }

  start(t0EpochMs: number): void {
    if (this.started) return;
    this.started = true;
    this.t0 = t0EpochMs - performance.timeOrigin;
    const onWake = (event: { data: unknown }) => {
      // Every clock announces every release: a wake for releases already claimed (by this thread or
      // another) needs nothing, unless that was the last; a queued tick (spinning, catching up) sees the rest.
      const last = event.data as number;
      if (last < Atomics.load(this.claim, Claim.Next)) return this.finishIfDone();
      if (last > this.wokenThrough) this.wokenThrough = last;
      if (!this.tickQueued) this.tick();
    };
    for (const port of this.init.wakePorts) port.onmessage = onWake;
    // Bytes the producer was behind on: the release waiting for them can be claimed now.
    this.requests.onArrival = () => {
      if (this.waitingForBytes && !this.tickQueued && !this.finished) this.tick();
    };
    this.sweeper = setInterval(() => {
      const nowMs = performance.now() - this.t0;
      if (this.init.deadlineMs !== null && nowMs > this.init.deadlineMs) Atomics.store(this.claim, Claim.Stop, 1);
      sweepTimeouts(this.inFlight, nowMs, this.init.timeoutMs, this.init.idleTimeoutMs);
      this.finishIfDone();
    }, sweepIntervalMs(this.init.idleTimeoutMs));
    this.flusher = setInterval(() => this.flush(), RECORD_FLUSH_MS);
    this.scheduleTick(0);
  }

  abort(): void {
    Atomics.store(this.claim, Claim.Stop, 1);
    const nowMs = performance.now() - this.t0;
    for (const request of [...this.inFlight]) request.abort("cancelled", "run interrupted", nowMs);
    this.finishIfDone();
  }

  /** Claim and send every release that is due; then wait for the next one. */
  private readonly tick = (): void => {
    this.tickQueued = false;
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.safetyTimer = null;
    const { deadlineMs } = this.init;
    const { schedule, requests } = this;
    const count = schedule.count;
    const nowMs = performance.now() - this.t0;
    let sent = 0;
    while (sent < BURST_SLICE && Atomics.load(this.claim, Claim.Stop) === 0) {
      const i = Atomics.load(this.claim, Claim.Next);
      if (i >= count || schedule.at(i) > nowMs) break;
      // Its bytes are not here yet: their arrival ticks again.
      this.waitingForBytes = !requests.has(i);
      if (this.waitingForBytes) break;
      if (deadlineMs !== null && nowMs > deadlineMs) {
        Atomics.store(this.claim, Claim.Stop, 1);
        break;
      }
      // Another thread took i meanwhile: look again.
      if (Atomics.compareExchange(this.claim, Claim.Next, i, i + 1) !== i) continue;
      this.dispatch(i, nowMs);
      sent++;
    }
    const next = Atomics.load(this.claim, Claim.Next);
    schedule.forgetBelow(next);
    if (next >= count || Atomics.load(this.claim, Claim.Stop) !== 0) return this.finishIfDone();
    if (sent === BURST_SLICE && schedule.at(next) <= performance.now() - this.t0 && requests.has(next)) return this.queueTick();
    this.scheduleTick(next);
  };

  /** Spin for a release a wake has announced; otherwise sleep, with a timer 2 ms after the release as the safety net. */
  private scheduleTick(next: number): void {
    if (next <= this.wokenThrough) return this.queueTick();
    const waitMs = this.schedule.at(next) - (performance.now() - this.t0);
    this.safetyTimer = setTimeout(this.tick, Math.max(0, waitMs) + 2);
  }

  private queueTick(): void {
    this.tickQueued = true;
    setImmediate(this.tick);
  }

  private dispatch(i: number, nowMs: number): void {
    const { init } = this;
    this.dispatched++;
    if (Number.isNaN(this.firstDispatchMs)) this.firstDispatchMs = nowMs;
    this.lastDispatchMs = nowMs;
    const g = init.indexMap === null ? i : init.indexMap.first + i * init.indexMap.step;
    const request = new TimedRequest(g, init.requestIdPrefix + g, this.requests.get(i), this.backend, this.t0, this.schedule.at(i), nowMs, this.onDone);
    this.inFlight.add(request);
    sendTimed(this.client, init.origin, request, this.t0);
  }

  private readonly onDone = (request: TimedRequest, record: RequestRecord): void => {
    this.inFlight.delete(request);
    this.batch.push(record);
    if (this.batch.length >= RECORD_BATCH) this.flush();
    this.finishIfDone();
  };

  private flush(): void {
    if (this.batch.length === 0) return;
    this.post({ kind: "records", records: this.batch });
    this.batch = [];
  }

  private finishIfDone(): void {
    if (this.finished || !this.started || this.inFlight.size > 0) return;
    const claimingOver = Atomics.load(this.claim, Claim.Stop) !== 0 || Atomics.load(this.claim, Claim.Next) >= this.schedule.count;
    if (!claimingOver) return;
    this.finished = true;
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.flusher) clearInterval(this.flusher);
    for (const port of this.init.wakePorts) {
      port.onmessage = null;
      port.close();
    }
    this.requests.onArrival = null;
    if (this.init.requests.kind === "port") (this.requests as ReturnType<typeof openFeed>).close();
    this.flush();
    this.client.closeAll();
    this.post({ kind: "done", dispatched: this.dispatched, firstDispatchMs: this.firstDispatchMs, lastDispatchMs: this.lastDispatchMs });
  }
}
