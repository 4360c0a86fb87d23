/**
 * One engine worker thread (the main side is ./dispatch-threads.ts).
 *
 * Every worker runs the same engine as the main thread would (./engine.ts)
 * on its own keep-alive connections, with the engine's counters shared: unit
 * i goes to whichever worker claims it first (a compare-and-swap), and a
 * slot is taken from one global count, so the schedule and the concurrency
 * limit hold across workers exactly, and a release is late only when every
 * worker is stalled at once. Measured on 2 vCPUs at 1000 req/s: one event
 * loop stands still for 1–3 ms a few dozen times a second (collections, the
 * runtime's native work, the vCPU itself; docs/performance.md), which no
 * single thread can hide.
 *
 * A worker sends, reads and times its own requests (single requests, or
 * multi-turn sessions whose turns it builds itself) and passes finished
 * records to the main thread in small batches. Request bytes come from the
 * request producer, every batch to every worker (./request-feed.ts): a
 * worker claims request i only once its bytes are here.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord, WorkloadItem } from "../base/request-types.ts";
import type { ResolvedScenario } from "../base/scenario-types.ts";
import { HttpClient, type Origin } from "./http.ts";
import type { PreparedRequest } from "./request.ts";
import { runLoad } from "./loadgen.ts";
import { listFeed, openFeed, type BatchFeed, type FeedPort, type RequestFeed } from "./request-feed.ts";
import { atStart, openSchedule, type Schedule, type ScheduleSpec } from "./schedule.ts";
import { realClock } from "./clock.ts";
import { Engine } from "./engine.ts";
import { Counter } from "./counters.ts";
import { RequestUnits } from "./request-units.ts";
import { SessionUnits } from "./sessions.ts";
import { prepareRequest } from "./prepare-request.ts";
import type { Units, WakeSource } from "./units.ts";
import { dumpTrace } from "./stall-trace.ts";
import { packRecords, type PackedRecords } from "./record-pack.ts";
import { takeReadStalls, type ReadStalls } from "./read-stalls.ts";
import { startLoopProbe } from "./client-monitor.ts";

export interface DispatcherInit {
  kind: "init";
  /** This thread's number (0-based), stamped on its records. */
  worker: number;
  origin: Origin;
  /** The backend by name; `file` when it is a plugin loaded from disk (the worker loads it too). */
  backend: { name: string; file: string | null };
  /** What building a request needs here: a plugin backend's items (bytes built in the worker) and sessions' turns. */
  build: { scenario: ResolvedScenario; headers: Record<string, string>; ignoreEos: boolean };
  /** Where request bytes come from: the producer's batches, or one fixed list (request i uses list[i mod length]). */
  requests: { kind: "port"; end: FeedPort } | { kind: "list"; list: PreparedRequest[] };
  /** Multi-turn sessions: the units are sessions (their starts on the schedule), not requests. */
  sessions: { plan: { turns: WorkloadItem[] }[]; thinkTimeMs: number } | null;
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
  /** With max_concurrency: this worker's share of the slots, so a closed loop runs on every worker (the limit itself is global). */
  maxActive: number | null;
  /** The engine's counters (./engine.ts), shared by every worker and the main thread. */
  counters: SharedArrayBuffer;
  /**
   * One port from each release clock: this thread's own clock posts EARLY_MS (release-clock.ts) before each release of
   * its share, the others post theirs only when still unclaimed BACKUP_MS after they fell due. None: a schedule with nothing to wait for.
   */
  wakePorts: MessagePort[];
}

/** "poke": another thread finished; finish too if nothing is left here. */
export type ToDispatcher = DispatcherInit | { kind: "start"; t0EpochMs: number } | { kind: "abort" } | { kind: "poke" };

export type FromDispatcher =
  | { kind: "ready" }
  | { kind: "records"; records: PackedRecords }
  | { kind: "done"; dispatched: number; firstDispatchMs: number; lastDispatchMs: number; turnsSent: number; readStalls: ReadStalls; eventLoopLagMs: Float64Array }
  | { kind: "failed"; message: string };

/** Records are passed on (packed, ./record-pack.ts) at this many, or every RECORD_FLUSH_MS, whichever comes first. */
const RECORD_BATCH = 64;
const RECORD_FLUSH_MS = 25;

