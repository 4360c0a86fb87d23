/**
 * Single-request units for the engine (./engine.ts): unit i is request i,
 * sent the moment it has its slot, its bytes taken from the request feed
 * (built ahead by the producer thread, ./request-feed.ts), timed by
 * TimedRequest on this thread's own connections. Its slot is freed when its
 * record is made.
 */
import type { BackendPlugin } from "../base/plugin-types.ts";
import type { RequestRecord } from "../base/request-types.ts";
import type { Engine } from "./engine.ts";
import type { HttpClient, Origin } from "./http.ts";
import type { RequestFeed } from "./request-feed.ts";
import { sendTimed, TimedRequest } from "./request.ts";
import type { Schedule } from "./schedule.ts";
import type { Units } from "./units.ts";
import { cur, TRACING } from "./stall-trace.ts";

export interface RequestUnitsOptions {
  client: HttpClient;
  origin: Origin;
  backend: BackendPlugin;
  requests: RequestFeed;
  schedule: Schedule;
  /** `x-request-id` of request g is `${requestIdPrefix}${g}`. */
  requestIdPrefix: string;
  /** Sharded runs: local unit j is global request first + j*step (ids, prompts, record index). */
  indexMap: { first: number; step: number } | null;
  /** The schedule origin on performance.now(). */
  t0: number;
  /** This engine thread's number, stamped on each record. */
  worker: number;
  /** Each finished request's record. Must be cheap: it runs on the hot path. */
  onRecord(record: RequestRecord): void;
}

export class RequestUnits implements Units {
  private readonly first: number;
  private readonly step: number;

  constructor(
    private readonly engine: Engine,
    private readonly options: RequestUnitsOptions,
  ) {
    this.first = options.indexMap?.first ?? 0;
    this.step = options.indexMap?.step ?? 1;
  }

  begin(i: number, nowMs: number, slotWaitMs: number): void {
    const { options } = this;
    const g = this.first + i * this.step;
    const request = new TimedRequest(g, options.requestIdPrefix + g, options.requests.get(i), options.backend, options.t0, options.schedule.at(i), nowMs, this.onDone);
    request.slotWaitMs = slotWaitMs;
    request.worker = options.worker;
    this.engine.inFlight.add(request);
    sendTimed(options.client, options.origin, request, options.t0);
  }

  private readonly onDone = (request: TimedRequest, record: RequestRecord): void => {
    this.engine.inFlight.delete(request);
    const at = TRACING ? performance.now() : 0;
    this.options.onRecord(record);
    if (TRACING) {
      cur.endMs += performance.now() - at;
      cur.ends++;
    }
    this.engine.endUnit();
  };
}
