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
 * A thread runs the same engine as the main thread (./engine.ts, its
 * counters shared: the claim and the concurrency limit are global), sends,
 * reads and times its own requests, and passes finished records to the main
 * thread in small batches. Request
 * bytes come from the request producer, every batch to every thread
 * (./request-feed.ts): a thread claims request i only once its bytes are
 * here.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import { HttpClient, type Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";
import { runLoad } from "./loadgen.ts";
import { listFeed, openFeed, type FeedPort, type RequestFeed } from "./request-feed.ts";
import { atStart, openSchedule, type Schedule, type ScheduleSpec } from "./schedule.ts";
import { realClock } from "./clock.ts";
import { Counter, Engine } from "./engine.ts";
import { RequestUnits } from "./request-units.ts";
import type { WakeSource } from "./units.ts";

export interface DispatcherInit {
  kind: "init";
  /** This thread's number (0-based), stamped on its records. */
  worker: number;
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
  /** The engine's counters (./engine.ts), shared by every dispatch thread and the main thread. */
  counters: SharedArrayBuffer;
  /** One port from each release clock; each posts EARLY_MS (release-clock.ts) before every release. */
  wakePorts: MessagePort[];
}

/** "poke": another thread finished; finish too if nothing is left here. */
export type ToDispatcher = DispatcherInit | { kind: "start"; t0EpochMs: number } | { kind: "abort" } | { kind: "poke" };

export type FromDispatcher =
  | { kind: "ready" }
  | { kind: "records"; records: RequestRecord[] }
  | { kind: "done"; dispatched: number; firstDispatchMs: number; lastDispatchMs: number }
  | { kind: "failed"; message: string };

/** Records are passed on at this many, or every RECORD_FLUSH_MS, whichever comes first. */
const RECORD_BATCH = 64;
const RECORD_FLUSH_MS = 25;

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
    else if (message.kind === "poke") dispatcher?.poke();
    else dispatcher?.abort();
  };
}

class Dispatcher {
  private readonly client = new HttpClient();
  private readonly counters: Int32Array;
  private readonly schedule: Schedule;
  private readonly requests: RequestFeed;
  private engine: Engine | null = null;
  private batch: RequestRecord[] = [];

  constructor(
    private readonly init: DispatcherInit,
    private readonly backend: BackendPlugin,
    private readonly post: (message: FromDispatcher) => void,
  ) {
    this.counters = new Int32Array(init.counters);
    this.schedule = openSchedule(init.schedule);
    this.schedule.at(0); // its first chunk generated now, not at t0
    // Batches every thread has claimed past are dropped as new ones arrive.
    this.requests = init.requests.kind === "list" ? listFeed(init.requests.list) : openFeed(init.requests.end, { floor: () => Atomics.load(this.counters, Counter.Next) });
  }

  async warmUp(): Promise<void> {
    const { init } = this;
    if (init.warmups === 0) return;
    await runLoad({ client: this.client, origin: init.origin, backend: this.backend, requests: listFeed(init.warmupRequests), schedule: atStart(init.warmups), maxConcurrency: null, requestIdPrefix: init.warmupPrefix, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs, onRecord: () => {} });
  }

  start(t0EpochMs: number): void {
    if (this.engine) return;
    const { init, schedule, requests } = this;
    const t0 = t0EpochMs - performance.timeOrigin;
    // Every clock announces every release to every thread.
    const wake: WakeSource = {
      start: (onWake) => {
        for (const port of init.wakePorts) port.onmessage = (event: { data: unknown }) => onWake(event.data as number);
      },
      stop: () => {
        for (const port of init.wakePorts) {
          port.onmessage = null;
          port.close();
        }
      },
    };
    const engine = new Engine({ clock: realClock, schedule, t0, counters: this.counters, deadlineMs: init.deadlineMs, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs, feed: requests, wake });
    this.engine = engine;
    const units = new RequestUnits(engine, { client: this.client, origin: init.origin, backend: this.backend, requests, schedule, requestIdPrefix: init.requestIdPrefix, indexMap: init.indexMap, t0, worker: init.worker, onRecord: this.onRecord });
    const flusher = setInterval(() => this.flush(), RECORD_FLUSH_MS);
    void engine.run(units).then((result) => {
      clearInterval(flusher);
      if (init.requests.kind === "port") (requests as ReturnType<typeof openFeed>).close();
      this.flush();
      this.client.closeAll();
      this.post({ kind: "done", dispatched: result.dispatched, firstDispatchMs: result.firstDispatchMs, lastDispatchMs: result.lastDispatchMs });
    });
  }

  abort(): void {
    Atomics.store(this.counters, Counter.Stop, 1);
    this.engine?.cancel();
  }

  poke(): void {
    this.engine?.poke();
  }

  private readonly onRecord = (record: RequestRecord): void => {
    this.batch.push(record);
    if (this.batch.length >= RECORD_BATCH) this.flush();
  };

  private flush(): void {
    if (this.batch.length === 0) return;
    this.post({ kind: "records", records: this.batch });
    this.batch = [];
  }
}