/** The worker's side: answer the main thread's messages. `loadBackend` finds a built-in backend or loads a plugin's. */
export function serveDispatcher(loadBackend: (backend: DispatcherInit["backend"]) => Promise<BackendPlugin | undefined>, post: (message: FromDispatcher) => void): (message: ToDispatcher) => void {
  let dispatcher: Dispatcher | null = null;
  const init = async (message: DispatcherInit) => {
    const backend = await loadBackend(message.backend);
    if (!backend) return post({ kind: "failed", message: `backend "${message.backend.name}" could not be loaded in a worker thread` });
    dispatcher = new Dispatcher(message, backend, post);
    await dispatcher.warmUp();
    post({ kind: "ready" });
  };
  return (message) => {
    if (message.kind === "init") init(message).catch((error: unknown) => post({ kind: "failed", message: String(error) }));
    else if (message.kind === "start") dispatcher?.start(message.t0EpochMs);
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
  private flushQueued = false;

  constructor(
    private readonly init: DispatcherInit,
    private readonly backend: BackendPlugin,
    private readonly post: (message: FromDispatcher) => void,
  ) {
    this.counters = new Int32Array(init.counters);
    this.schedule = openSchedule(init.schedule);
    this.schedule.at(0); // its first chunk generated now, not at t0
    const { build } = init;
    // A plugin backend's producer sends items: their bytes are built here. Batches every thread has claimed past are dropped as new ones arrive.
    const toBytes = (item: WorkloadItem) => prepareRequest(init.origin, build.scenario, backend, build.headers, item, build.ignoreEos);
    this.requests = init.requests.kind === "list" ? listFeed(init.requests.list) : openFeed(init.requests.end, { toBytes, floor: () => Atomics.load(this.counters, Counter.Next) });
  }

  async warmUp(): Promise<void> {
    const { init } = this;
    if (init.warmups > 0) await runLoad({ client: this.client, origin: init.origin, backend: this.backend, requests: listFeed(init.warmupRequests), schedule: atStart(init.warmups), maxConcurrency: null, requestIdPrefix: init.warmupPrefix, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs, onRecord: () => {} });
    // This thread's full collection before the run rather than in it (the main thread's: ./execute.ts).
    Bun.gc(true);
  }

  start(t0EpochMs: number): void {
    if (this.engine) return;
    const { init, schedule, requests } = this;
    const t0 = t0EpochMs - performance.timeOrigin;
    const engine = new Engine({ clock: realClock, schedule, t0, counters: this.counters, deadlineMs: init.deadlineMs, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs, feed: init.sessions ? undefined : requests, wake: this.wakeSource(), maxActive: init.maxActive ?? undefined });
    this.engine = engine;
    const units = this.units(engine, t0);
    const flusher = setInterval(() => this.flush(), RECORD_FLUSH_MS);
    takeReadStalls(); // the warm-ups' reads are not the run's
    // This loop stamps the reads: its lag is the run's (./client-monitor.ts), not the main thread's.
    const probe = startLoopProbe();
    void engine.run(units).then((result) => {
      const eventLoopLagMs = probe.stop();
      clearInterval(flusher);
      dumpTrace(init.worker, t0);
      if (init.requests.kind === "port") (requests as BatchFeed).close();
      this.flush();
      this.client.closeAll();
      const turnsSent = units instanceof SessionUnits ? units.turnsSent : result.dispatched;
      this.post({ kind: "done", dispatched: result.dispatched, firstDispatchMs: result.firstDispatchMs, lastDispatchMs: result.lastDispatchMs, turnsSent, readStalls: takeReadStalls(), eventLoopLagMs });
    });
  }

  private units(engine: Engine, t0: number): Units {
    const { init } = this;
    const common = { client: this.client, origin: init.origin, backend: this.backend, schedule: this.schedule, requestIdPrefix: init.requestIdPrefix, worker: init.worker, onRecord: this.onRecord };
    if (!init.sessions) return new RequestUnits(engine, { ...common, requests: this.requests, indexMap: init.indexMap, t0 });
    const o = { ...common, ...init.build, sessions: init.sessions.plan, thinkTimeMs: init.sessions.thinkTimeMs, timeoutMs: init.timeoutMs, idleTimeoutMs: init.idleTimeoutMs };
    const units = new SessionUnits(engine, o, t0);
    units.onTurn = () => void Atomics.add(this.counters, Counter.Sent, 1);
    return units;
  }

  /** Each wake announces a release: this thread's own ahead of time, another's when that thread is late. */
  private wakeSource(): WakeSource | null {
    const ports = this.init.wakePorts;
    if (ports.length === 0) return null;
    return {
      start: (onWake) => {
        for (const port of ports) port.onmessage = (event: { data: unknown }) => onWake(event.data as number);
      },
      stop: () => {
        for (const port of ports) {
          port.onmessage = null;
          port.close();
        }
      },
    };
  }

  abort(): void {
    Atomics.store(this.counters, Counter.Stop, 1);
    this.engine?.cancel();
  }

  poke(): void {
    this.engine?.poke();
  }

  /**
   * A full batch is posted on the next turn of the event loop, not inside the read that finished
   * its last request: a post takes 0.3–0.6 ms, and the other reads of that poll come first.
   */
  private readonly onRecord = (record: RequestRecord): void => {
    this.batch.push(record);
    if (this.batch.length >= RECORD_BATCH && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  };

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.batch.length === 0) return;
    this.post({ kind: "records", records: packRecords(this.batch) });
    this.batch.length = 0;
  };
}
